from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.store import open_store
from feedback_nlp.store.engine import current_revision, head_revision, make_engine

runner = CliRunner()


def test_cli_db_upgrade_migrates_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = runner.invoke(app, ["db", "upgrade"], env={"FEEDBACK_NLP_DATABASE__URL": url})
    assert result.exit_code == 0, result.output
    assert head_revision() in result.output
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_cli_keys_create_prints_a_working_key_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    env = {"FEEDBACK_NLP_DATABASE__URL": url}
    first = runner.invoke(app, ["keys", "create", "--workspace", "acme"], env=env)
    second = runner.invoke(app, ["keys", "create", "--workspace", "acme"], env=env)
    assert first.exit_code == 0, first.output
    keys = [first.stdout.strip().splitlines()[-1], second.stdout.strip().splitlines()[-1]]
    assert keys[0] != keys[1]
    store = open_store(url)
    try:
        workspaces = [store.authenticate(key) for key in keys]
    finally:
        store.close()
    assert [w.name if w else None for w in workspaces] == ["acme", "acme"]


def test_cli_serve_and_demo_serve_are_offered() -> None:
    serve = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert serve.exit_code == 0
    assert "--host" in serve.output
    assert "--port" in serve.output
    demo = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert "--serve" in demo.output
