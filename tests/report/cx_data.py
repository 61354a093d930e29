"""A tiny workspace for the analytics wiring tests, stored through the Store's real methods.

Eight items (2026-09-01 .. 2026-10-02) and two themes. Hand-worked facts the tests check:

=====  ===  ====  ===  ==========  ======  =====================================================
item   nps  csat  ces  plan        region  units (theme, sentiment score, label, text)
=====  ===  ====  ===  ==========  ======  =====================================================
a      10   5     2    pro         eu      t2 +0.8 positive "Fair price"
b      9    4          pro         eu      (unassigned, no score)
c      8    3          pro         us      t2 (no score) "Price is ok"
d      3    1     6    enterprise  us      t1 -0.9 negative "Delivery took three weeks"
e      5    2     7    enterprise  eu      t1 -0.6 negative "Late again"; t2 -0.2 neutral
f      6                enterprise  us      t1 -0.8 negative "Parcel never came"
g           5          free                t1 (no score) "Slow shipping"
h      10              free        us      (unassigned, no score)
=====  ===  ====  ===  ==========  ======  =====================================================

* NPS: 7 answers (1 missing), promoters a b h, detractors d e f -> 0; adjusted Wald (n' = 10,
  p+' = p-' = 0.375): half-width 1.96 * sqrt(0.75 / 10) = 0.53677 -> [-53.68, 53.68].
* CSAT: 6 answers, 3 of them 4-5 -> 50 %; Wilson [18.76, 81.24]. CES: 2, 6, 7 -> mean 5 (n 3).
* Theme t1 (custom label "Late delivery"): NPS answers d e f (all detractors) -> -100; the others
  (a b c h: 3 promoters, 1 passive) -> 75; impact = 0 - 75 = -75. t2: impact 0 (not an issue).
* Quotes of t1, most negative first: "Delivery took three weeks", "Parcel never came",
  "Late again".
* period 2026-09 (a..f): NPS (2 - 3) / 6 = -16.67; t1 impact = -16.67 - 66.67 = -83.33.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from feedback_nlp.domain import (
    FeedbackFilter,
    FeedbackIn,
    MinedTheme,
    MinedUnit,
    MiningOutcome,
    PreparedFeedback,
)
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.themes.registry import ThemeRegistry

ITEMS: list[tuple[str, int | None, int | None, float | None, dict[str, str], str]] = [
    ("a", 10, 5, 2.0, {"plan": "pro", "region": "eu"}, "2026-09-01T10:00:00"),
    ("b", 9, 4, None, {"plan": "pro", "region": "eu"}, "2026-09-02T10:00:00"),
    ("c", 8, 3, None, {"plan": "pro", "region": "us"}, "2026-09-08T10:00:00"),
    ("d", 3, 1, 6.0, {"plan": "enterprise", "region": "us"}, "2026-09-09T10:00:00"),
    ("e", 5, 2, 7.0, {"plan": "enterprise", "region": "eu"}, "2026-09-15T10:00:00"),
    ("f", 6, None, None, {"plan": "enterprise", "region": "us"}, "2026-09-16T10:00:00"),
    ("g", None, 5, None, {"plan": "free"}, "2026-10-01T10:00:00"),
    ("h", 10, None, None, {"plan": "free", "region": "us"}, "2026-10-02T10:00:00"),
]

# (item, unit index, theme, score, label, text)
UNITS: list[tuple[str, int, str | None, float | None, str | None, str]] = [
    ("a", 0, "t2", 0.8, "positive", "Fair price"),
    ("b", 0, None, None, None, "Nice people"),
    ("c", 0, "t2", None, None, "Price is ok"),
    ("d", 0, "t1", -0.9, "negative", "Delivery took three weeks"),
    ("e", 0, "t1", -0.6, "negative", "Late again"),
    ("e", 1, "t2", -0.2, "neutral", "and pricey"),
    ("f", 0, "t1", -0.8, "negative", "Parcel never came"),
    ("g", 0, "t1", None, None, "Slow shipping"),
    ("h", 0, None, None, None, "Love it"),
]


# Outcome fields for ``seed_workspace(store, outcomes=OUTCOMES)``. By hand:
# * resolution minutes a 30, b 20, c 40, h 10; t1 (d e f g) 600, 480, 720, 540 -> median of t1
#   (540 + 600) / 2 = 570, of the others (10, 20, 30, 40) 25: effect 545.
# * churned b d e g: t1's customers d e f g 3 of 4, the others a b c h 1 of 4 -> lift 3.
# * at risk (detractor d e f, or churned b d e g): b 50, d 1000, e 500, f 200, g unknown ->
#   1750 in all; t1 (d e f g) 1700, t2 (a c e: only e at risk) 500.
OUTCOME_MINUTES = {"a": 30, "b": 20, "c": 40, "d": 600, "e": 480, "f": 720, "g": 540, "h": 10}
OUTCOME_CHURNED = {"b", "d", "e", "g"}
OUTCOME_REVENUE = {"a": 100, "b": 50, "c": 0, "d": 1000, "e": 500, "f": 200, "h": 80}
OUTCOMES: dict[str, dict[str, Any]] = {
    key: {
        "resolution_minutes": float(minutes),
        "churned": key in OUTCOME_CHURNED,
        **({"revenue": float(OUTCOME_REVENUE[key])} if key in OUTCOME_REVENUE else {}),
    }
    for key, minutes in OUTCOME_MINUTES.items()
}


def _theme(theme_id: str, label: str, size: int) -> MinedTheme:
    return MinedTheme(
        theme_id=theme_id,
        level=0,
        label={"en": label},
        keyphrases={"en": [label]},
        quotes=[],
        languages={"en": size},
        parent_id=None,
        size=size,
        confidence=0.9,
    )


def seed_workspace(
    store: Store,
    name: str = "acme",
    *,
    general: Sequence[str] = (),
    outcomes: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Store the items above in workspace ``name``, mine them by hand; return its id.

    ``general``: themes the hand-made run puts in the general-sentiment pool. ``outcomes``:
    outcome fields (``resolution_minutes``, ``churned``...) of some items, by item.
    """
    ws = store.create_workspace(name).id
    prepared = [
        PreparedFeedback(
            item=FeedbackIn(
                external_id=external_id,
                text=" ".join(u[5] for u in UNITS if u[0] == external_id),
                created_at=datetime.fromisoformat(created).replace(tzinfo=UTC),
                nps=nps,
                csat=csat,
                ces=ces,
                segments=segments,
                **(outcomes or {}).get(external_id, {}),
            ),
            lang="en",
            lang_confidence=0.9,
        )
        for external_id, nps, csat, ces, segments, created in ITEMS
    ]
    store.upsert_feedback(ws, prepared)
    stored = {i.external_id: i for i in store.mining_items(ws, FeedbackFilter())}
    units = [
        MinedUnit(
            item_id=stored[key].item_id,
            unit_index=index,
            start=0,
            end=len(text),
            text=text,
            lang="en",
            text_hash=stored[key].text_hash,
            theme_id=theme_id,
            sentiment_label=label,
            sentiment_score=score,
        )
        for key, index, theme_id, score, label, text in UNITS
    ]
    outcome = MiningOutcome(
        job_id=None,
        embedder="hand",
        started_at=utcnow(),
        item_ids=[i.item_id for i in stored.values()],
        units=units,
        themes=[_theme("t1", "delivery slow", 4), _theme("t2", "price", 3)],
        registry=ThemeRegistry(),
        n_unassigned=2,
        config={"general_theme_ids": list(general)} if general else {},
    )
    store.save_mining(ws, outcome)
    store.rename_theme(ws, "t1", "Late delivery")
    return ws


def seed_other(store: Store) -> int:
    """A second workspace: two promoters and nothing else (NPS 100), segment plan=pro."""
    ws = store.create_workspace("other").id
    store.upsert_feedback(
        ws,
        [
            PreparedFeedback(
                item=FeedbackIn(
                    external_id=f"o{k}",
                    text="Great",
                    created_at=datetime(2026, 9, 3, tzinfo=UTC),
                    nps=10,
                    segments={"plan": "pro"},
                ),
                lang="en",
                lang_confidence=0.9,
            )
            for k in range(2)
        ],
    )
    return ws
