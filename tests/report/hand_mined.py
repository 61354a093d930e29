"""A workspace mined by hand (no model): hostile and right-to-left text in quotes and labels.

Used by the HTML report tests and the dashboard's TestClient tests. The mining run goes
through ``Store.save_mining`` (``tests.store.factory.save_hand_mining``), so every read path is
the real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback_nlp.domain import FeedbackIn, MinedTheme, PreparedFeedback
from feedback_nlp.store import Store
from tests.store.factory import HandUnit, save_hand_mining

HOSTILE = "<script>alert(1)</script>"
HOSTILE_SEGMENT = '"><img src=x onerror=alert(2)>'
TEXTS = {
    "en": f"The export is broken {HOSTILE} again",
    "ar": "التطبيق بطيء جدا ولا يعمل التصدير",
    "he": "הייצוא לא עובד והאפליקציה איטית",
    "fa": "برنامه خیلی کند است و خروجی کار نمی‌کند",
}
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday


def _prepared(index: int, lang: str, nps: int, plan: str) -> PreparedFeedback:
    feedback = FeedbackIn(
        external_id=f"{lang}-{index}",
        text=TEXTS[lang],
        created_at=T0 + timedelta(days=3 * index),
        nps=nps,
        csat=1 if nps <= 6 else 5,
        segments={"plan": plan, "partner": HOSTILE_SEGMENT if index % 2 else "none"},
    )
    return PreparedFeedback(item=feedback, lang=lang, lang_confidence=0.99)


def mine_by_hand(store: Store, name: str = "acme") -> int:
    """Sixteen detractors (4 per language) in theme t1, eight promoters in t2."""
    ws = store.create_workspace(name).id
    prepared = [_prepared(i, lang, 2, "pro") for lang in TEXTS for i in range(4)]
    prepared += [_prepared(10 + i, "en", 10, "free") for i in range(8)]
    store.upsert_feedback(ws, prepared)
    quotes = [{"text": TEXTS[lang], "lang": lang, "external_id": f"{lang}-0"} for lang in TEXTS]
    themes = [
        MinedTheme(
            theme_id="t_000001",
            level=0,
            label={"en": f"export {HOSTILE}", "ar": "التصدير", "he": "ייצוא", "fa": "خروجی"},
            keyphrases={"en": ["export"]},
            quotes=quotes,
            languages={"en": 4, "ar": 4, "he": 4, "fa": 4},
            parent_id=None,
            size=16,
            confidence=0.9,
        ),
        MinedTheme(
            theme_id="t_000002",
            level=0,
            label={"en": "praise"},
            keyphrases={"en": ["great"]},
            quotes=[{"text": "Great app", "lang": "en", "external_id": "en-10"}],
            languages={"en": 8},
            parent_id=None,
            size=8,
            confidence=None,
        ),
    ]
    save_hand_mining(
        store,
        ws,
        themes,
        lambda item: HandUnit(
            theme_id="t_000001" if int(item.external_id.split("-")[1]) < 10 else "t_000002",
            lang=item.external_id.split("-")[0],
            sentiment_label="negative",
            sentiment_score=-0.8,
        ),
    )
    return ws
