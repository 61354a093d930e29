"""Which feedback a listing, a report or a mining job covers: one model, one spelling.

The HTTP API (query parameters and job bodies), the CLI, the dashboard and stored job
parameters take the same fields, read by the same parsers:

* ``segment``: ``key:value`` (``plan:enterprise``), repeatable; every pair must hold.
* ``period``: a calendar window in UTC: ``2026`` (year), ``2026-09`` (month), ``2026-W38``
  (ISO week, Monday to Sunday) or ``2026-09-21`` (day).
* ``from`` / ``to``: ISO-8601 instants (naive means UTC); ``from`` is inclusive, ``to``
  exclusive. A ``period`` and ``from``/``to`` cannot be combined.

Deprecated spellings, still read until release :data:`ALIASES_REMOVED_IN`:
``created_from``/``created_to`` (:data:`DEPRECATED_ALIASES`) and the CLI's ``key=value``
segments. Giving a field and its alias at once is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from feedback_nlp.domain import FeedbackFilter
from feedback_nlp.errors import InvalidInputError

__all__ = [
    "ALIASES_REMOVED_IN",
    "DEPRECATED_ALIASES",
    "PERIOD_SPELLINGS",
    "Filters",
    "parse_instant",
    "parse_segment",
    "parse_segment_or_alias",
    "period_window",
    "resolve_aliases",
]

#: Deprecated spelling -> the field it stands for.
DEPRECATED_ALIASES: Mapping[str, str] = {"created_from": "from", "created_to": "to"}
#: The release that stops reading the deprecated spellings.
ALIASES_REMOVED_IN = "0.3.0"
PERIOD_SPELLINGS = "2026 (year), 2026-09 (month), 2026-W38 (ISO week) or 2026-09-21 (day)"

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

V = TypeVar("V")
F = TypeVar("F", bound="Filterable")


class Filterable(Protocol):
    """What :meth:`Filters.apply` narrows (an analytics ``FeedbackFrame``)."""

    def where(
        self: F,
        segment: Mapping[str, str] | None = None,
        *,
        start: object = None,
        end: object = None,
    ) -> F:
        """The items of every ``segment`` pair, created in ``[start, end)``."""
        ...


def parse_instant(value: object, name: str) -> datetime:
    """An ISO-8601 date or instant as a UTC-aware datetime (naive means UTC).

    Args:
        value: ISO-8601 text (``2026-09-01``, ``2026-09-01T00:00:00Z``) or a datetime.
        name: The field as the caller spelled it, for the message.

    Raises:
        InvalidInputError: If ``value`` does not parse.
    """
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInputError(
            f"The '{name}' filter must be an ISO-8601 date or instant "
            f"(2026-09-01 or 2026-09-01T00:00:00Z). Got {value!r}."
        )
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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


def parse_segment(value: str) -> tuple[str, str]:
    """``"plan:enterprise"`` -> ``("plan", "enterprise")``; splits on the first ``:``.

    The key is stripped of surrounding spaces; the value is kept as written (it may hold ``:``).

    Raises:
        InvalidInputError: If there is no ``:``, or the key or the value is empty.
    """
    key, sep, wanted = value.partition(":")
    if not sep or not key.strip() or not wanted:
        raise InvalidInputError(
            f"A segment filter must be 'key:value' (plan:enterprise). Got {value!r}. "
            "Fix the value or drop the filter."
        )
    return key.strip(), wanted


def parse_segment_or_alias(value: str) -> tuple[tuple[str, str], bool]:
    """A ``key:value`` segment, or the deprecated ``key=value`` (an ``=`` before any ``:``).

    Returns:
        The ``(key, value)`` pair and whether the deprecated spelling was used.

    Raises:
        InvalidInputError: If the value is neither spelling (see :func:`parse_segment`).
    """
    equals, colon = value.find("="), value.find(":")
    if equals >= 0 and (colon < 0 or equals < colon):
        return parse_segment(f"{value[:equals]}:{value[equals + 1 :]}"), True
    return parse_segment(value), False


def resolve_aliases(values: Mapping[str, V | None]) -> tuple[dict[str, V | None], tuple[str, ...]]:
    """``values`` with each deprecated alias (:data:`DEPRECATED_ALIASES`) read as its field.

    ``None`` counts as not given. Other keys pass unchanged.

    Returns:
        The values under the current names, and the aliases that were given.

    Raises:
        InvalidInputError: If a field and its alias are both given.
    """
    resolved = {key: value for key, value in values.items() if key not in DEPRECATED_ALIASES}
    used: list[str] = []
    for alias, name in DEPRECATED_ALIASES.items():
        value = values.get(alias)
        if value is None:
            continue
        if resolved.get(name) is not None:
            raise InvalidInputError(
                f"Give '{name}' or its deprecated alias '{alias}', not both. "
                f"Got {name}={resolved[name]!r}, {alias}={value!r}. Drop '{alias}'."
            )
        resolved[name] = value
        used.append(alias)
    return resolved, tuple(used)


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Filters:
    """A segment (all pairs must hold) and a time window ``[start, end)``; empty = everything.

    Attributes:
        segment: ``(key, value)`` pairs.
        start: Items created at or after this instant (the ``from`` field).
        end: Items created before this instant (the ``to`` field).
        period: The calendar period the window came from (``2026-09``), if any.
    """

    segment: tuple[tuple[str, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    period: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> tuple[Filters, tuple[str, ...]]:
        """Filters from named fields: ``segment``, ``period``, ``from``, ``to`` or their aliases.

        ``None`` (or a missing key) does not filter; other keys are ignored.

        Returns:
            The filters, and the deprecated aliases (:data:`DEPRECATED_ALIASES`) that were used.

        Raises:
            InvalidInputError: As :meth:`parse`, and if a field and its alias are both given.
        """
        wanted = ("from", "to", *DEPRECATED_ALIASES)
        window, aliases = resolve_aliases({name: fields.get(name) for name in wanted})
        spelled = {DEPRECATED_ALIASES[alias]: alias for alias in aliases}
        filters = cls.parse(
            segment=fields.get("segment"),
            period=fields.get("period"),
            start=window["from"],
            end=window["to"],
            names=(spelled.get("from", "from"), spelled.get("to", "to")),
        )
        return filters, aliases

    @classmethod
    def parse(
        cls,
        segment: Sequence[str] | None = None,
        period: str | None = None,
        start: object = None,
        end: object = None,
        *,
        names: tuple[str, str] = ("from", "to"),
    ) -> Filters:
        """Filters from their text forms (see the module docstring).

        Args:
            segment: ``key:value`` texts.
            period: A calendar period.
            start: The ``from`` instant (ISO-8601 text or a datetime).
            end: The ``to`` instant.
            names: How the caller spelled ``from`` and ``to`` (for messages).

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
        low = None if start is None else parse_instant(start, names[0])
        high = None if end is None else parse_instant(end, names[1])
        if period is not None:
            low, high = period_window(period)
        if low is not None and high is not None and low >= high:
            raise InvalidInputError(
                f"The 'from' instant must be before 'to'. Got from={low.isoformat()}, "
                f"to={high.isoformat()}."
            )
        return cls(segment=pairs, start=low, end=high, period=period)

    def apply(self, frame: F) -> F:
        """The part of ``frame`` these filters keep (``frame`` itself when there are none).

        Raises:
            InvalidInputError: If a segment key is not an attribute of the frame.
        """
        if not self.segment and self.start is None and self.end is None:
            return frame
        return frame.where(dict(self.segment), start=self.start, end=self.end)

    def feedback_filter(
        self,
        *,
        source: str | None = None,
        theme_id: str | None = None,
        sentiment: str | None = None,
    ) -> FeedbackFilter:
        """The store's item filter of these filters, narrowed by the listing's other fields."""
        return FeedbackFilter(
            source=source,
            segments=self.segment,
            start=self.start,
            end=self.end,
            theme_id=theme_id,
            sentiment=sentiment,
        )

    def to_json(self) -> dict[str, object]:
        """JSON-ready form: ``{"segment": {key: value}, "period", "from", "to"}``."""
        return {
            "segment": dict(self.segment),
            "period": self.period,
            "from": None if self.start is None else self.start.isoformat(),
            "to": None if self.end is None else self.end.isoformat(),
        }
