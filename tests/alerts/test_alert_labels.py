"""Alert messages name themes by the label the API shows by default (the workspace's language)."""

from __future__ import annotations

from feedback_nlp.alerts.service import alert_inputs
from feedback_nlp.store import Store
from tests.store.factory import HandUnit, item, mined_theme, save_hand_mining


def test_alert_inputs_label_themes_in_the_workspace_language(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item(f"i{n}") for n in range(3)])
    themes = [
        mined_theme("t1", {"en": "refund"}, {"en": 6}),
        # mostly Arabic, but the workspace reads English (7 of 10 units): its English label
        mined_theme("t2", {"ar": "تأخر التوصيل", "en": "late delivery"}, {"ar": 3, "en": 1}),
        mined_theme("t3", {"ar": ""}, {"ar": 1}),  # no label at all: its id
    ]
    save_hand_mining(store, ws, themes, lambda _: HandUnit(None, "en", "neutral", 0.0))
    assert alert_inputs(store, ws).labels == {
        "t1": "refund",
        "t2": "late delivery",
        "t3": "t3",
    }
