"""Which file column feeds which feedback field, and the conversion of a file row into a raw item.

A :class:`ColumnMapping` names the columns; :meth:`ColumnMapping.resolve` checks them against the
file's columns (a missing one is an :class:`ColumnMappingError` that lists the columns there are)
and returns a :class:`ResolvedMapping`, whose :meth:`~ResolvedMapping.to_raw` turns one row into
the raw item that :func:`~feedback_nlp.ingest.validate.validate_rows` checks. Conversion only
undoes what the file format does to values; it never decides validity:

* CSV values are strings: an empty string is a missing value; ``nps``/``csat`` strings that
  spell an integer (``"9"``, ``"9.0"``) become ints and ``ces`` strings floats; anything else is
  passed on unchanged, so validation rejects it with its usual message.
* Typed values (JSONL, Parquet): integral floats become ints for ``nps``/``csat`` (pandas writes
  missing ints as NaN floats), NaN is a missing value, and date-times become ISO-8601 strings.
* Integer ids become strings.
* Segment columns with a missing value are left out of the item's segments.

The outcome fields are read from columns of their own name when the file has them:
``customer_id``, ``first_response_at``, ``first_response_minutes``, ``resolved_at``,
``resolution_minutes``, ``churned``, ``churned_at``, ``currency`` and ``revenue`` (or, without a
``revenue`` column, ``clv``: a customer lifetime value is the revenue at stake). Minutes and revenue
strings become floats, integer customer ids strings, and ``churned`` strings that spell a boolean
(``true``/``false``, ``yes``/``no``, ``1``/``0``, any case) and the numbers 0 and 1 booleans.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from feedback_nlp.domain import SOURCES
from feedback_nlp.error_codes import COLUMN_MAPPING
from feedback_nlp.errors import InvalidInputError

__all__ = ["OUTCOME_COLUMNS", "ColumnMapping", "ColumnMappingError", "ResolvedMapping"]

_AUTO: dict[str, str] = {
    "created_at": "created_at",
    "source": "source",
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
}
"""Optional fields read from a column of the field's own name when no column is named."""

OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer_id",),
    "first_response_at": ("first_response_at",),
    "first_response_minutes": ("first_response_minutes",),
    "resolved_at": ("resolved_at",),
    "resolution_minutes": ("resolution_minutes",),
    "churned": ("churned",),
    "churned_at": ("churned_at",),
    "revenue": ("revenue", "clv"),
    "currency": ("currency",),
}
"""Outcome field -> the columns it is read from, the first the file has."""

_STRIPPED = frozenset(
    {"source", "created_at", "first_response_at", "resolved_at", "churned_at", "currency"}
)
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


class ColumnMappingError(InvalidInputError):
    """A named column is not in the file, or the mapping itself is wrong."""

    error = COLUMN_MAPPING


def _missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _scalar(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _integer(value: object) -> object:
    """An int if ``value`` spells or is an integral number, else ``value`` unchanged."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return value
            return int(number) if number.is_integer() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _boolean(value: object) -> object:
    """A bool if ``value`` spells one or is the number 0 or 1, else ``value`` unchanged."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _identifier(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "id": _identifier,
    "customer_id": _identifier,
    "nps": _integer,
    "csat": _integer,
    **dict.fromkeys(("ces", "first_response_minutes", "resolution_minutes", "revenue"), _number),
    "churned": _boolean,
    **dict.fromkeys(_STRIPPED, _stripped),
}
"""How a file's value becomes the raw value of a field (a field not named: as it is)."""


@dataclass(frozen=True, slots=True)
class ResolvedMapping:
    """A mapping checked against a file: ``fields`` maps feedback field -> file column."""

    fields: Mapping[str, str]
    segments: tuple[str, ...]
    default_source: str | None

    @property
    def columns(self) -> list[str]:
        """The file columns the mapping reads."""
        return list(dict.fromkeys([*self.fields.values(), *self.segments]))

    def ignored(self, available: Sequence[str]) -> list[str]:
        """The columns of the file that feed no field."""
        used = set(self.columns)
        return [column for column in available if column not in used]

    def to_raw(self, row: Mapping[str, object]) -> dict[str, object]:
        """The raw item (``id``, ``text``, ...) for :func:`validate_rows` from one file row."""
        raw: dict[str, object] = {}
        for field, column in self.fields.items():
            value = row.get(column)
            if _missing(value):
                continue
            value = _scalar(value)
            convert = _CONVERTERS.get(field)
            raw[field] = value if convert is None else convert(value)
        if self.default_source is not None and _missing(raw.get("source")):
            raw["source"] = self.default_source
        segments = {
            column: _scalar(row.get(column))
            for column in self.segments
            if not _missing(row.get(column))
        }
        if segments:
            raw["segments"] = segments
        return raw


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which file columns feed which feedback fields.

    Attributes:
        id_col: Column of the item id (required).
        text_col: Column of the feedback text (required).
        time_col: Column of ``created_at``; default: ``created_at`` when the file has it.
        source_col: Column of ``source``; default: ``source`` when the file has it.
        nps_col: Column of ``nps``; default: ``nps`` when the file has it.
        csat_col: Column of ``csat``; default: ``csat`` when the file has it.
        ces_col: Column of ``ces``; default: ``ces`` when the file has it.
        segment_cols: Columns stored as segments (``plan``, ``region``), keyed by column name.
        default_source: ``source`` of rows whose source column is absent or empty.

    The outcome fields are always read from the columns of :data:`OUTCOME_COLUMNS`.
    """

    id_col: str = "id"
    text_col: str = "text"
    time_col: str | None = None
    source_col: str | None = None
    nps_col: str | None = None
    csat_col: str | None = None
    ces_col: str | None = None
    segment_cols: tuple[str, ...] = ()
    default_source: str | None = None

    def named(self) -> dict[str, str | None]:
        """Feedback field -> the column named for it (``None``: not named)."""
        return {
            "id": self.id_col,
            "text": self.text_col,
            "created_at": self.time_col,
            "source": self.source_col,
            "nps": self.nps_col,
            "csat": self.csat_col,
            "ces": self.ces_col,
        }

    def resolve(self, available: Sequence[str]) -> ResolvedMapping:
        """Check the mapping against the file's columns.

        Args:
            available: The file's column names.

        Raises:
            ColumnMappingError: If a named column (or a segment column) is missing, or the
                default source is not one of the known sources.
        """
        if self.default_source is not None and self.default_source not in SOURCES:
            raise ColumnMappingError(
                f"The default source must be one of {', '.join(SOURCES)}. Got "
                f"{self.default_source!r}. Fix --source."
            )
        present = set(available)
        fields: dict[str, str] = {}
        missing: list[str] = []
        for field, column in self.named().items():
            if column is None:
                if _AUTO[field] in present:
                    fields[field] = _AUTO[field]
            elif column in present:
                fields[field] = column
            else:
                missing.append(f"{column!r} (for {field})")
        for field, candidates in OUTCOME_COLUMNS.items():
            found = next((column for column in candidates if column in present), None)
            if found is not None:
                fields[field] = found
        missing += [
            f"{column!r} (segment)" for column in self.segment_cols if column not in present
        ]
        if missing:
            shown = ", ".join(repr(column) for column in available) or "none"
            raise ColumnMappingError(
                f"The file has no column {', '.join(missing)}. Its columns are: {shown}. Name "
                "the right ones with --id-col, --text-col, --time-col, --source-col, --nps-col, "
                "--csat-col, --ces-col or --segment-cols."
            )
        return ResolvedMapping(
            fields=fields, segments=tuple(self.segment_cols), default_source=self.default_source
        )
