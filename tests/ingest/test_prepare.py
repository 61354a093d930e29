from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback_nlp.domain import FeedbackIn
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.langid_process import LanguageIdProcess
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


def test_prepare_in_the_child_process_equals_prepare_here() -> None:
    items = [
        FeedbackIn(
            external_id="a",
            text="Write to dana@example.com or call +44 20 7946 0958: the refund never came.",
            segments={"contact": "omer@example.org", "plan": "pro"},
            customer_id="cust-17",
        ),
        FeedbackIn(external_id="b", text="המשלוח הגיע באיחור של שבוע שלם, מאוד מאכזב"),
        FeedbackIn(external_id="c", text="ok"),
    ]
    key = b"k" * 32
    here = prepare_items(items, PiiRedactor(), LanguageIdentifier(), customer_key=key)
    with LanguageIdProcess() as child:
        there = prepare_items(items, PiiRedactor(), child, customer_key=key)
    assert [p.item for p in there] == [p.item for p in here]
    assert [(p.lang, p.pii_kinds) for p in there] == [(p.lang, p.pii_kinds) for p in here]
    assert [p.lang_confidence for p in there] == pytest.approx([p.lang_confidence for p in here])
    assert there[0].item.segments["contact"] == "[EMAIL]"
    assert there[0].pii_kinds == ("email", "phone")
