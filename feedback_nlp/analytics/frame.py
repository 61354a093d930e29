"""The input of every analytics function: items, their scores and segments, and theme mentions.

:class:`FeedbackFrame` is built once (validated, indexed) from an item table and a unit table:

* **items**, one row per feedback item: ``item_id`` (unique), ``created_at`` (datetime or ISO-8601
  text; optional, needed for periods), ``nps`` (0-10), ``csat`` (1-5), ``ces`` (1-7),
  ``sentiment`` (item sentiment in [-1, 1]) -- each score may be missing (``None``/NaN) and a
  missing score is counted apart, never as zero -- plus segment columns (``plan``, ``region``...),
  given as top-level keys or as a nested ``segments`` mapping. Optional outcome columns
  (absent: no outcome data): ``customer_id`` (text), ``first_response_minutes`` and
  ``resolution_minutes`` (>= 0, from ``created_at``), ``churned`` (1/0) and ``revenue`` (>= 0).
* **units** (mentions), one row per opinion unit: ``item_id``, ``theme_id`` (``None``: the unit is
  in the unassigned pool), and optionally ``sentiment`` (unit score in [-1, 1]), ``label``
  (``negative``/``neutral``/``positive``), ``text`` (for quotes) and ``candidate`` (for an
  unassigned unit, the id of the emerging group it belongs to, e.g. from
  :meth:`~feedback_nlp.themes.registry.ThemeRegistry.emerging`).

A respondent *mentions* a theme when at least one of their units is in it. Item sentiment falls
back to the mean of the item's unit scores when the item has none of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics._columns import (
    OUTCOME_FIELDS,
    SCORE_SCALES,
    float_column,
    outcome_columns,
    parse_dates,
    score_column,
    segment_names,
    text_or_none,
    timestamp,
    unit_mean_sentiment,
    unit_table,
)
from feedback_nlp.analytics.arrays import distinct_with_inverse
from feedback_nlp.errors import InvalidInputError, NotFoundError

__all__ = ["SCORE_SCALES", "FeedbackFrame", "Period", "table_records"]

T = TypeVar("T")
BoolMatrix = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")

#: Separator of a two-attribute segment value, e.g. ``"enterprise|mena"``.
COMBINED = "|"


@dataclass(frozen=True, eq=False)
class FeedbackFrame:
    """Validated, indexed feedback for the analytics functions (build it with a constructor).

    Attributes:
        items: One row per item, positional index ``0..n-1``; columns ``item_id``,
            ``created_at`` (UTC datetimes, NaT when unknown), ``nps``, ``csat``, ``ces``,
            ``sentiment`` (float64, NaN = missing), the outcome columns the input had, and
            one string column per segment.
        segments: The segment column names.
        theme_ids: Theme ids; column ``k`` of :attr:`mentions` is ``theme_ids[k]``.
        mentions: Boolean matrix ``(n_items, n_themes)``: item ``i`` mentions theme ``k``.
        units: One row per unit: ``item`` (position in :attr:`items`), ``theme`` (column in
            :attr:`mentions`, ``-1`` = unassigned), ``sentiment`` (float64), ``label``,
            ``text`` and ``candidate`` (object columns, ``None`` when unknown).

    A frame is never changed after it is built, so what is derived from it (group codes, the
    coordinates of the mentions) is computed once per frame and kept (:meth:`derived`).
    """

    items: pd.DataFrame
    segments: tuple[str, ...]
    theme_ids: tuple[str, ...]
    mentions: BoolMatrix
    units: pd.DataFrame
    _derived: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()``, computed on first use and kept with the frame (read-only arrays only)."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = build()
        return found

    def kept(self, key: Hashable) -> Any:
        """The value :meth:`derived` keeps under ``key``, or ``None`` if not computed yet."""
        return self._derived.get(key)

    def mention_cells(self) -> tuple[IntArray, IntArray]:
        """``(items, themes)`` of every true cell of :attr:`mentions`, item-major (kept)."""

        def build() -> tuple[IntArray, IntArray]:
            rows, cols = np.nonzero(self.mentions)
            return _frozen(rows.astype(np.int64)), _frozen(cols.astype(np.int64))

        return self.derived("mention_cells", build)

    def mention_counts(self, codes: IntArray, n_groups: int) -> npt.NDArray[np.float64]:
        """How many items of each group (``codes``; -1: none) mention each theme (exact).

        Returns:
            ``(n_groups, n_themes)`` float64 counts.
        """
        rows, cols = self.mention_cells()
        group = codes[rows]
        inside = group >= 0
        width = len(self.theme_ids)
        flat = np.bincount(group[inside] * width + cols[inside], minlength=n_groups * width)
        return flat.reshape(n_groups, width).astype(np.float64)

    def theme_csr(self) -> Any:
        """:attr:`mentions` transposed, as a ``(n_themes, n_items)`` CSR matrix of ones (kept).

        Each row's columns are in item order, so a product sums in item order.
        """
        from scipy import sparse

        def build() -> Any:
            rows, cols = self.mention_cells()
            shape = (len(self.theme_ids), self.n_items)
            return sparse.csr_matrix((np.ones(rows.size), (cols, rows)), shape=shape)

        return self.derived("theme_csr", build)

    def theme_sums(self, columns: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Per theme, the sums of each column over the items that mention it (in item order).

        Args:
            columns: ``(n_items, k)`` values.

        Returns:
            ``(n_themes, k)`` sums.
        """
        return np.asarray(self.theme_csr() @ columns, dtype=np.float64)

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_records(
        cls,
        items: Iterable[Mapping[str, object]],
        units: Iterable[Mapping[str, object]],
        *,
        segments: Sequence[str] | None = None,
        theme_ids: Sequence[str] | None = None,
    ) -> FeedbackFrame:
        """Build a frame from item and unit records (dicts).

        Args:
            items: Item records (see the module docstring for the keys).
            units: Unit records with ``item_id`` and ``theme_id`` at least.
            segments: Segment columns to keep; default: every key that is not a known field,
                plus the keys of nested ``segments`` mappings.
            theme_ids: The theme universe, in order; default: the sorted ids that occur. Pass it
                to include themes nobody mentions in the current subset.

        Returns:
            The frame.

        Raises:
            InvalidInputError: If a record is malformed (see :meth:`from_frames`).
        """
        rows: list[dict[str, object]] = []
        for position, record in enumerate(items):
            if not isinstance(record, Mapping):
                raise InvalidInputError(
                    f"Item record {position} must be a mapping. Got {type(record).__name__}."
                )
            row = {key: value for key, value in record.items() if key != "segments"}
            nested = record.get("segments")
            if nested is not None:
                if not isinstance(nested, Mapping):
                    raise InvalidInputError(
                        f"The 'segments' field of item record {position} must be a mapping of "
                        f"str to str. Got {nested!r}."
                    )
                row.update({str(key): value for key, value in nested.items()})
            rows.append(row)
        item_frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame({"item_id": []})
        unit_frame = pd.DataFrame.from_records(list(units))
        if unit_frame.empty:
            unit_frame = pd.DataFrame({"item_id": [], "theme_id": []})
        return cls.from_frames(item_frame, unit_frame, segments=segments, theme_ids=theme_ids)

    @classmethod
    def from_frames(
        cls,
        items: pd.DataFrame,
        units: pd.DataFrame,
        *,
        segments: Sequence[str] | None = None,
        theme_ids: Sequence[str] | None = None,
    ) -> FeedbackFrame:
        """Build a frame from an item table and a unit table (vectorised; for large inputs).

        Args:
            items: Item table (see the module docstring for the columns).
            units: Unit table with ``item_id`` and ``theme_id`` columns at least.
            segments: Segment columns to keep; default: every column that is not a known field.
            theme_ids: The theme universe, in order; default: the sorted ids that occur.

        Returns:
            The frame.

        Raises:
            InvalidInputError: If ``item_id`` is missing or repeated, a score is outside its
                scale or not a whole number, a date does not parse, a unit names an unknown
                item, or a named segment column is absent.
        """
        if "item_id" not in items.columns:
            raise InvalidInputError(
                f"The item table must have an 'item_id' column. Got columns {list(items.columns)}."
            )
        ids = items["item_id"].astype(str)
        if ids.duplicated().any():
            dup = ids[ids.duplicated()].iloc[0]
            raise InvalidInputError(
                f"Item ids must be unique. Got '{dup}' more than once. Drop or merge the repeats."
            )
        table = pd.DataFrame({"item_id": ids.to_numpy(dtype=object)})
        table["created_at"] = parse_dates(items)
        for column, scale in SCORE_SCALES.items():
            table[column] = score_column(items, column, scale)
        table["sentiment"] = float_column(items, "sentiment", (-1.0, 1.0))
        for name, values in outcome_columns(items).items():
            table[name] = values
        names = segment_names(items, segments)
        for name in names:
            table[name] = text_or_none(items[name])

        unit_rows, theme_list = unit_table(units, ids, theme_ids)
        mentions = np.zeros((len(table), len(theme_list)), dtype=np.bool_)
        assigned = unit_rows["theme"].to_numpy() >= 0
        mentions[
            unit_rows["item"].to_numpy()[assigned], unit_rows["theme"].to_numpy()[assigned]
        ] = True
        fallback = unit_mean_sentiment(unit_rows, len(table))
        table["sentiment"] = table["sentiment"].fillna(pd.Series(fallback))
        return cls(
            items=table,
            segments=tuple(names),
            theme_ids=tuple(theme_list),
            mentions=mentions,
            units=unit_rows,
        )

    # --- views --------------------------------------------------------------------------------

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.items)

    def scores(self, column: str) -> npt.NDArray[np.float64]:
        """One score column as float64 with NaN for missing values."""
        if column not in (*SCORE_SCALES, "sentiment"):
            raise InvalidInputError(
                f"The score column must be one of {[*SCORE_SCALES, 'sentiment']}. Got {column!r}."
            )
        return self.items[column].to_numpy(dtype=np.float64)

    def outcome(self, column: str) -> npt.NDArray[np.float64]:
        """A numeric outcome column as float64, all NaN when the frame does not carry it."""
        if column not in OUTCOME_FIELDS or column == "customer_id":
            numeric = [name for name in OUTCOME_FIELDS if name != "customer_id"]
            raise InvalidInputError(f"The outcome column must be one of {numeric}. Got {column!r}.")
        if column not in self.items.columns:
            return np.full(self.n_items, np.nan)
        return self.items[column].to_numpy(dtype=np.float64)

    def created_ns(self) -> IntArray:
        """``created_at`` as int64 nanoseconds since the epoch (the minimum int64 when unknown)."""
        return np.asarray(self.items["created_at"].array.asi8, dtype=np.int64)

    def theme_position(self, theme_id: str) -> int:
        """The column of ``theme_id`` in :attr:`mentions`.

        Raises:
            NotFoundError: If the theme is not in the frame.
        """
        try:
            return self.theme_ids.index(theme_id)
        except ValueError:
            raise NotFoundError(
                f"Theme '{theme_id}' is not in this frame. Known themes: "
                f"{list(self.theme_ids[:10])}{'...' if len(self.theme_ids) > 10 else ''}."
            ) from None

    def subset(self, mask: npt.ArrayLike) -> FeedbackFrame:
        """The frame restricted to the items where ``mask`` is true (themes are kept).

        Args:
            mask: Boolean array of length :attr:`n_items`.

        Returns:
            A new frame; units follow their items.
        """
        keep = np.asarray(mask, dtype=np.bool_)
        if keep.shape != (self.n_items,):
            raise InvalidInputError(
                f"The mask must be a boolean array of length {self.n_items}. "
                f"Got shape {keep.shape}."
            )
        new_position = np.cumsum(keep) - 1
        unit_items = self.units["item"].to_numpy()
        unit_keep = keep[unit_items]
        units = self.units.loc[unit_keep].reset_index(drop=True)
        units["item"] = new_position[unit_items[unit_keep]]
        return FeedbackFrame(
            items=self.items.loc[keep].reset_index(drop=True),
            segments=self.segments,
            theme_ids=self.theme_ids,
            mentions=self.mentions[keep],
            units=units,
        )

    def where(
        self,
        segment: Mapping[str, str] | None = None,
        *,
        start: object = None,
        end: object = None,
    ) -> FeedbackFrame:
        """The items of one segment value (or combination) and/or a time window.

        Args:
            segment: ``{attribute: value}`` pairs that must all hold, e.g. ``{"plan": "free"}``.
            start: Keep items created at or after this instant (datetime or ISO text).
            end: Keep items created before this instant.

        Returns:
            A new frame.
        """
        mask = np.ones(self.n_items, dtype=np.bool_)
        for attribute, value in (segment or {}).items():
            self._check_segment(attribute)
            mask &= (self.items[attribute] == value).to_numpy(dtype=np.bool_)
        created = self.items["created_at"]
        if start is not None:
            mask &= (created >= timestamp(start)).to_numpy(dtype=np.bool_)
        if end is not None:
            mask &= (created < timestamp(end)).to_numpy(dtype=np.bool_)
        return self.subset(mask)

    def segment_codes(self, by: str | Sequence[str]) -> tuple[IntArray, list[str]]:
        """Group codes of one segment attribute or a combination of two.

        Args:
            by: ``"plan"`` or ``("plan", "region")``; values of a pair are joined with ``|``.

        Returns:
            ``(codes, labels)``: ``codes[i]`` indexes ``labels`` (sorted), ``-1`` where the item
            lacks a value.
        """
        attributes = [by] if isinstance(by, str) else list(by)
        if 1 <= len(attributes) <= 2 and all(a in self.segments for a in attributes):
            codes, labels = self.derived(
                ("segment_codes", tuple(attributes)), lambda: self._segment_codes(by, attributes)
            )
            return codes, list(labels)
        return self._segment_codes(by, attributes)

    def _segment_codes(
        self, by: str | Sequence[str], attributes: list[str]
    ) -> tuple[IntArray, list[str]]:
        if not 1 <= len(attributes) <= 2 or len(set(attributes)) != len(attributes):
            raise InvalidInputError(
                "The 'by' parameter must name one segment attribute or two different ones. "
                f"Got {by!r}."
            )
        for attribute in attributes:
            self._check_segment(attribute)
        codes, uniques = pd.factorize(self.items[attributes[0]], sort=True)
        labels = [str(u) for u in uniques]
        if len(attributes) == 2:
            second, second_uniques = pd.factorize(self.items[attributes[1]], sort=True)
            pair = np.where((codes < 0) | (second < 0), -1, codes * len(second_uniques) + second)
            used, codes = distinct_with_inverse(pair)
            codes = codes - int(used[0] < 0)
            width = len(second_uniques)
            labels = [
                f"{uniques[p // width]}{COMBINED}{second_uniques[p % width]}"
                for p in used[used >= 0]
            ]
        return _frozen(np.asarray(codes, dtype=np.int64)), labels

    def period_codes(self, period: str) -> tuple[IntArray, list[str]]:
        """Group codes of calendar periods (UTC), contiguous from the first to the last item.

        Args:
            period: ``"day"``, ``"week"`` (ISO weeks starting on Monday) or ``"month"``.

        Returns:
            ``(codes, labels)``: labels are ``2026-09-21`` (day, and the Monday of a week) or
            ``2026-09`` (month), one per period including empty ones; ``-1`` for items
            without ``created_at``.
        """
        if period not in PERIODS:
            raise InvalidInputError(
                f"The 'period' parameter must be one of {list(PERIODS)}. Got {period!r}."
            )
        codes, labels = self.derived(("period_codes", period), lambda: self._periods(period))
        return codes, list(labels)

    def _periods(self, period: str) -> tuple[IntArray, list[str]]:
        created = self.items["created_at"]
        known = created.notna().to_numpy()
        days = (
            created.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        ).astype("datetime64[D]")
        if period == "month":
            keys = days.astype("datetime64[M]").astype(np.int64)
        else:
            keys = days.astype(np.int64)
            if period == "week":
                keys = (keys + 3) // 7  # 1970-01-01 was a Thursday: weeks start on Monday
        if not known.any():
            return _frozen(np.full(self.n_items, -1, dtype=np.int64)), []
        first, last = int(keys[known].min()), int(keys[known].max())
        codes = _frozen(np.where(known, keys - first, -1).astype(np.int64))
        span = np.arange(first, last + 1)
        if period == "month":
            labels = [str(m) for m in span.astype("datetime64[M]")]
        elif period == "week":
            labels = [str(d) for d in (span * 7 - 3).astype("datetime64[D]")]
        else:
            labels = [str(d) for d in span.astype("datetime64[D]")]
        return codes, labels

    def _check_segment(self, attribute: str) -> None:
        if attribute not in self.segments:
            raise InvalidInputError(
                f"'{attribute}' is not a segment attribute of this frame. "
                f"Known attributes: {list(self.segments)}."
            )


# --- helpers ----------------------------------------------------------------------------------


def _frozen(array: np.ndarray) -> np.ndarray:
    """``array`` made read-only (it is shared by every caller of a kept value)."""
    array.flags.writeable = False
    return array


def table_records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows of an analytics table as JSON-ready dicts (NaN becomes ``None``, numpy -> Python)."""
    records: list[dict[str, object]] = []
    for row in table.to_dict(orient="records"):
        records.append({str(key): _plain(value) for key, value in row.items()})
    return records


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
