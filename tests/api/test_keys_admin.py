"""Key management: ``feedback-nlp keys list|revoke`` and the admin-only ``/v1/admin/keys``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from feedback_nlp.cli import app as cli_app
from feedback_nlp.settings import Settings
from feedback_nlp.store.workspaces import parse_api_key

runner = CliRunner()


def _id(key: str) -> str:
    parsed = parse_api_key(key)
    assert parsed is not None
    return parsed[0]


def _secret(key: str) -> str:
    parsed = parse_api_key(key)
    assert parsed is not None
    return parsed[1]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("keys-admin"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_admin_keys_list_needs_an_admin_key(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    member = store.create_api_key("acme")
    assert_problem(client.get("/v1/admin/keys"), 401)
    body = assert_problem(client.get("/v1/admin/keys", headers=bearer(member)), 403)
    assert body["code"] == "E451"
    assert "--admin" in body["detail"]
    assert_problem(client.delete(f"/v1/admin/keys/{_id(member)}", headers=bearer(member)), 403)
    assert store.authenticate(member) is not None  # a member cannot revoke, even its own key


def test_admin_keys_list_and_revoke(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    admin = store.create_api_key("ops", name="root", admin=True)
    target = store.create_api_key("shop", name="ci")
    assert client.get("/v1/themes", headers=bearer(target)).status_code == 200

    listed = client.get("/v1/admin/keys", params={"workspace": "shop"}, headers=bearer(admin))
    assert listed.status_code == 200, listed.text
    (record,) = listed.json()["keys"]
    assert record["key_id"] == _id(target)
    assert record["prefix"] == f"fnlp_{_id(target)}_"
    assert (record["workspace"], record["name"], record["admin"]) == ("shop", "ci", False)
    assert record["last_used_at"] is not None  # the request above
    assert _secret(target) not in listed.text
    everyone = client.get("/v1/admin/keys", headers=bearer(admin)).json()["keys"]
    assert {k["workspace"] for k in everyone} >= {"ops", "shop"}
    assert all(_secret(admin) not in json.dumps(k) for k in everyone)

    revoked = client.delete(f"/v1/admin/keys/fnlp_{_id(target)}_", headers=bearer(admin))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert_problem(client.get("/v1/themes", headers=bearer(target)), 401)
    again = client.delete(f"/v1/admin/keys/{_id(target)}", headers=bearer(admin))
    assert again.status_code == 200  # idempotent
    assert (
        client.get("/v1/admin/keys", params={"workspace": "shop"}, headers=bearer(admin)).json()[
            "keys"
        ]
        == []
    )
    assert_problem(client.delete("/v1/admin/keys/0000000000000000", headers=bearer(admin)), 404)
    itself = assert_problem(
        client.delete(f"/v1/admin/keys/{_id(admin)}", headers=bearer(admin)), 422
    )
    assert "keys revoke" in itself["detail"]
    assert store.authenticate(admin) is not None
    assert_problem(client.delete("/v1/admin/keys/not-a-key", headers=bearer(admin)), 422)
    assert_problem(
        client.get("/v1/admin/keys", params={"workspace": "nowhere"}, headers=bearer(admin)), 404
    )


def test_cli_keys_list_shows_prefix_name_and_last_use_never_the_key(tmp_path: Path) -> None:
    env = {"FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'keys.sqlite3'}", "COLUMNS": "200"}
    made = runner.invoke(
        cli_app, ["keys", "create", "--workspace", "acme", "--name", "ci"], env=env
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    listed = runner.invoke(cli_app, ["keys", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"fnlp_{_id(key)}_" in listed.stdout
    assert re.search(r"\bci\b", listed.stdout)
    assert "never" in listed.stdout
    assert _secret(key) not in listed.stdout
    as_json = runner.invoke(cli_app, ["keys", "list", "--json"], env=env)
    (record,) = json.loads(as_json.stdout.strip().splitlines()[-1])["keys"]
    assert (record["name"], record["last_used_at"], record["admin"]) == ("ci", None, False)


def test_cli_keys_revoke(tmp_path: Path) -> None:
    env = {"FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{tmp_path / 'keys.sqlite3'}", "COLUMNS": "200"}
    key = runner.invoke(cli_app, ["keys", "create", "--workspace", "acme"], env=env)
    key_id = _id(key.stdout.strip().splitlines()[-1])
    done = runner.invoke(cli_app, ["keys", "revoke", f"fnlp_{key_id}_"], env=env)
    assert done.exit_code == 0, done.output
    assert f"Revoked key {key_id}" in done.stdout
    assert runner.invoke(cli_app, ["keys", "revoke", key_id], env=env).exit_code == 1
    assert runner.invoke(cli_app, ["keys", "revoke", "nonsense"], env=env).exit_code == 2
    listed = runner.invoke(cli_app, ["keys", "list", "--json", "--revoked"], env=env)
    (record,) = json.loads(listed.stdout.strip().splitlines()[-1])["keys"]
    assert record["revoked_at"] is not None
    active = runner.invoke(cli_app, ["keys", "list", "--json"], env=env)
    assert json.loads(active.stdout.strip().splitlines()[-1])["keys"] == []


def test_cli_help_keeps_bracketed_text() -> None:
    shown = runner.invoke(cli_app, ["mine", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "pip install 'feedback-nlp[ray]'" in shown.stdout


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (Typer's own click classes)
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_cli_help_of_every_command_shows_its_bracketed_words() -> None:
    import typer.main

    bracketed = re.compile(r"\[[a-z][^\]\s]*\]")
    for path, command in _commands(typer.main.get_command(cli_app)):
        texts = [command.help or ""]
        texts += [getattr(p, "help", None) or "" for p in command.params]
        wanted = {m for text in texts for m in bracketed.findall(text)}
        if not wanted:
            continue
        shown = runner.invoke(cli_app, [*path, "--help"], env={"COLUMNS": "250"}).stdout
        for word in wanted:
            assert word in shown, (path, word)
