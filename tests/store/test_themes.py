"""Theme reads, statistics and renames over a mining run written by hand (no model)."""

from __future__ import annotations

import pytest

from feedback_nlp.domain import FeedbackFilter, MinedTheme, MinedUnit, MiningOutcome
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.themes.registry import ThemeRegistry
from tests.store.factory import item


def _theme(theme_id: str, level: int, size: int, parent: str | None = None) -> MinedTheme:
    return MinedTheme(
        theme_id=theme_id,
        level=level,
        label={"en": f"label {theme_id}"},
        keyphrases={"en": ["a", "b"]},
        quotes=[{"text": "q", "lang": "en", "external_id": "a"}],
        languages={"en": size},
        parent_id=parent,
        size=size,
        confidence=0.5,
    )


def _mine(store: Store, ws: int, themes: list[MinedTheme], assign: dict[str, str | None]) -> int:
    items = {i.external_id: i for i in store.mining_items(ws, FeedbackFilter())}
    sentiment = {"a0": 0.8, "b0": 0.6, "c0": -0.7, "c1": 0.0, "d0": 0.1}
    units = []
    for key, theme_id in assign.items():
        source = items[key[0]]
        score = sentiment.get(key)
        label = None
        if score is not None:
            label = "positive" if score >= 0.5 else "negative" if score <= -0.5 else "neutral"
        units.append(
            MinedUnit(
                item_id=source.item_id,
                unit_index=int(key[1]),
                start=0,
                end=4,
                text=f"unit {key}",
                lang="en",
                text_hash=source.text_hash,
                theme_id=theme_id,
                sentiment_label=label,
                sentiment_score=score,
            )
        )
    outcome = MiningOutcome(
        job_id=None,
        embedder="hand",
        started_at=utcnow(),
        item_ids=[i.item_id for i in items.values()],
        units=units,
        themes=themes,
        registry=ThemeRegistry(),
        n_unassigned=sum(1 for t in assign.values() if t is None),
        config={},
    )
    return store.save_mining(ws, outcome)


ASSIGN = {"a0": "t1", "a1": "t2", "b0": "t1", "c0": "t1", "c1": "t1", "d0": "t1", "e0": "t2"}


@pytest.fixture
def mined(store: Store) -> int:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(
        ws,
        [
            item("a", nps=10, segments={"plan": "pro"}),
            item("b", nps=9, segments={"plan": "pro"}),
            item("c", nps=3, segments={"plan": "free"}),
            item("d", segments={"plan": "free"}),
            item("e", nps=0, segments={"plan": "pro"}),
        ],
    )
    themes = [_theme("p1", 1, 7), _theme("t1", 0, 5, "p1"), _theme("t2", 0, 2, "p1")]
    _mine(store, ws, themes, ASSIGN)
    return ws


def test_theme_detail_statistics(store: Store, mined: int) -> None:
    detail = store.get_theme(mined, "t1")
    assert (detail.n_units, detail.n_items) == (5, 4)
    assert detail.sentiment == {"positive": 2, "negative": 1, "neutral": 2}
    assert detail.sentiment_mean == pytest.approx(0.16)  # (0.8 + 0.6 - 0.7 + 0.0 + 0.1) / 5
    assert detail.n_nps == 3  # d has no NPS answer
    assert detail.nps == pytest.approx(100 / 3)  # 2 promoters, 1 detractor of 3
    assert detail.segments == {"plan": {"free": 2, "pro": 2}}
    assert detail.theme.parent_id == "p1"


def test_theme_parent_covers_its_children(store: Store, mined: int) -> None:
    parent = store.get_theme(mined, "p1")
    assert parent.children == ("t1", "t2")
    assert (parent.n_units, parent.n_items) == (7, 5)
    assert parent.nps == pytest.approx(0.0)  # promoters a, b; detractors c, e
    assert parent.segments == {"plan": {"pro": 3, "free": 2}}


def test_theme_list_and_feedback_filters(store: Store, mined: int) -> None:
    assert [(t.theme_id, t.level) for t in store.list_themes(mined)] == [
        ("t1", 0),
        ("t2", 0),
        ("p1", 1),
    ]
    by_theme = store.list_feedback(mined, FeedbackFilter(theme_id="t2")).items
    assert [r.external_id for r in by_theme] == ["a", "e"]
    assert by_theme[0].theme_ids == ("t1", "t2")
    negative = store.list_feedback(mined, FeedbackFilter(sentiment="negative")).items
    assert [r.external_id for r in negative] == ["c"]
    units = store.get_units(mined, "c")
    assert [(u.unit_index, u.theme_id, u.sentiment_label) for u in units] == [
        (0, "t1", "negative"),
        (1, "t1", "neutral"),
    ]


def test_theme_rename_survives_a_new_run_and_is_in_history(store: Store, mined: int) -> None:
    renamed = store.rename_theme(mined, "t1", "  Referrals ")
    assert renamed.custom_label == "Referrals"
    assert renamed.display_label == "Referrals"
    themes = [_theme("t1", 0, 5), _theme("t3", 0, 2)]  # t2 and p1 not found again
    run = _mine(store, mined, themes, ASSIGN | {"a1": "t3", "e0": "t3"})
    t1 = store.get_theme(mined, "t1").theme
    assert (t1.custom_label, t1.last_seen_run, t1.active) == ("Referrals", run, True)
    assert [t.theme_id for t in store.list_themes(mined)] == ["t1", "t3"]
    inactive = {t.theme_id: t.active for t in store.list_themes(mined, include_inactive=True)}
    assert inactive == {"t1": True, "t3": True, "t2": False, "p1": False}
    assert [e.event for e in store.theme_history(mined, "t1")] == ["created", "renamed", "matched"]
    assert [e.event for e in store.theme_history(mined, "t2")] == ["created", "deactivated"]
    assert store.rename_theme(mined, "t1", None).display_label == "label t1"


@pytest.mark.parametrize("label", ["", "   ", "x" * 201])
def test_theme_rename_rejects_bad_labels(store: Store, mined: int, label: str) -> None:
    with pytest.raises(InvalidInputError, match="theme label"):
        store.rename_theme(mined, "t1", label)


def test_theme_other_workspace_sees_nothing(store: Store, mined: int) -> None:
    other = store.create_workspace("globex").id
    assert store.list_themes(other) == []
    with pytest.raises(NotFoundError):
        store.get_theme(other, "t1")
    with pytest.raises(NotFoundError):
        store.rename_theme(other, "t1", "x")
    assert store.get_theme(mined, "t1").theme.custom_label is None


def test_theme_units_of_an_edited_text_are_dropped(store: Store, mined: int) -> None:
    store.upsert_feedback(mined, [item("a", nps=4, segments={"plan": "pro"})])  # text unchanged
    store.upsert_feedback(mined, [item("c", "A new text.", nps=3, segments={"plan": "free"})])
    assert len(store.get_units(mined, "a")) == 2
    assert store.get_units(mined, "c") == []
    assert store.get_theme(mined, "t1").n_units == 3
