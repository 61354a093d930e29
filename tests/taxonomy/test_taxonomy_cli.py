"""``feedback-nlp taxonomy``: the same edits from the command line, recorded as cli:<user>."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.store import open_store
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    mined_workspace,
    sizes,
    themes_of_items,
)

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    store = open_store(url)
    mined_workspace(store, "acme")
    store.close()
    embedder = WordEmbedder()
    monkeypatch.setattr("feedback_nlp.taxonomy.embedders._load_model", lambda _name: embedder)
    return {"FEEDBACK_NLP_DATABASE__URL": url, "COLUMNS": "200"}


def _json(env: dict[str, str], *args: str) -> Any:
    result = runner.invoke(app, ["taxonomy", *args, "--workspace", "acme", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _store(env: dict[str, str]) -> Any:
    return open_store(env["FEEDBACK_NLP_DATABASE__URL"])


def test_cli_taxonomy_session(env: dict[str, str]) -> None:
    merged = _json(env, "merge", DELIVERY, PARCEL, "--label", "Late deliveries", "--actor", "ana")
    assert (merged["operation"]["actor"], merged["units_moved"]) == ("ana", 6)
    preview = _json(env, "split", ACCOUNT, "--k", "2", "--preview")
    assert [c["size"] for c in preview["children"]] == [6, 6]
    assert _json(env, "split", ACCOUNT, "--k", "2", "--label", "Passwords")["units_moved"] == 12
    assert _json(env, "ignore", GREETING)["operation"]["kind"] == "ignore"
    seeded = _json(env, "seed", "--name", "Battery", "--example", "battery drains", "--preview")
    assert seeded["n_claimed"] == 5
    _json(env, "seed", "--name", "Battery", "--example", "battery drains")
    _json(env, "move", "--unassigned", "--unit", "d00:0")
    log = _json(env, "log")
    assert [op["kind"] for op in log["operations"]] == ["merge", "split", "ignore", "seed", "move"]
    assert log["operations"][1]["actor"].startswith("cli:")
    store = _store(env)
    try:
        ws = store.get_workspace_by_name("acme").id
        assert sizes(store, ws) == {DELIVERY: 13, "c_000002_1": 6, "c_000002_2": 6, "s_000004": 5}
        assert themes_of_items(store, ws)["d00"] is None
    finally:
        store.close()
    undone = _json(env, "undo", "--seq", "1")
    assert undone["operation"]["status"] == "undone"
    table = runner.invoke(app, ["taxonomy", "log", "--workspace", "acme"], env=env)
    assert table.exit_code == 0
    assert "undone by cli:" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["merge", DELIVERY, DELIVERY], "cannot be merged with itself"),
        (["split", PARCEL, "--k", "2"], "needs at least 2 x 5 = 10"),
        (["seed", "--name", "Battery"], "at least one example"),
        (["ignore", "t_999999"], "No theme has the id"),
        (["move", "--to", PARCEL], "at least one unit"),
        (["move", "--unit", "d00:0"], "exactly one of --to"),
        (["undo"], "no taxonomy operation to undo"),
    ],
)
def test_cli_taxonomy_refused_edits_exit_2(
    env: dict[str, str], args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["taxonomy", *args, "--workspace", "acme"], env=env)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_cli_taxonomy_unknown_workspace(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["taxonomy", "log", "--workspace", "nobody"], env=env)
    assert result.exit_code == 2
    assert "No workspace is called 'nobody'" in result.output


def test_cli_taxonomy_redo_after_undo(env: dict[str, str]) -> None:
    _json(env, "ignore", GREETING)
    _json(env, "undo")
    assert _json(env, "log")["redo_seqs"] == [1]
    redone = _json(env, "redo", "--expected-seq", "1")
    assert (redone["operation"]["seq"], redone["operation"]["params"]["redo_of"]) == (2, 1)
    log = _json(env, "log")
    assert [(op["seq"], op["status"]) for op in log["operations"]] == [
        (1, "undone"),
        (2, "applied"),
    ]
    assert log["redo_seqs"] == []
    table = runner.invoke(app, ["taxonomy", "log", "--workspace", "acme"], env=env)
    assert "(redo of 1)" in table.output
    again = runner.invoke(app, ["taxonomy", "redo", "--workspace", "acme"], env=env)
    assert again.exit_code == 2
    assert "no undone taxonomy operation to redo" in " ".join(again.output.split())
