"""``FeedbackPublic`` is ``FeedbackRecord`` under the API's names: they cannot drift apart."""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from api.schemas import FeedbackPublic
from feedback_nlp.domain import FeedbackRecord

RENAMED = {"external_id": "id"}
"""Record field -> public field, where the API names it otherwise."""


def _as_json_shape(annotation: Any) -> Any:
    """``tuple[X, ...]`` as ``list[X]`` (JSON has no tuples), inside unions too."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list[_as_json_shape(args[0])]
    if origin is types.UnionType:
        shaped = [_as_json_shape(arg) for arg in args]
        union = shaped[0]
        for arg in shaped[1:]:
            union = union | arg
        return union
    return annotation


def test_feedback_public_has_every_feedback_record_field_with_its_type() -> None:
    record_types = typing.get_type_hints(FeedbackRecord)
    expected = {
        RENAMED.get(f.name, f.name): _as_json_shape(record_types[f.name])
        for f in fields(FeedbackRecord)
    }
    public = {name: info.annotation for name, info in FeedbackPublic.model_fields.items()}
    assert public == expected


def test_feedback_public_of_reads_every_field_off_the_record() -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    record = FeedbackRecord(
        external_id="r-1",
        text="Courier never came. Email [EMAIL].",
        lang="en",
        lang_confidence=0.98,
        pii_kinds=("email",),
        truncated=False,
        source="ticket",
        created_at=at,
        nps=3,
        csat=2,
        ces=5.5,
        segments={"plan": "pro"},
        ingested_at=at,
        updated_at=at,
        theme_ids=("t_000001", "t_000004"),
        customer_id="c_0123456789abcdef",
        first_response_minutes=12.0,
        resolution_minutes=240.0,
        churned=True,
        churned_at=at,
        revenue=120.5,
    )
    body = FeedbackPublic.of(record).model_dump(mode="json")
    assert list(body) == list(FeedbackPublic.model_fields)  # the documented order
    assert body["id"] == "r-1"
    assert body["pii_kinds"] == ["email"]
    assert body["theme_ids"] == ["t_000001", "t_000004"]
    for f in fields(FeedbackRecord):
        if f.name not in RENAMED and not isinstance(getattr(record, f.name), tuple | datetime):
            assert body[f.name] == getattr(record, f.name), f.name
    assert body["created_at"] == body["churned_at"] == "2026-03-01T09:30:00Z"
