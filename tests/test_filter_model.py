"""The one filter model: one instant parser, one segment parser, the deprecated aliases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback_nlp.cli.batch import mine_params
from feedback_nlp.domain import FeedbackFilter
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.filters import (
    Filters,
    parse_instant,
    parse_segment_or_alias,
    resolve_aliases,
)
from feedback_nlp.jobs.params import MineParams


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-01", datetime(2026, 9, 1, tzinfo=UTC)),
        ("2026-09-01T00:00:00Z", datetime(2026, 9, 1, tzinfo=UTC)),
        (" 2026-09-01T02:30:00+02:00 ", datetime(2026, 9, 1, 0, 30, tzinfo=UTC)),
        ("2026-09-01T12:00:00", datetime(2026, 9, 1, 12, tzinfo=UTC)),  # naive means UTC
    ],
)
def test_filters_instant_is_read_the_same_by_every_reader(text: str, expected: datetime) -> None:
    assert parse_instant(text, "from") == expected
    assert Filters.parse(start=text).start == expected
    assert Filters.parse(end=text).end == expected
    assert MineParams.from_json({"from": text}).filters.start == expected
    assert MineParams.from_json({"created_to": text}).filters.end == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", 1_700_000_000, None])
def test_filters_instant_refuses_what_is_not_iso_8601_with_one_message(value: object) -> None:
    expected = r"The 'from' filter must be an ISO-8601 date or instant \(2026-09-01 or "
    with pytest.raises(InvalidInputError, match=expected):
        parse_instant(value, "from")
    if value is not None:  # None means "no filter" to the readers
        with pytest.raises(InvalidInputError, match=expected):
            MineParams.from_json({"from": value})


def test_filters_instant_message_names_the_alias_that_was_given() -> None:
    with pytest.raises(InvalidInputError, match="The 'created_from' filter must be an ISO-8601"):
        Filters.from_fields({"created_from": "soon"})


@pytest.mark.parametrize(
    ("text", "pair", "deprecated"),
    [
        ("plan:pro", ("plan", "pro"), False),
        ("url:https://x.test/?a=b", ("url", "https://x.test/?a=b"), False),
        ("plan=pro", ("plan", "pro"), True),
        (" region =eu", ("region", "eu"), True),
        ("url=https://x.test", ("url", "https://x.test"), True),  # the '=' comes first
        ("region=لبنان", ("region", "لبنان"), True),
    ],
)
def test_filters_segment_reads_key_colon_value_and_the_deprecated_key_equals_value(
    text: str, pair: tuple[str, str], deprecated: bool
) -> None:
    assert parse_segment_or_alias(text) == (pair, deprecated)


@pytest.mark.parametrize("text", ["plan", "plan=", "=pro", ""])
def test_filters_segment_refuses_a_missing_key_or_value(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"'key:value' \(plan:enterprise\)"):
        parse_segment_or_alias(text)


def test_filters_aliases_are_read_as_their_fields() -> None:
    values, used = resolve_aliases({"from": None, "created_from": "2026-01-01", "x": 1})
    assert values == {"from": "2026-01-01", "x": 1}
    assert used == ("created_from",)
    assert resolve_aliases({"from": "a", "created_to": None}) == ({"from": "a"}, ())


@pytest.mark.parametrize(
    ("fields", "field", "alias"),
    [
        ({"from": "2026-01-01", "created_from": "2026-01-02"}, "from", "created_from"),
        ({"to": "2026-01-01", "created_to": "2026-01-01"}, "to", "created_to"),
    ],
)
def test_filters_field_and_its_alias_together_are_refused(
    fields: dict[str, str], field: str, alias: str
) -> None:
    message = f"Give '{field}' or its deprecated alias '{alias}', not both"
    with pytest.raises(InvalidInputError, match=message):
        Filters.from_fields(fields)
    with pytest.raises(InvalidInputError, match=message):
        MineParams.from_json(fields)


def test_filters_from_fields_reports_the_aliases_it_read() -> None:
    filters, used = Filters.from_fields(
        {"segment": ["plan:pro"], "created_from": "2026-01-01", "created_to": "2026-02-01"}
    )
    assert used == ("created_from", "created_to")
    assert filters == Filters(
        segment=(("plan", "pro"),),
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 2, 1, tzinfo=UTC),
    )
    current, none_used = Filters.from_fields({"from": "2026-01-01", "to": "2026-02-01"})
    assert none_used == ()
    assert (current.start, current.end) == (filters.start, filters.end)


def test_filters_feedback_filter_keeps_the_window_and_segments() -> None:
    filters = Filters.parse(segment=["plan:pro"], period="2026-09")
    assert filters.feedback_filter(source="review", theme_id="t1") == FeedbackFilter(
        source="review",
        segments=(("plan", "pro"),),
        start=datetime(2026, 9, 1, tzinfo=UTC),
        end=datetime(2026, 10, 1, tzinfo=UTC),
        theme_id="t1",
    )


def test_filters_cli_mine_warns_about_each_key_equals_value_segment() -> None:
    warnings: list[str] = []
    params = mine_params(
        segments=["plan=pro", "region:eu"],
        source=None,
        seed=0,
        n_resamples=0,
        min_theme_size=None,
        start="2026-01-01",
        warn=warnings.append,
    )
    assert params["segments"] == {"plan": "pro", "region": "eu"}
    assert params["from"] == "2026-01-01"
    assert len(warnings) == 1
    assert "'plan=pro'" in warnings[0]
    assert "'plan:pro'" in warnings[0]
