"""One theme count everywhere: the API, the CLI report, the HTML report and the dashboard.

The workspace is mined by hand twice: the second run keeps t_000001, drops t_000002 (inactive
from then on, no units) and finds t_000003. ``GET /v1/themes`` lists the two active themes; the
other views used to list all three level-0 themes of the store (the inactive one with "–").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import bearer, make_settings
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from feedback_nlp.cli import app as cli_app
from feedback_nlp.domain import MinedTheme
from feedback_nlp.report.html import write_report
from feedback_nlp.store import Store
from tests.report.hand_mined import mine_by_hand
from tests.store.factory import HandUnit, save_hand_mining

ACTIVE = ["t_000001", "t_000003"]


def _theme(theme_id: str, size: int) -> MinedTheme:
    return MinedTheme(
        theme_id=theme_id,
        level=0,
        label={"en": f"label {theme_id}"},
        keyphrases={"en": ["word"]},
        quotes=[],
        languages={"en": size},
        parent_id=None,
        size=size,
        confidence=None,
    )


def _mine_again(store: Store, workspace_id: int) -> None:
    """A second run: the detractors stay in t_000001, the promoters move to t_000003."""
    save_hand_mining(
        store,
        workspace_id,
        [_theme("t_000001", 16), _theme("t_000003", 8)],
        lambda item: HandUnit(
            theme_id="t_000001" if int(item.external_id.split("-")[1]) < 10 else "t_000003",
            lang="en",
            sentiment_label="neutral",
            sentiment_score=0.0,
        ),
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[TestClient, Store, int, str, str]]:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        workspace_id = mine_by_hand(store, "acme")
        _mine_again(store, workspace_id)
        yield client, store, workspace_id, store.create_api_key("acme"), settings.database.url


def _page_themes(html: str) -> tuple[int, list[str]]:
    """The count in the overview and the theme ids of the theme table of a report page."""
    count = re.search(r'<span id="theme-count">(\d+)</span> themes', html)
    assert count is not None, "no theme count on the page"
    table = html.split('<table class="themes">', 1)[1].split("</table>", 1)[0]
    return int(count.group(1)), re.findall(r'<tr data-theme-id="([^"]+)"', table)


def test_theme_count_agrees_across_api_cli_report_and_dashboard(
    workspace: tuple[TestClient, Store, int, str, str], tmp_path: Path
) -> None:
    client, store, workspace_id, key, url = workspace
    assert len(store.list_themes(workspace_id, include_inactive=True)) == 3

    listed = client.get("/v1/themes", headers=bearer(key)).raise_for_status().json()
    api_ids = sorted(t["id"] for t in listed if t["level"] == 0)
    assert api_ids == ACTIVE

    env = {"FEEDBACK_NLP_DATABASE__URL": url, "COLUMNS": "200"}
    done = CliRunner().invoke(cli_app, ["report", "--workspace", "acme", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert re.search(r"\b2 themes\b", done.output.splitlines()[0]), done.output.splitlines()[0]
    bundle = json.loads(done.output.strip().splitlines()[-1])
    assert bundle["counts"]["themes"] == 2
    assert sorted(t["theme_id"] for t in bundle["themes"]) == ACTIVE

    path = tmp_path / "report.html"
    write_report(store, workspace_id, path)
    count, ids = _page_themes(path.read_text(encoding="utf-8"))
    assert (count, sorted(ids)) == (2, ACTIVE)

    login = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
    assert login.status_code == 303, login.text
    count, ids = _page_themes(client.get("/ui").text)
    assert (count, sorted(ids)) == (2, ACTIVE)


def test_theme_count_includes_inactive_themes_when_asked(
    workspace: tuple[TestClient, Store, int, str, str],
) -> None:
    client, _, _, key, url = workspace
    listed = client.get("/v1/themes", params={"include_inactive": True}, headers=bearer(key))
    every = sorted(t["id"] for t in listed.raise_for_status().json() if t["level"] == 0)
    assert every == ["t_000001", "t_000002", "t_000003"]
    env = {"FEEDBACK_NLP_DATABASE__URL": url, "COLUMNS": "200"}
    args = ["report", "--workspace", "acme", "--json", "--include-inactive"]
    done = CliRunner().invoke(cli_app, args, env=env)
    assert done.exit_code == 0, done.output
    bundle = json.loads(done.output.strip().splitlines()[-1])
    assert bundle["counts"]["themes"] == 3
    inactive = next(t for t in bundle["themes"] if t["theme_id"] == "t_000002")
    assert (inactive["active"], inactive["n_items"]) == (False, 0)
