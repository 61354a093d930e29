"""The display language of theme labels in ``/v1/themes`` and ``/v1/insights`` (``lang``).

A hand-mined workspace: units en 5 (t1 1, t2 3, unassigned 1), ar 3 (t1), lt 2 (t3), so its most
frequent language is English although t1's own is Arabic.

=====  ==================================  ================  ==================================
theme  labels                              units per lang    shown: default (en) / lang=ar
=====  ==================================  ================  ==================================
t1     ar "تأخر التوصيل", en "late delivery"  ar 3, en 1        "late delivery" / "تأخر التوصيل"
t2     en "high price"                     en 3              "high price" / "high price"
t3     lt "kortelė nuskaičiuota"           lt 2              lt label either way
=====  ==================================  ================  ==================================
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.domain import (
    FeedbackFilter,
    FeedbackIn,
    MinedTheme,
    MinedUnit,
    MiningOutcome,
    PreparedFeedback,
)
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.base import utcnow
from feedback_nlp.themes.registry import ThemeRegistry

AR_LABEL = "تأخر التوصيل"
LT_LABEL = "kortelė nuskaičiuota"
# (item, nps, lang, theme, text)
UNITS: list[tuple[str, int, str, str | None, str]] = [
    ("d1", 2, "ar", "t1", "تأخر التوصيل أسبوعين"),
    ("d2", 1, "ar", "t1", "التوصيل متأخر جدا"),
    ("d3", 3, "ar", "t1", "لم يصل الطرد في الموعد"),
    ("d4", 2, "en", "t1", "Late delivery again"),
    ("p1", 10, "en", "t2", "High price but fair"),
    ("p2", 9, "en", "t2", "The price is high"),
    ("p3", 10, "en", "t2", "Price is high"),
    ("l1", 9, "lt", "t3", "Kortelė nuskaičiuota du kartus"),
    ("l2", 10, "lt", "t3", "Pinigai nuskaičiuoti du kartus"),
    ("u1", 8, "en", None, "Nothing else"),
]
THEMES = {
    "t1": ({"ar": AR_LABEL, "en": "late delivery"}, {"ar": 3, "en": 1}),
    "t2": ({"en": "high price"}, {"en": 3}),
    "t3": ({"lt": LT_LABEL}, {"lt": 2}),
}


def _seed(store: Store) -> None:
    ws = store.create_workspace("polyglot").id
    store.upsert_feedback(
        ws,
        [
            PreparedFeedback(
                item=FeedbackIn(
                    external_id=key,
                    text=text,
                    created_at=datetime(2026, 9, 1 + n, tzinfo=UTC),
                    nps=nps,
                ),
                lang=lang,
                lang_confidence=0.9,
            )
            for n, (key, nps, lang, _, text) in enumerate(UNITS)
        ],
    )
    stored = {i.external_id: i for i in store.mining_items(ws, FeedbackFilter())}
    units = [
        MinedUnit(
            item_id=stored[key].item_id,
            unit_index=0,
            start=0,
            end=len(text),
            text=text,
            lang=lang,
            text_hash=stored[key].text_hash,
            theme_id=theme_id,
            sentiment_label="negative" if nps <= 6 else "positive",
            sentiment_score=-0.8 if nps <= 6 else 0.8,
        )
        for key, nps, lang, theme_id, text in UNITS
    ]
    themes = [
        MinedTheme(
            theme_id=theme_id,
            level=0,
            label=label,
            keyphrases={lang: [text] for lang, text in label.items()},
            quotes=[],
            languages=languages,
            parent_id=None,
            size=sum(languages.values()),
            confidence=0.9,
        )
        for theme_id, (label, languages) in THEMES.items()
    ]
    store.save_mining(
        ws,
        MiningOutcome(
            job_id=None,
            embedder="hand",
            started_at=utcnow(),
            item_ids=[i.item_id for i in stored.values()],
            units=units,
            themes=themes,
            registry=ThemeRegistry(),
            n_unassigned=1,
            config={},
        ),
    )


def _client(database_url: str, tmp_path: Path, **api: Any) -> Iterator[tuple[TestClient, str]]:
    store = open_store(database_url)
    try:
        _seed(store)
        key = store.create_api_key("polyglot")
    finally:
        store.close()
    settings = make_settings(tmp_path, database_url=database_url, **api)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, key


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """An app over the hand-mined workspace, no display language configured."""
    yield from _client(database_url, tmp_path)


@pytest.fixture
def arabic_client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """The same app with FEEDBACK_NLP_API__DISPLAY_LANG=ar."""
    yield from _client(database_url, tmp_path, display_lang="ar")


def _labels(client: TestClient, key: str, **params: str) -> dict[str, str]:
    response = client.get("/v1/themes", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return {theme["id"]: theme["label"] for theme in response.json()}


def test_theme_list_defaults_to_the_workspace_language(client: tuple[TestClient, str]) -> None:
    test_client, key = client
    assert _labels(test_client, key) == {"t1": "late delivery", "t2": "high price", "t3": LT_LABEL}
    listed = test_client.get("/v1/themes", headers=bearer(key)).json()
    first = next(theme for theme in listed if theme["id"] == "t1")
    assert first["labels"] == {"ar": AR_LABEL, "en": "late delivery"}  # every language kept


def test_theme_list_lang_picks_that_language_where_a_theme_has_it(
    client: tuple[TestClient, str],
) -> None:
    test_client, key = client
    assert _labels(test_client, key, lang="ar") == {
        "t1": AR_LABEL,
        "t2": "high price",
        "t3": LT_LABEL,
    }
    # A language no theme has a label in: every theme keeps its own main language's.
    assert _labels(test_client, key, lang="fa") == {
        "t1": AR_LABEL,
        "t2": "high price",
        "t3": LT_LABEL,
    }
    assert _labels(test_client, key) == {"t1": "late delivery", "t2": "high price", "t3": LT_LABEL}


def test_theme_detail_and_csv_follow_lang(client: tuple[TestClient, str]) -> None:
    test_client, key = client
    detail = test_client.get("/v1/themes/t1", headers=bearer(key))
    assert detail.status_code == 200, detail.text
    assert detail.json()["label"] == "late delivery"
    detail = test_client.get("/v1/themes/t1", params={"lang": "ar"}, headers=bearer(key))
    assert detail.json()["label"] == AR_LABEL
    exported = test_client.get("/v1/themes/export.csv", params={"lang": "ar"}, headers=bearer(key))
    assert exported.status_code == 200, exported.text
    rows = {
        row["theme_id"]: row["label"]
        for row in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))
    }
    assert rows == {"t1": AR_LABEL, "t2": "high price", "t3": LT_LABEL}


def test_detractor_issues_titles_follow_lang(client: tuple[TestClient, str]) -> None:
    test_client, key = client

    def issue_labels(**params: str) -> dict[str, str]:
        response = test_client.get(
            "/v1/insights/top-detractor-issues",
            params={"min_detractors": "1", **params},
            headers=bearer(key),
        )
        assert response.status_code == 200, response.text
        return {issue["theme_id"]: issue["label"] for issue in response.json()["issues"]}

    assert issue_labels()["t1"] == "late delivery"
    assert issue_labels(lang="ar")["t1"] == AR_LABEL
    assert issue_labels()["t1"] == "late delivery"  # answers are memoised per language


def test_server_setting_sets_the_default_and_lang_overrides_it(
    arabic_client: tuple[TestClient, str],
) -> None:
    test_client, key = arabic_client
    assert _labels(test_client, key)["t1"] == AR_LABEL
    assert _labels(test_client, key, lang="en")["t1"] == "late delivery"


@pytest.mark.parametrize("lang", ["e", "english!", "x" * 20])
def test_theme_list_rejects_a_malformed_lang(client: tuple[TestClient, str], lang: str) -> None:
    test_client, key = client
    response = test_client.get("/v1/themes", params={"lang": lang}, headers=bearer(key))
    assert_problem(response, 422)
