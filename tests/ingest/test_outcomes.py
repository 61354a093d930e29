"""The outcome fields of a row: customer id, response and resolution times, churn, revenue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from feedback_nlp.domain import FeedbackIn, RowError
from feedback_nlp.ingest.validate import validate_rows

CREATED = "2026-05-01T08:00:00Z"


def one(workspace_currency: str | None = None, **fields: Any) -> FeedbackIn | list[RowError]:
    row = {"id": "r1", "text": "The login fails every morning."} | fields
    good, errors = validate_rows([row], max_text_chars=1000, currency=workspace_currency)
    return good[0][1] if good else errors


def test_outcomes_absent_leave_every_field_none() -> None:
    item = one(created_at=CREATED)
    assert isinstance(item, FeedbackIn)
    assert (item.customer_id, item.first_response_minutes, item.resolution_minutes) == (
        None,
        None,
        None,
    )
    assert (item.churned, item.churned_at, item.revenue) == (None, None, None)


def test_outcomes_instants_become_minutes_from_created_at() -> None:
    item = one(
        created_at=CREATED,
        first_response_at="2026-05-01T08:45:00Z",
        resolved_at="2026-05-02T10:30:00+02:00",  # 08:30 UTC the next day
        churned=True,
        churned_at="2026-06-01",
        revenue=1200,
        customer_id="  cust-7 ",
    )
    assert isinstance(item, FeedbackIn)
    assert item.first_response_minutes == 45.0
    assert item.resolution_minutes == 24 * 60 + 30
    assert item.churned is True
    assert item.churned_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert item.revenue == 1200.0
    assert item.customer_id == "cust-7"


def test_outcomes_minutes_given_directly_need_no_created_at() -> None:
    item = one(first_response_minutes=3.5, resolution_minutes=0, churned=False)
    assert isinstance(item, FeedbackIn)
    assert (item.first_response_minutes, item.resolution_minutes, item.churned) == (3.5, 0.0, False)


def test_outcomes_instant_and_minutes_that_agree_are_accepted() -> None:
    item = one(created_at=CREATED, resolved_at="2026-05-01T10:00:00Z", resolution_minutes=120)
    assert isinstance(item, FeedbackIn)
    assert item.resolution_minutes == 120


@pytest.mark.parametrize(
    ("fields", "field", "code", "says"),
    [
        ({"resolution_minutes": -5}, "resolution_minutes", "E114", "in 0..52,560,000"),
        ({"first_response_minutes": -0.1}, "first_response_minutes", "E113", "in 0.."),
        ({"first_response_minutes": "soon"}, "first_response_minutes", "E113", "'soon'"),
        ({"resolution_minutes": float("nan")}, "resolution_minutes", "E114", "minutes"),
        ({"resolution_minutes": True}, "resolution_minutes", "E114", "minutes"),
        (
            {"created_at": CREATED, "resolved_at": "2026-04-30T08:00:00Z"},
            "resolved_at",
            "E114",
            "at or after the row's created_at",
        ),
        (
            {"created_at": CREATED, "first_response_at": "2026-05-01T07:59:59Z"},
            "first_response_at",
            "E113",
            "at or after the row's created_at",
        ),
        ({"resolved_at": "2026-05-02T00:00:00Z"}, "resolved_at", "E114", "with the row's created"),
        ({"created_at": CREATED, "resolved_at": "yesterday"}, "resolved_at", "E114", "ISO-8601"),
        (
            {
                "created_at": CREATED,
                "resolved_at": "2026-05-01T10:00:00Z",
                "resolution_minutes": 90,
            },
            "resolution_minutes",
            "E114",
            "(120) when both are given",
        ),
        ({"churned": "maybe"}, "churned", "E115", "a boolean"),
        ({"churned_at": "2026-06-01"}, "churned_at", "E115", "only with churned: true"),
        (
            {"churned": False, "churned_at": "2026-06-01"},
            "churned_at",
            "E115",
            "only with churned: true",
        ),
        (
            {"created_at": CREATED, "churned": True, "churned_at": "2026-04-01"},
            "churned_at",
            "E115",
            "at or after the row's created_at",
        ),
        ({"churned": True, "churned_at": "31/12/2026"}, "churned_at", "E115", "ISO-8601"),
        ({"revenue": -1}, "revenue", "E116", "a number in 0..1e+15"),
        ({"revenue": "lots"}, "revenue", "E116", "'lots'"),
        ({"revenue": 1e16}, "revenue", "E116", "0..1e+15"),
        ({"currency": "ZZZ"}, "currency", "E117", "an active ISO 4217 code"),
        ({"currency": 840}, "currency", "E117", "an active ISO 4217 code"),
        ({"customer_id": ""}, "customer_id", "E112", "1..200 characters"),
        ({"customer_id": "x" * 201}, "customer_id", "E112", "1..200 characters"),
        ({"customer_id": ["a"]}, "customer_id", "E112", "1..200 characters"),
    ],
)
def test_outcomes_bad_value_is_a_coded_row_error(
    fields: dict[str, Any], field: str, code: str, says: str
) -> None:
    errors = one(**fields)
    assert isinstance(errors, list)
    assert [error.field for error in errors] == [field]
    assert errors[0].reason.startswith(f"[{code}] The '{field}' field of row 0 (id 'r1') must be")
    assert says in errors[0].reason


def test_outcomes_currency_must_be_the_workspace_currency() -> None:
    assert isinstance(one(workspace_currency="EUR", revenue=10), FeedbackIn)
    assert isinstance(one(workspace_currency="EUR", revenue=10, currency=" eur"), FeedbackIn)
    errors = one(workspace_currency="EUR", revenue=10, currency="USD")
    assert isinstance(errors, list)
    assert errors[0].field == "currency"
    assert "the workspace's currency 'EUR'" in errors[0].reason


def test_outcomes_bad_customer_id_is_never_quoted() -> None:
    errors = one(customer_id="jane.doe@example.com" + "x" * 300)
    assert isinstance(errors, list)
    assert "jane" not in errors[0].reason
    assert "(not shown: 320 characters)" in errors[0].reason


def test_outcomes_integer_customer_id_becomes_text() -> None:
    item = one(customer_id=1234)
    assert isinstance(item, FeedbackIn)
    assert item.customer_id == "1234"


def test_outcomes_bad_created_at_is_reported_once() -> None:
    errors = one(created_at="not a date", resolved_at="2026-05-01T10:00:00Z")
    assert isinstance(errors, list)
    assert [error.field for error in errors] == ["created_at"]


def test_outcomes_several_bad_fields_give_one_error_each() -> None:
    errors = one(revenue=-3, churned="yes please", resolution_minutes=-1, currency="XYZ")
    assert isinstance(errors, list)
    assert [error.field for error in errors] == [
        "resolution_minutes",
        "churned",
        "revenue",
        "currency",
    ]
