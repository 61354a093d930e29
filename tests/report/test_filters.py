from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.report.filters import ReportFilters, period_window


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-09", datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
        ("2026-12", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-W38", datetime(2026, 9, 14, tzinfo=UTC), datetime(2026, 9, 21, tzinfo=UTC)),
        ("2026-09-21", datetime(2026, 9, 21, tzinfo=UTC), datetime(2026, 9, 22, tzinfo=UTC)),
    ],
)
def test_period_window_reads_every_spelling(text: str, start: datetime, end: datetime) -> None:
    assert period_window(text) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "Sept", "2026-W54", "2026-02-30", "week"])
def test_period_window_rejects_bad_spellings(text: str) -> None:
    with pytest.raises(InvalidInputError, match="'period' filter must be"):
        period_window(text)


def test_report_filters_reject_period_with_from_and_repeated_keys() -> None:
    with pytest.raises(InvalidInputError, match="either 'period' or 'from'/'to'"):
        ReportFilters.parse(period="2026-09", start="2026-09-01")
    with pytest.raises(InvalidInputError, match="filtered once"):
        ReportFilters.parse(segment=["plan:a", "plan:b"])
    with pytest.raises(InvalidInputError, match="before 'to'"):
        ReportFilters.parse(start="2026-09-02", end="2026-09-01")


def test_report_filters_naive_instants_are_utc() -> None:
    filters = ReportFilters.parse(start="2026-09-01", end="2026-09-02T12:00:00+02:00")
    assert filters.start == datetime(2026, 9, 1, tzinfo=UTC)
    assert filters.end == datetime(2026, 9, 2, 10, tzinfo=UTC)
