"""Validation of raw feedback rows (parsed JSON objects, CSV records) into :class:`FeedbackIn`.

Pure: rows in, ``(good rows with their index, row errors)`` out. A bad row never stops the batch:
it becomes a :class:`~feedback_nlp.domain.RowError` with its index and a coded message, and every
good row is kept. Each row gets at most one error per field. A message names the row by its
number and, when the row has a usable one, its ``id`` ("row 17 (id 'r17')"); a required field
that is absent or null is "missing".

Fields (anything else is rejected, so that a typo is not silently dropped):

========== ========================================================================== =====
field      rule                                                                       code
========== ========================================================================== =====
id         required string, 1..200 characters, no NUL                                  E102
text       required string, not blank after strip, no NUL; longer texts truncated     E103
source     one of survey, review, ticket, social                                      E107
created_at ISO-8601 string, years 1900..2199; naive means UTC; absent: time of ingest E108
nps        int 0..10                                                                  E104
csat       int 1..5                                                                   E105
ces        number 1..7                                                                E106
segments   flat object, key 1..64 chars -> string, finite number or bool (stringified) E109
========== ========================================================================== =====

The optional outcome fields (``customer_id``, ``first_response_at`` / ``first_response_minutes``,
``resolved_at`` / ``resolution_minutes``, ``churned``, ``churned_at``, ``revenue``, ``currency``;
codes E112-E117) are checked by :mod:`feedback_nlp.ingest.outcomes`.

Every string must be storable as UTF-8: a lone surrogate (U+D800..U+DFFF, from a JSON escape
without its pair) rejects the row with the field's code. Values quoted in messages spell such
code points as backslash escapes, so a message can always be encoded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from feedback_nlp import error_codes
from feedback_nlp.constraints import Interval
from feedback_nlp.domain import SOURCES, FeedbackIn, RowError
from feedback_nlp.error_codes import ErrorCode
from feedback_nlp.ingest.outcomes import OUTCOME_FIELDS, check_outcomes, parse_instant
from feedback_nlp.scales import CES, CSAT, NPS
from feedback_nlp.text.pii import redact

__all__ = [
    "FIELDS",
    "MAX_ID_CHARS",
    "MAX_SEGMENTS",
    "MAX_SEGMENT_KEY_CHARS",
    "MAX_SEGMENT_VALUE_CHARS",
    "validate_rows",
]

MAX_ID_CHARS = 200
MAX_SEGMENT_KEY_CHARS = 64
MAX_SEGMENT_VALUE_CHARS = 200
MAX_SEGMENTS = 50
_MAX_ABS_INT = 2**53  # larger integers lose precision in JSON clients; nobody means them
_MIN_CREATED_AT = datetime(1900, 1, 1, tzinfo=UTC)
_MAX_CREATED_AT = datetime(2200, 1, 1, tzinfo=UTC)  # pandas' nanosecond range ends in 2262
FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "source",
    "created_at",
    "nps",
    "csat",
    "ces",
    "segments",
    *OUTCOME_FIELDS,
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNICODE = "valid Unicode (no lone surrogate such as \\ud800)"
_UNICODE_FIX = "Send UTF-8 text; a surrogate escape must come as a pair."


class _Bad(Exception):
    """A field failed its rule: ``expected`` completes 'must be ...', ``fix`` says what to do."""

    def __init__(self, error: ErrorCode, expected: str, got: object, fix: str) -> None:
        super().__init__(expected)
        self.error, self.expected, self.got, self.fix = error, expected, got, fix


def _printable(text: str) -> str:
    """``text`` with lone surrogates spelled as backslash escapes, so that it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _shown(value: object) -> str:
    """The value as quoted in a message: short, one line, its type when it is not a scalar.

    PII in it is redacted first (messages reach API answers, rejects files and logs).
    """
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    text = "null" if value is None else redact(_printable(str(value))).text.replace("\n", " ")
    if len(text) > 50:
        text = text[:47] + "..."
    return f"'{text}'"


def _in_range(error: ErrorCode, scale: Interval) -> Callable[[object], Any]:
    """A check of a score against its scale (NaN fails it; a huge int never overflows)."""

    def check(value: object) -> Any:
        if not scale.accepts(value):
            raise _Bad(error, scale.span(), value, "Fix the value or drop the field.")
        return scale.convert(value)

    return check


def _source(value: object) -> str:
    if not isinstance(value, str) or value not in SOURCES:
        raise _Bad(
            error_codes.ROW_SOURCE,
            f"one of {', '.join(SOURCES)}",
            value,
            "Use one of these or drop it.",
        )
    return value


def _external_id(value: object) -> str:
    ok = isinstance(value, str) and value.strip() and len(value) <= MAX_ID_CHARS
    if not ok or not isinstance(value, str) or "\x00" in value:
        raise _Bad(
            error_codes.ROW_ID,
            f"a non-empty string of at most {MAX_ID_CHARS} characters without NUL",
            value,
            "Give every row a unique string id.",
        )
    if _SURROGATE.search(value):
        raise _Bad(error_codes.ROW_ID, _UNICODE, value, _UNICODE_FIX)
    return value


def _created_at(value: object) -> datetime:
    parsed = parse_instant(value)  # analytics hold nanosecond timestamps: 1900..2199
    if parsed is None:
        raise _Bad(
            error_codes.ROW_CREATED_AT,
            "an ISO-8601 date-time such as '2024-05-01T12:30:00Z' in the years "
            f"{_MIN_CREATED_AT.year}..{_MAX_CREATED_AT.year - 1}",
            value,
            "Fix the value or drop the field (it then defaults to the time of ingest).",
        )
    return parsed


def _segments(value: object) -> dict[str, str]:
    fix = "Send a flat object of short keys to strings, numbers or booleans."
    if not isinstance(value, Mapping) or len(value) > MAX_SEGMENTS:
        raise _Bad(
            error_codes.ROW_SEGMENTS, f"an object of at most {MAX_SEGMENTS} entries", value, fix
        )
    out: dict[str, str] = {}
    for key, raw in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_SEGMENT_KEY_CHARS:
            raise _Bad(
                error_codes.ROW_SEGMENTS,
                f"keyed by strings of 1..{MAX_SEGMENT_KEY_CHARS} characters",
                key,
                fix,
            )
        if "\x00" in key:
            raise _Bad(error_codes.ROW_SEGMENTS, "keyed by strings without NUL", key, fix)
        if _SURROGATE.search(key):
            raise _Bad(error_codes.ROW_SEGMENTS, f"keyed by {_UNICODE}", key, _UNICODE_FIX)
        out[key] = _segment_value(key, raw, fix)
    return out


def _segment_value(key: str, raw: object, fix: str) -> str:
    expected = f"a string, finite number or boolean at key '{key}'"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        if abs(raw) > _MAX_ABS_INT:
            raise _Bad(error_codes.ROW_SEGMENTS, f"{expected} (integers within +-2^53)", raw, fix)
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _Bad(error_codes.ROW_SEGMENTS, expected, raw, fix)
        return repr(raw)
    if isinstance(raw, str) and _SURROGATE.search(raw):
        raise _Bad(
            error_codes.ROW_SEGMENTS, f"{_UNICODE} at key '{_printable(key)}'", raw, _UNICODE_FIX
        )
    if isinstance(raw, str) and len(raw) <= MAX_SEGMENT_VALUE_CHARS and "\x00" not in raw:
        return raw
    if isinstance(raw, str):
        expected = f"a string of at most {MAX_SEGMENT_VALUE_CHARS} characters without NUL"
    raise _Bad(error_codes.ROW_SEGMENTS, expected, raw, fix)


_OPTIONAL: dict[str, Callable[[object], Any]] = {
    "source": _source,
    "created_at": _created_at,
    "nps": _in_range(error_codes.ROW_NPS, NPS),
    "csat": _in_range(error_codes.ROW_CSAT, CSAT),
    "ces": _in_range(error_codes.ROW_CES, CES),
    "segments": _segments,
}
_REQUIRED = frozenset({"id", "text"})
_CHECKS: tuple[tuple[str, Callable[[object], Any] | None], ...] = (
    ("id", _external_id),
    ("text", None),  # _text, which also needs the batch's max_text_chars
    *_OPTIONAL.items(),
)
"""Every field's check, in message order; a missing optional field is not checked."""


def _text(value: object, max_text_chars: int) -> tuple[str, bool]:
    fix = "Send the feedback text as a non-empty string."
    if not isinstance(value, str) or not value.strip():
        raise _Bad(error_codes.ROW_TEXT, "a non-empty string", value, fix)
    if "\x00" in value:
        raise _Bad(
            error_codes.ROW_TEXT, "a string without NUL bytes", value, "Remove the NUL characters."
        )
    if _SURROGATE.search(value):
        raise _Bad(error_codes.ROW_TEXT, _UNICODE, value, _UNICODE_FIX)
    text = value.strip()
    if len(text) > max_text_chars:
        return text[:max_text_chars], True
    return text, False


def _row_name(index: int, row: Mapping[Any, Any]) -> str:
    """How messages name a row: its number, and its ``id`` when that is a usable string."""
    item_id = row.get("id")
    if not isinstance(item_id, str) or not item_id.strip() or len(item_id) > MAX_ID_CHARS:
        return f"row {index}"
    return f"row {index} (id {_shown(item_id)})"


def _message(bad: _Bad, field: str, row_name: str, *, missing: bool) -> str:
    problem = (  # missing: a required field absent, or JSON null
        "is missing" if missing else f"must be {bad.expected}. Got {_shown(bad.got)}"
    )
    return bad.error.format(field=field, row=row_name, problem=problem, fix=bad.fix)


def _validate_row(
    index: int, row: object, max_text_chars: int, currency: str | None
) -> FeedbackIn | list[RowError]:
    if not isinstance(row, Mapping):
        reason = error_codes.INVALID_REQUEST.format(
            detail=f"Row {index} must be an object of fields. Got {_shown(row)}. Send one."
        )
        return [RowError(index, "row", reason)]
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    for field in row:
        if field not in FIELDS:
            reason = error_codes.ROW_UNKNOWN_FIELD.format(
                row=index, got=_shown(field), known=", ".join(FIELDS)
            )
            errors.append(RowError(index, redact(_printable(str(field))).text, reason))
    for field, check in _CHECKS:
        value = row.get(field)
        if value is None and field not in _REQUIRED:
            continue
        try:
            values[field] = _text(value, max_text_chars) if check is None else check(value)
        except _Bad as bad:  # the row's name (its id redacted) is only made for a message
            reason = _message(bad, field, _row_name(index, row), missing=value is None)
            errors.append(RowError(index, field, reason))
    outcomes, problems = check_outcomes(row, values.get("created_at"), currency=currency)
    for problem in problems:
        failed = _Bad(problem.error, problem.expected, problem.got, problem.fix)
        reason = _message(failed, problem.field, _row_name(index, row), missing=False)
        errors.append(RowError(index, problem.field, reason))
    if errors:
        return errors
    text, truncated = values["text"]
    return FeedbackIn(
        external_id=values["id"],
        text=text,
        created_at=values.get("created_at"),
        source=values.get("source"),
        nps=values.get("nps"),
        csat=values.get("csat"),
        ces=values.get("ces"),
        segments=values.get("segments", {}),
        truncated=truncated,
        **outcomes,
    )


def validate_rows(
    raw: Sequence[object],
    *,
    max_text_chars: int,
    row_numbers: Sequence[int] | None = None,
    currency: str | None = None,
) -> tuple[list[tuple[int, FeedbackIn]], list[RowError]]:
    """Validate a batch of raw rows; good rows are always kept.

    Args:
        raw: The rows, each normally a mapping of field name to JSON value.
        max_text_chars: Longer texts are truncated to this length and flagged ``truncated``.
        row_numbers: The number that names each row in messages and results (a file's line
            numbers, say); default: its index in ``raw``.
        currency: The workspace's currency: a row whose ``currency`` differs is rejected
            (``None``: any active ISO 4217 code).

    Returns:
        ``(good, errors)``: each good row with its index in ``raw`` (or its row number), and
        one :class:`~feedback_nlp.domain.RowError` per problem found in the other rows.
    """
    good: list[tuple[int, FeedbackIn]] = []
    errors: list[RowError] = []
    numbers = range(len(raw)) if row_numbers is None else row_numbers
    for index, row in zip(numbers, raw, strict=True):
        outcome = _validate_row(index, row, max_text_chars, currency)
        if isinstance(outcome, FeedbackIn):
            good.append((index, outcome))
        else:
            errors.extend(outcome)
    return good, errors
