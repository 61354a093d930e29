from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.store import open_store
from tests.report.cx_data import seed_workspace

runner = CliRunner()


def _database(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'report.sqlite3'}"
    store = open_store(url)
    try:
        seed_workspace(store)
    finally:
        store.close()
    return {"FEEDBACK_NLP_DATABASE__URL": url, "COLUMNS": "200"}


def test_cli_report_prints_tables_and_json_last_line(tmp_path: Path) -> None:
    env = _database(tmp_path)
    result = runner.invoke(app, ["report", "--workspace", "acme", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert "Overall scores" in result.output
    assert "Late delivery" in result.output
    assert "Delivery took three weeks" in result.output
    bundle = json.loads(result.output.strip().splitlines()[-1])
    assert bundle["workspace"] == "acme"
    assert bundle["overall"]["nps"]["value"] == 0.0
    assert bundle["top_detractor_issues"][0]["impact"] == -75.0


def test_cli_report_filters_by_segment_and_period(tmp_path: Path) -> None:
    env = _database(tmp_path)
    args = ["report", "--workspace", "acme", "--segment", "plan:pro", "--period", "2026-09"]
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output.strip().splitlines()[-1])
    assert bundle["counts"]["items"] == 3  # a, b, c
    assert bundle["filters"]["segment"] == {"plan": "pro"}
    assert bundle["overall"]["nps"]["value"] == pytest.approx(200 / 3)


def test_cli_report_unknown_workspace_fails_clearly(tmp_path: Path) -> None:
    env = _database(tmp_path)
    result = runner.invoke(app, ["report", "--workspace", "nobody"], env=env)
    assert result.exit_code != 0
    assert "No workspace is called 'nobody'" in str(result.exception)
