"""Validation of the outcome fields of a raw row: customer, response times, churn, revenue.

Pure, like :mod:`feedback_nlp.ingest.validate`, which calls :func:`check_outcomes` for every row
and turns each :class:`Problem` into a coded row error. Every field is optional:

=================================  ======================================================  =====
field                              rule                                                    code
=================================  ======================================================  =====
customer_id                        string (or integer) of 1..200 characters, no NUL        E112
first_response_at                  ISO-8601 instant, not before ``created_at``             E113
first_response_minutes             number of minutes in 0..52,560,000 (100 years)          E113
resolved_at                        ISO-8601 instant, not before ``created_at``             E114
resolution_minutes                 number of minutes in 0..52,560,000                      E114
churned                            boolean                                                 E115
churned_at                         ISO-8601 instant, only with ``churned: true``, not      E115
                                   before ``created_at``
revenue                            number in 0..1e15 (revenue or lifetime value at stake)  E116
currency                           active ISO 4217 code; the workspace's currency          E117
=================================  ======================================================  =====

Times are kept as minutes from ``created_at``: an instant (``resolved_at``) is converted, so it
needs the row's ``created_at``; minutes given directly do not. A row that gives both an instant
and its minutes is accepted when they agree to within a second, else rejected. Revenue carries no
currency of its own: it is in the workspace's currency, so a row that names another currency is
rejected rather than mixed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedback_nlp import error_codes
from feedback_nlp.constraints import Interval
from feedback_nlp.currency import CURRENCIES
from feedback_nlp.error_codes import ErrorCode

__all__ = [
    "MAX_MINUTES",
    "MAX_REVENUE",
    "MINUTES",
    "OUTCOME_FIELDS",
    "REVENUE",
    "Problem",
    "check_outcomes",
    "parse_instant",
]

OUTCOME_FIELDS: tuple[str, ...] = (
    "customer_id",
    "first_response_at",
    "first_response_minutes",
    "resolved_at",
    "resolution_minutes",
    "churned",
    "churned_at",
    "revenue",
    "currency",
)
MAX_MINUTES = 100 * 365 * 24 * 60
MAX_REVENUE = 1e15
#: A duration in minutes (``first_response_minutes``, ``resolution_minutes``): up to 100 years.
MINUTES = Interval("float", 0, MAX_MINUTES)
#: Revenue or lifetime value at stake, in the workspace's currency.
REVENUE = Interval("float", 0, MAX_REVENUE)
MAX_CUSTOMER_ID_CHARS = 200
_AGREE_MINUTES = 1 / 60  # an instant and its minutes may differ by rounding to the second
_MIN_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
_MAX_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)  # pandas' nanosecond range ends in 2262
_SURROGATE = re.compile("[\ud800-\udfff]")
_INSTANT = (
    "an ISO-8601 date-time such as '2024-05-01T12:30:00Z' in the years "
    f"{_MIN_INSTANT.year}..{_MAX_INSTANT.year - 1}"
)
_DROP = "Fix the value or drop the field."


@dataclass(frozen=True, slots=True)
class Problem:
    """One field that failed its rule: ``expected`` completes "must be ...", ``fix`` the advice."""

    field: str
    error: ErrorCode
    expected: str
    got: object
    fix: str


def parse_instant(value: object) -> datetime | None:
    """An ISO-8601 string as a UTC instant (naive means UTC); ``None`` when it is not one.

    Instants outside the years 1900..2199 are not accepted (the analytics hold nanoseconds).
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        return None
    return parsed if _MIN_INSTANT <= parsed < _MAX_INSTANT else None


def _number(value: object, scale: Interval) -> float | None:
    """``value`` as a float when ``scale`` accepts it (NaN, bools and ``None`` never)."""
    if not scale.accepts(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _customer(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_CUSTOMER_ID_CHARS or "\x00" in text or _SURROGATE.search(text):
        return None
    return text


class _Hidden:
    """Stands for a customer id in a message: its value is never echoed."""

    def __init__(self, value: object) -> None:
        self.text = (
            f"(not shown: {len(value)} characters)"
            if isinstance(value, str)
            else f"(not shown: {type(value).__name__})"
        )

    def __str__(self) -> str:
        return self.text


def _minutes(created_at: datetime, instant: datetime) -> float:
    return (instant - created_at).total_seconds() / 60


class _Checker:
    """Collects the values and problems of one row (at most one problem per field)."""

    def __init__(self, row: Mapping[str, Any], created_at: datetime | None) -> None:
        self.row = row
        self.created_at = created_at
        self.values: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def given(self, field: str) -> bool:
        return self.row.get(field) is not None

    def fail(self, field: str, error: ErrorCode, expected: str, fix: str = _DROP) -> None:
        self.problems.append(Problem(field, error, expected, self.row.get(field), fix))

    def instant(self, field: str, error: ErrorCode) -> datetime | None:
        """The field's instant, checked not to be before ``created_at`` (``None``: a problem)."""
        parsed = parse_instant(self.row.get(field))
        if parsed is None:
            self.fail(field, error, _INSTANT)
        elif self.created_at is not None and parsed < self.created_at:
            self.fail(
                field,
                error,
                f"at or after the row's created_at ({self.created_at.isoformat()})",
                "Fix the instant or the row's created_at.",
            )
        else:
            return parsed
        return None

    def duration(self, at_field: str, minutes_field: str, error: ErrorCode, what: str) -> None:
        """``minutes_field`` from the instant, the minutes given, or both when they agree."""
        minutes: float | None = None
        if self.given(minutes_field):
            minutes = _number(self.row.get(minutes_field), MINUTES)
            if minutes is None:
                self.fail(
                    minutes_field,
                    error,
                    f"a number of minutes in 0..{MAX_MINUTES:,} ({what}, from created_at)",
                )
                return
        if self.given(at_field):
            if self.created_at is None and not self.row.get("created_at"):
                self.fail(
                    at_field,
                    error,
                    "given with the row's created_at (the time is measured from it)",
                    f"Add created_at, or send {minutes_field} instead.",
                )
                return
            instant = self.instant(at_field, error)
            if instant is None or self.created_at is None:
                return  # a bad instant, or a bad created_at (reported on its own)
            derived = _minutes(self.created_at, instant)
            if minutes is not None and abs(derived - minutes) > _AGREE_MINUTES:
                self.fail(
                    minutes_field,
                    error,
                    f"the minutes from created_at to {at_field} ({derived:g}) when both are given",
                    "Send one of the two, or make them agree.",
                )
                return
            minutes = derived if minutes is None else minutes
        if minutes is not None:
            self.values[minutes_field] = minutes


def check_outcomes(
    row: Mapping[str, Any], created_at: datetime | None, *, currency: str | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Check the outcome fields of one raw row.

    Args:
        row: The raw row (only the fields of :data:`OUTCOME_FIELDS` are read).
        created_at: The row's validated ``created_at``; ``None`` when it has none or a bad one.
        currency: The workspace's currency; a row naming another is rejected (``None``: any
            active ISO 4217 code is accepted).

    Returns:
        ``(values, problems)``: the valid fields as :class:`~feedback_nlp.domain.FeedbackIn`
        keywords (``customer_id``, ``first_response_minutes``, ``resolution_minutes``,
        ``churned``, ``churned_at``, ``revenue``), and one problem per invalid field.
    """
    if row.keys().isdisjoint(OUTCOME_FIELDS):  # most rows: nothing to check
        return {}, []
    check = _Checker(row, created_at)
    if check.given("customer_id"):
        customer = _customer(row.get("customer_id"))
        if customer is None:  # the id is personal data: the message does not quote it
            check.problems.append(
                Problem(
                    "customer_id",
                    error_codes.ROW_CUSTOMER_ID,
                    f"a string of 1..{MAX_CUSTOMER_ID_CHARS} characters without NUL",
                    _Hidden(row.get("customer_id")),
                    "Send the customer's id in your system as a string.",
                )
            )
        else:
            check.values["customer_id"] = customer
    check.duration(
        "first_response_at",
        "first_response_minutes",
        error_codes.ROW_FIRST_RESPONSE,
        "the first response",
    )
    check.duration(
        "resolved_at", "resolution_minutes", error_codes.ROW_RESOLUTION, "the resolution"
    )
    churned: bool | None = None
    if check.given("churned"):
        value = row.get("churned")
        if isinstance(value, bool):
            churned = check.values["churned"] = value
        else:
            check.fail("churned", error_codes.ROW_CHURN, "a boolean (true or false)")
    if check.given("churned_at"):
        if churned is True:
            instant = check.instant("churned_at", error_codes.ROW_CHURN)
            if instant is not None:
                check.values["churned_at"] = instant
        elif churned is False or not check.given("churned"):  # a bad churned is reported
            check.fail(
                "churned_at",
                error_codes.ROW_CHURN,
                "given only with churned: true",
                "Add churned: true, or drop churned_at.",
            )
    if check.given("revenue"):
        revenue = _number(row.get("revenue"), REVENUE)
        if revenue is None:
            check.fail("revenue", error_codes.ROW_REVENUE, f"a number in 0..{MAX_REVENUE:g}")
        else:
            check.values["revenue"] = revenue
    if check.given("currency"):
        _check_currency(check, currency)
    return check.values, check.problems


def _check_currency(check: _Checker, currency: str | None) -> None:
    value = check.row.get("currency")
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in CURRENCIES:
        check.fail(
            "currency",
            error_codes.UNKNOWN_CURRENCY,
            "an active ISO 4217 code such as 'USD' or 'EUR'",
            "Use the three-letter code of the currency.",
        )
    elif currency is not None and code != currency:
        check.fail(
            "currency",
            error_codes.UNKNOWN_CURRENCY,
            f"the workspace's currency '{currency}' (revenue is not converted)",
            "Convert the revenue to the workspace's currency, or change the workspace's.",
        )
