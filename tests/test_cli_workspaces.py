"""``feedback-nlp workspaces``: show a workspace and set its currency, as the admin route does."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from feedback_nlp.cli import app as cli_app
from feedback_nlp.store import open_store

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'ws.sqlite3'}", "COLUMNS": "200"}


def _last_json(output: str) -> dict[str, object]:
    return json.loads(output.strip().splitlines()[-1])


def test_currency_is_set_stored_and_shown(tmp_path: Path) -> None:
    env = _env(tmp_path)
    made = runner.invoke(cli_app, ["keys", "create", "--workspace", "acme"], env=env)
    assert made.exit_code == 0, made.output
    shown = runner.invoke(cli_app, ["workspaces", "show", "acme", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert _last_json(shown.stdout)["currency"] == "USD"

    done = runner.invoke(cli_app, ["workspaces", "currency", "acme", " eur ", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert _last_json(done.stdout) | {"created_at": None} == {
        "name": "acme",
        "created_at": None,
        "currency": "EUR",
    }
    store = open_store(env["FEEDBACK_NLP_DATABASE__URL"])
    try:
        workspace = store.get_workspace_by_name("acme")
        assert workspace is not None
        assert store.workspace_currency(workspace.id) == "EUR"
    finally:
        store.close()
    plain = runner.invoke(cli_app, ["workspaces", "show", "acme"], env=env)
    assert "currency EUR" in plain.stdout


def test_unknown_currency_is_refused_with_the_api_error_and_nothing_changes(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    runner.invoke(cli_app, ["keys", "create", "--workspace", "acme"], env=env)
    refused = runner.invoke(cli_app, ["workspaces", "currency", "acme", "XYZ"], env=env)
    assert refused.exit_code == 2
    assert "Unknown currency" in refused.stdout
    assert "ISO 4217" in refused.stdout
    shown = runner.invoke(cli_app, ["workspaces", "show", "acme", "--json"], env=env)
    assert _last_json(shown.stdout)["currency"] == "USD"


def test_unknown_workspace_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for args in (["workspaces", "show", "nowhere"], ["workspaces", "currency", "nowhere", "EUR"]):
        refused = runner.invoke(cli_app, args, env=env)
        assert refused.exit_code == 2, refused.output
        assert "No workspace is called 'nowhere'" in refused.stdout
