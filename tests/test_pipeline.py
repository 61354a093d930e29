from __future__ import annotations

import pytest

from feedback_nlp.pipeline import TextPipeline
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.units import OpinionUnitSplitter

ITEMS = {
    "en": "Great food but delivery was late. Write to me at dana.levi@example.com please.",
    "ar": "الطعام رائع لكن التوصيل كان متأخرا جدا. اتصلوا بي على 0501234567 من فضلكم.",
    "he": "האוכל מצוין אבל המשלוח הגיע באיחור גדול. הטלפון שלי 050-123-4567 תודה רבה.",
    "fa": "غذا عالی بود اما ارسال خیلی دیر انجام شد. شماره من ۰۹۱۲۳۴۵۶۷۸۹ است لطفا تماس بگیرید.",
    "lt": "Maistas puikus, bet pristatymas labai vėlavo. Mano el. paštas jonas@example.com ačiū.",
}
PLANTED = (
    "dana.levi@example.com",
    "0501234567",
    "050-123-4567",
    "۰۹۱۲۳۴۵۶۷۸۹",
    "jonas@example.com",
)


@pytest.fixture(scope="module")
def pipeline() -> TextPipeline:
    return TextPipeline(
        redactor=PiiRedactor(),
        identifier=LanguageIdentifier(),
        splitter=OpinionUnitSplitter(),
        embedder=None,
        max_text_chars=500,
    )


def test_pipeline_redacts_before_any_later_stage(pipeline: TextPipeline) -> None:
    batch = pipeline.run(list(ITEMS.values()))
    seen = [item.text for item in batch.items] + [unit.text for unit in batch.units]
    for value in PLANTED:
        assert all(value not in text for text in seen), value
    assert {kind for item in batch.items for kind in item.pii_kinds} == {"email", "phone"}


def test_pipeline_identifies_each_language(pipeline: TextPipeline) -> None:
    batch = pipeline.run(list(ITEMS.values()))
    assert [item.lang for item in batch.items] == list(ITEMS)


@pytest.mark.parametrize("lang", list(ITEMS))
def test_pipeline_splits_praise_from_complaint(pipeline: TextPipeline, lang: str) -> None:
    batch = pipeline.run([ITEMS[lang]])
    assert len(batch.units) >= 3
    item_text = batch.items[0].text
    for unit in batch.units:
        assert item_text[unit.start : unit.end] == unit.text
    assert batch.unit_langs() == [lang] * len(batch.units)


def test_pipeline_truncates_overlong_texts(pipeline: TextPipeline) -> None:
    batch = pipeline.run(["word " * 400])
    assert batch.items[0].truncated
    assert len(batch.items[0].text) <= 500


@pytest.mark.slow
def test_pipeline_embeds_every_unit(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    pipeline = TextPipeline(
        redactor=PiiRedactor(),
        identifier=LanguageIdentifier(),
        splitter=OpinionUnitSplitter(),
        embedder=e5_embedder,
    )
    batch = pipeline.run(list(ITEMS.values()))
    assert batch.embeddings is not None
    assert batch.embeddings.shape == (len(batch.units), 384)
