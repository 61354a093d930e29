from __future__ import annotations

from datetime import UTC, datetime

from feedback_nlp.domain import FeedbackIn
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor


def test_prepare_redacts_before_language_id() -> None:
    items = [
        FeedbackIn(
            external_id="a",
            text="Please call me back at +44 20 7946 0958, the delivery was late again.",
            created_at=datetime(2024, 5, 1, tzinfo=UTC),
            nps=3,
        ),
        FeedbackIn(external_id="b", text="המשלוח הגיע באיחור של שבוע שלם, מאוד מאכזב"),
    ]
    prepared = prepare_items(items, PiiRedactor(), LanguageIdentifier())
    assert prepared[0].item.text == "Please call me back at [PHONE], the delivery was late again."
    assert prepared[0].pii_kinds == ("phone",)
    assert prepared[0].lang == "en"
    assert prepared[0].item.nps == 3
    assert prepared[0].item.external_id == "a"
    assert prepared[1].lang == "he"
    assert prepared[1].pii_kinds == ()
    assert prepared[1].item.text == items[1].text
