"""Which feedback a report covers: segment values and a time window, parsed from user text.

The CLI and the API take the same spellings:

* ``segment``: ``key:value`` (``plan:enterprise``), repeatable; every pair must hold.
* ``period``: a calendar window in UTC: ``2026`` (year), ``2026-09`` (month), ``2026-W38``
  (ISO week, Monday to Sunday) or ``2026-09-21`` (day).
* ``from`` / ``to``: ISO-8601 instants (naive means UTC); ``from`` is inclusive, ``to``
  exclusive. A ``period`` and ``from``/``to`` cannot be combined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.segments import parse_segment

__all__ = ["ReportFilters", "parse_instant", "parse_segment", "period_window"]

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
PERIOD_SPELLINGS = "2026 (year), 2026-09 (month), 2026-W38 (ISO week) or 2026-09-21 (day)"


def period_window(value: str) -> tuple[datetime, datetime]:
    """The UTC window ``[start, end)`` of a calendar period.

    Raises:
        InvalidInputError: If ``value`` is not one of the spellings in the module docstring.
    """
    text = value.strip()
    try:
        if match := _YEAR.match(text):
            year = int(match[1])
            return _utc(date(year, 1, 1)), _utc(date(year + 1, 1, 1))
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            following = date(year + month // 12, month % 12 + 1, 1)
            return _utc(date(year, month, 1)), _utc(following)
        if match := _WEEK.match(text):
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return _utc(monday), _utc(monday + timedelta(days=7))
        if match := _DAY.match(text):
            day = date(int(match[1]), int(match[2]), int(match[3]))
            return _utc(day), _utc(day + timedelta(days=1))
    except ValueError:
        pass
    raise InvalidInputError(f"The 'period' filter must be {PERIOD_SPELLINGS}. Got {value!r}.")


def parse_instant(value: str | datetime, name: str) -> datetime:
    """An ISO-8601 instant as a UTC-aware datetime (naive means UTC).

    Raises:
        InvalidInputError: If ``value`` does not parse.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"The '{name}' filter must be an ISO-8601 date or instant "
                f"(2026-09-01 or 2026-09-01T00:00:00Z). Got {value!r}."
            ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """A segment (all pairs must hold) and a time window ``[start, end)``; empty = everything.

    Attributes:
        segment: ``(key, value)`` pairs.
        start: Items created at or after this instant.
        end: Items created before this instant.
        period: The calendar period the window came from (``2026-09``), if any.
    """

    segment: tuple[tuple[str, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    period: str | None = None

    @classmethod
    def parse(
        cls,
        segment: Sequence[str] | None = None,
        period: str | None = None,
        start: str | datetime | None = None,
        end: str | datetime | None = None,
    ) -> ReportFilters:
        """Filters from their text forms (see the module docstring).

        Raises:
            InvalidInputError: If a value does not parse, a key repeats, a period is combined
                with ``from``/``to``, or the window is empty.
        """
        pairs = tuple(parse_segment(value) for value in segment or ())
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise InvalidInputError(
                f"Each segment key may be filtered once. Got {repeated} more than once."
            )
        if period is not None and (start is not None or end is not None):
            raise InvalidInputError(
                "Give either 'period' or 'from'/'to', not both. "
                f"Got period={period!r}, from={start!r}, to={end!r}."
            )
        low = None if start is None else parse_instant(start, "from")
        high = None if end is None else parse_instant(end, "to")
        if period is not None:
            low, high = period_window(period)
        if low is not None and high is not None and low >= high:
            raise InvalidInputError(
                f"The 'from' instant must be before 'to'. Got from={low.isoformat()}, "
                f"to={high.isoformat()}."
            )
        return cls(segment=pairs, start=low, end=high, period=period)

    def apply(self, frame: FeedbackFrame) -> FeedbackFrame:
        """The part of ``frame`` these filters keep (``frame`` itself when there are none).

        Raises:
            InvalidInputError: If a segment key is not an attribute of the frame.
        """
        if not self.segment and self.start is None and self.end is None:
            return frame
        return frame.where(dict(self.segment), start=self.start, end=self.end)

    def to_json(self) -> dict[str, object]:
        """JSON-ready form: ``{"segment": {key: value}, "period", "from", "to"}``."""
        return {
            "segment": dict(self.segment),
            "period": self.period,
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
        }
