"""The dashboard's theme pages title a theme in the workspace's language, as its report does.

A hand-mined workspace that reads English (7 of 10 units): "late delivery" is mostly Arabic (3 of
its 4 units) but has an English label too, so every page shows that one; a theme without any
label shows its id (and an empty rename placeholder).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.store import Store
from tests.store.factory import T0, HandUnit, mined_theme, save_hand_mining

LATE, REFUND, BLANK = "t_000001", "t_000002", "t_000003"
#: item id -> (language, theme)
UNITS = {
    **{f"ar-{i}": ("ar", LATE) for i in range(3)},
    "en-0": ("en", LATE),
    **{f"en-{i}": ("en", REFUND) for i in range(1, 6)},
    "en-9": ("en", BLANK),
}


def _mine(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(
        ws,
        [
            PreparedFeedback(
                FeedbackIn(external_id=external_id, text=f"text {external_id}", created_at=T0),
                lang=lang,
                lang_confidence=0.99,
            )
            for external_id, (lang, _) in UNITS.items()
        ],
    )
    themes = [
        mined_theme(REFUND, {"en": "refund"}, {"en": 5}),
        mined_theme(LATE, {"ar": "تأخر التوصيل", "en": "late delivery"}, {"ar": 3, "en": 1}),
        mined_theme(BLANK, {"en": ""}, {"en": 1}),
    ]
    save_hand_mining(
        store,
        ws,
        themes,
        lambda item: HandUnit(UNITS[item.external_id][1], item.lang, "negative", -0.5),
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path)), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        _mine(store)
        key = store.create_api_key("acme")
        assert client.post("/ui/login", data={"api_key": key, "next": "/ui"}).status_code == 303
        yield client


def _page(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.text


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


def test_ui_theme_page_titles_the_theme_in_the_workspace_language(client: TestClient) -> None:
    html = _page(client, f"/ui/themes/{LATE}")
    assert _title(html) == "late delivery — feedback_nlp"
    heading = re.search(r'<h2 id="theme-title">(.*?)</h2>', html, re.S)
    assert heading
    assert "late delivery" in heading.group(1)
    assert "تأخر التوصيل" not in heading.group(1)  # still listed under "Labels per language"
    assert 'placeholder="late delivery"' in html


def test_ui_theme_page_without_a_label_shows_the_id(client: TestClient) -> None:
    html = _page(client, f"/ui/themes/{BLANK}")
    assert _title(html) == f"{BLANK} — feedback_nlp"
    assert 'placeholder=""' in html


def test_ui_move_targets_are_labelled_in_the_workspace_language(client: TestClient) -> None:
    html = _page(client, f"/ui/themes/{REFUND}")
    options = re.findall(r'<option value="(t_\d+)" dir="auto">(.*?)</option>', html)
    assert (LATE, f"late delivery ({LATE})") in options
    assert (BLANK, f"{BLANK} ({BLANK})") in options
