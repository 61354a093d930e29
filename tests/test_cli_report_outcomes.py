"""``feedback-nlp report --rank-by`` and the outcome tables (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.store import open_store
from tests.report.cx_data import OUTCOMES, seed_workspace

runner = CliRunner()


def _database(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'report.sqlite3'}"
    store = open_store(url)
    try:
        seed_workspace(store, outcomes=OUTCOMES)
    finally:
        store.close()
    return {"FEEDBACK_NLP_DATABASE__URL": url, "COLUMNS": "200"}


def test_cli_report_ranks_by_revenue_and_prints_outcome_tables(tmp_path: Path) -> None:
    env = _database(tmp_path)
    args = ["report", "--workspace", "acme", "--rank-by", "revenue_at_risk", "--json"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Top issues by revenue at risk" in result.output
    assert "Resolution time" in result.output
    assert "Revenue at risk (USD" in result.output
    bundle = json.loads(result.output.strip().splitlines()[-1])
    assert bundle["rank_by"] == "revenue_at_risk"
    assert bundle["top_detractor_issues"][0]["theme_id"] == "t1"
    assert bundle["outcomes"]["revenue"]["total_at_risk"] == 1750.0


def test_cli_report_html_honours_rank_by(tmp_path: Path) -> None:
    env = _database(tmp_path)
    path = tmp_path / "report.html"
    args = ["report", "--workspace", "acme", "--rank-by", "churn_lift", "--html", str(path)]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "<h2>Top issues by churn lift</h2>" in html
    assert "<h2>Top detractor issues</h2>" not in html


def test_cli_report_rejects_an_unknown_ranking(tmp_path: Path) -> None:
    env = _database(tmp_path)
    result = runner.invoke(app, ["report", "--workspace", "acme", "--rank-by", "loud"], env=env)
    assert result.exit_code == 2
    assert "loud" in result.output
