"""``FeedbackPublic`` is made from ``FeedbackRecord`` (:func:`api.public.public_model`)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from api.schemas import FeedbackPublic
from feedback_nlp.domain import FeedbackRecord

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _record() -> FeedbackRecord:
    return FeedbackRecord(
        external_id="r-1",
        text="Courier never came. Email [EMAIL].",
        lang="en",
        lang_confidence=0.98,
        pii_kinds=("email",),
        truncated=False,
        source="ticket",
        created_at=AT,
        nps=3,
        csat=2,
        ces=5.5,
        segments={"plan": "pro"},
        ingested_at=AT,
        updated_at=AT,
        theme_ids=("t_000001", "t_000004"),
        customer_id="c_0123456789abcdef",
        first_response_minutes=12.0,
        resolution_minutes=240.0,
        churned=True,
        churned_at=AT,
        revenue=120.5,
    )


def test_feedback_public_lists_the_record_fields_own_first_then_the_outcomes() -> None:
    public = list(FeedbackPublic.model_fields)
    assert public[:2] == ["id", "text"]
    assert public[-7:] == [
        "theme_ids",
        "customer_id",
        "first_response_minutes",
        "resolution_minutes",
        "churned",
        "churned_at",
        "revenue",
    ]
    assert set(public) == {f.name for f in fields(FeedbackRecord)} - {"external_id"} | {"id"}


def test_feedback_public_describes_each_field_from_the_record_docstring() -> None:
    described = FeedbackPublic.model_fields
    assert described["theme_ids"].description == "Themes of its opinion units (after a mining job)."
    assert described["churned"].description == "Whether the customer left (null: unknown)."
    assert described["customer_id"].description is not None
    assert "never the id sent" in described["customer_id"].description
    assert all(info.description for info in described.values())


def test_feedback_public_of_reads_every_field_off_the_record() -> None:
    record = _record()
    body = FeedbackPublic.of(record).model_dump(mode="json")
    assert list(body) == list(FeedbackPublic.model_fields)  # the documented order
    assert body["id"] == "r-1"
    assert body["pii_kinds"] == ["email"]
    assert body["theme_ids"] == ["t_000001", "t_000004"]
    for f in fields(FeedbackRecord):
        if f.name != "external_id" and not isinstance(getattr(record, f.name), tuple | datetime):
            assert body[f.name] == getattr(record, f.name), f.name
    assert body["created_at"] == body["churned_at"] == "2026-03-01T09:30:00Z"


def test_feedback_public_outcome_fields_default_to_null() -> None:
    schema = FeedbackPublic.model_json_schema()
    assert "revenue" not in schema["required"]
    assert "id" in schema["required"]
