"""Fold new and changed items into a :class:`~feedback_nlp.analytics.frame.FeedbackFrame`.

:func:`merge_frame` gives the frame that :func:`~feedback_nlp.analytics.loader.frame_from_records`
would build from all the rows at once -- the same columns, the same item order (ascending
database id), the same units in (item, unit index) order, the same theme columns -- without
reading or validating the unchanged rows again. Only the delta is validated (it goes through
``frame_from_records``); the rest is array copies. When the theme universe changed, or a row's
``source`` would change meaning for every item, it returns ``None``: the caller rebuilds. The
outcome columns follow the rule of a rebuild: a column is there when some item has a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics._columns import ITEM_FIELDS
from feedback_nlp.analytics.carry import carry_appended, carry_replaced
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.loader import frame_from_records
from feedback_nlp.analytics.tails import appended, appended_table
from feedback_nlp.analytics.units_gained import with_units_gained
from feedback_nlp.domain import AnalyticsRecords

__all__ = ["OUTCOME_ORDER", "FrameParts", "append_frames", "item_table", "merge_frame", "parts_of"]

IntArray = npt.NDArray[np.int64]
_FIXED = ("item_id", "created_at", "nps", "csat", "ces", "sentiment")
OUTCOME_ORDER = (
    "first_response_minutes",
    "resolution_minutes",
    "revenue",
    "churned",
    "customer_id",
)
"""The outcome columns in the order a frame carries them (after the scores, before segments)."""


@dataclass(frozen=True, eq=False)
class FrameParts:
    """A frame with what a merge needs to know about how it was built.

    Attributes:
        frame: The frame.
        ids: The database id of each item (ascending), one per row of ``frame.items``.
        segment_keys: The segment keys read from the items' ``segments`` mappings.
        source_field: Whether the ``source`` column holds the items' ``source`` field (no
            segment key is called ``source``).
        appended: When this frame is an earlier one with new items appended: those items as a
            frame of the same columns (what :func:`append_frames` appended).
    """

    frame: FeedbackFrame
    ids: IntArray
    segment_keys: tuple[str, ...]
    source_field: bool
    appended: FeedbackFrame | None = None


def _keys(records: AnalyticsRecords) -> tuple[tuple[str, ...], bool]:
    segment_dicts = records.items["segments"]
    keys = tuple(sorted({key for segments in segment_dicts for key in segments} - ITEM_FIELDS))
    source = "source" not in keys and any(v is not None for v in records.items["source"])
    return keys, source


def parts_of(records: AnalyticsRecords, ids: list[int]) -> FrameParts:
    """The frame of ``records`` (every row of a workspace) as :class:`FrameParts`."""
    keys, source = _keys(records)
    return FrameParts(frame_from_records(records), np.asarray(ids, dtype=np.int64), keys, source)


def _column(frame: FeedbackFrame, name: str) -> np.ndarray:
    """A column as a numpy array (``created_at`` as int64 ns; an absent segment as ``None``)."""
    if name == "created_at":
        return np.asarray(frame.items["created_at"].array.asi8, dtype=np.int64)
    if name not in frame.items.columns:
        numeric = name in OUTCOME_ORDER and name != "customer_id"
        return np.full(
            frame.n_items, np.nan if numeric else None, dtype=float if numeric else object
        )
    return frame.items[name].to_numpy()


def _outcomes(*frames: FeedbackFrame) -> list[str]:
    """The outcome columns any of the frames carries, in :data:`OUTCOME_ORDER`."""
    return [name for name in OUTCOME_ORDER if any(name in f.items.columns for f in frames)]


def item_table(columns: dict[str, np.ndarray], segments: tuple[str, ...]) -> pd.DataFrame:
    """The item table of a frame from its columns, typed the way a rebuild types them.

    Args:
        columns: ``item_id`` (text), ``created_at`` (int64 ns, the minimum int64 for unknown),
            ``nps``, ``csat``, ``ces``, ``sentiment`` (float64), the outcome columns the frame
            carries (float64; ``customer_id`` text or None) and each segment (text or None).
        segments: The segment columns, in order.
    """
    table = pd.DataFrame({"item_id": np.asarray(columns["item_id"], dtype=object)})
    created = np.asarray(columns["created_at"], dtype=np.int64).view("datetime64[ns]")
    table["created_at"] = pd.Series(created).dt.tz_localize("UTC")
    for name in ("nps", "csat", "ces", "sentiment"):
        table[name] = np.asarray(columns[name], dtype=np.float64)
    for name in OUTCOME_ORDER:
        if name == "customer_id" and name in columns:
            table[name] = pd.Series(np.asarray(columns[name], dtype=object), dtype=object)
        elif name in columns:
            table[name] = np.asarray(columns[name], dtype=np.float64)
    for name in segments:
        table[name] = pd.Series(np.asarray(columns[name], dtype=object), dtype=object)
    return table


def merge_frame(base: FrameParts, records: AnalyticsRecords, ids: list[int]) -> FrameParts | None:
    """``base`` with the items of ``records`` added (new ids) or replaced (known ids).

    Args:
        base: The current frame.
        records: The new and changed items, with *all* their current units (an item's units
            in ``base`` are replaced by the ones given here, none if none are given).
        ids: The database id of each item in ``records``.

    Returns:
        The merged frame, or ``None`` when a rebuild from every row is needed (the theme
        universe or the meaning of the ``source`` column changed).
    """
    if not ids:
        return base
    delta = frame_from_records(records)
    old = base.frame
    if delta.theme_ids != old.theme_ids:
        return None
    delta_keys, delta_source = _keys(records)
    if "source" in delta_keys and base.source_field:
        return None
    keys = tuple(sorted(set(base.segment_keys) | set(delta_keys)))
    source_field = "source" not in keys and (base.source_field or delta_source)

    d_ids = np.asarray(ids, dtype=np.int64)
    n, n_base = len(d_ids), old.n_items
    pos = np.searchsorted(base.ids, d_ids)
    present = np.zeros(n, dtype=np.bool_)
    if n_base:
        inside = pos < n_base
        present[inside] = base.ids[pos[inside]] == d_ids[inside]
    added = ~present
    n_added = int(added.sum())
    total = n_base + n_added
    target = np.empty(n, dtype=np.int64)  # where each delta row goes in the merged table
    target[present] = pos[present]
    target[added] = n_base + np.arange(n_added)

    if not n_added or not n_base or d_ids[added].min() > base.ids[-1]:
        newer = _gained_or_appended(base, delta, keys, source_field, d_ids, pos, present)
        if newer is not None:
            return newer
    merged_ids = np.concatenate([base.ids, d_ids[added]])
    outcomes = _outcomes(old, delta)
    names = [*_FIXED, *outcomes, *(k for k in keys), *(["source"] if source_field else [])]
    columns: dict[str, np.ndarray] = {}
    for name in names:
        old_values, new_values = _column(old, name), _column(delta, name)
        if old_values.dtype != new_values.dtype:
            old_values, new_values = old_values.astype(object), new_values.astype(object)
        values = np.empty(total, dtype=old_values.dtype)
        values[:n_base] = old_values
        values[target] = new_values
        columns[name] = values
    mentions = np.empty((total, len(old.theme_ids)), dtype=np.bool_)
    mentions[:n_base] = old.mentions
    mentions[target] = delta.mentions

    replaced = np.zeros(total, dtype=np.bool_)
    replaced[target[present]] = True
    units = _merged_units(old.units, delta.units, replaced, target)

    if n_added and n_base and d_ids[added].min() < base.ids[-1]:
        order = np.argsort(merged_ids, kind="stable")  # a late insert below the newest id
        merged_ids = merged_ids[order]
        columns = {name: values[order] for name, values in columns.items()}
        mentions = mentions[order]
        position = np.empty(total, dtype=np.int64)
        position[order] = np.arange(total)
        units = units.assign(item=position[units["item"].to_numpy()])
        units = _sorted_units(units)

    # A segment column nobody has a value for any more is not a segment (as in a rebuild);
    # only replacing a row can take the last value away.
    segments = [
        name
        for name in sorted([*keys, *(["source"] if source_field else [])])
        if not present.any() or pd.notna(columns[name]).any()
    ]
    source_field = source_field and "source" in segments
    keys = tuple(name for name in keys if name in segments)
    for name in outcomes:  # as in a rebuild: a column only while some item has a value
        if present.any() and not pd.notna(columns[name]).any():
            del columns[name]
    table = item_table(columns, tuple(segments))
    frame = FeedbackFrame(
        items=table,
        segments=tuple(segments),
        theme_ids=old.theme_ids,
        mentions=mentions,
        units=units,
    )
    if not n_added and list(table.columns) == list(old.items.columns):
        carry_replaced(old, delta, frame, target)
    return FrameParts(frame, merged_ids, keys, source_field)


def _aligned(
    old: FeedbackFrame, delta: FeedbackFrame, keys: tuple[str, ...], source_field: bool
) -> FeedbackFrame | None:
    """``delta`` with ``old``'s item columns and dtypes (``None``: they cannot be the same)."""
    segments = tuple(sorted([*keys, *(["source"] if source_field else [])]))
    if segments != old.segments or _outcomes(old) != _outcomes(old, delta):
        return None
    columns = list(old.items.columns)
    items = delta.items.reindex(columns=columns)
    for name in [*segments, "customer_id"]:
        if name in columns and name not in delta.items.columns:
            items[name] = pd.Series([None] * delta.n_items, dtype=object)
    if any(items[c].dtype != old.items[c].dtype for c in columns):
        return None
    return FeedbackFrame(
        items=items,
        segments=old.segments,
        theme_ids=old.theme_ids,
        mentions=delta.mentions,
        units=delta.units,
    )


def _gained_or_appended(
    base: FrameParts,
    delta: FeedbackFrame,
    keys: tuple[str, ...],
    source_field: bool,
    ids: IntArray,
    positions: IntArray,
    present: npt.NDArray[np.bool_],
) -> FrameParts | None:
    """The fast paths: known items that only gained units, then new items newer than the rest.

    ``None`` when the delta is not that case (:func:`~feedback_nlp.analytics.units_gained.
    with_units_gained` for the known items; new items need the same columns).

    Args:
        base: The current frame.
        delta: The delta's frame.
        keys: The segment keys of the merged frame.
        source_field: Whether its ``source`` column is the items' field.
        ids: The delta's database ids (ascending).
        positions: Where each delta row's id is or would go in ``base.ids``.
        present: Which delta rows are items of ``base``.
    """
    old = base.frame
    aligned = _aligned(old, delta, keys, source_field)
    if aligned is None:
        return None
    frame = old
    if present.any():
        known = aligned if present.all() else aligned.subset(present)
        revised_frame = with_units_gained(old, known, positions[present])
        if revised_frame is None:
            return None
        frame = revised_frame
    if present.all():
        return FrameParts(frame, base.ids, base.segment_keys, base.source_field)
    new = aligned if not present.any() else aligned.subset(~present)
    grown = append_frames(frame, new)
    assert grown is not None
    return FrameParts(
        grown,
        appended(base.ids, ids[~present]),
        base.segment_keys if keys == base.segment_keys else keys,
        source_field,
        appended=None if present.any() else new,
    )


def append_frames(old: FeedbackFrame, new: FeedbackFrame) -> FeedbackFrame | None:
    """``old`` with the items (and units) of ``new`` after its own, as one frame.

    Both must have the same columns, dtypes and themes (``None`` otherwise). The result equals
    the frame of all the rows built at once; what ``old`` derived is carried over where it
    stays exact (:func:`~feedback_nlp.analytics.carry.carry_appended`). Used for a snapshot's
    new items and for its filtered frames (the filter of the merged frame = the filter of the
    old one, then that of the new items).
    """
    if (
        list(new.items.columns) != list(old.items.columns)
        or new.theme_ids != old.theme_ids
        or any(new.items[c].dtype != old.items[c].dtype for c in old.items.columns)
    ):
        return None
    if new.n_items == 0:
        return old
    moved = new.units.assign(item=new.units["item"].to_numpy() + old.n_items)
    frame = FeedbackFrame(
        items=appended_table(old.items, new.items),
        segments=old.segments,
        theme_ids=old.theme_ids,
        mentions=appended(old.mentions, new.mentions),
        units=appended_table(old.units, moved) if not new.units.empty else old.units,
    )
    carry_appended(old, new, frame)
    return frame


def _merged_units(
    old: pd.DataFrame, new: pd.DataFrame, replaced: np.ndarray, target: IntArray
) -> pd.DataFrame:
    """The old units of items not replaced, then the new units, in (item, unit index) order."""
    keep = ~replaced[old["item"].to_numpy()]
    if keep.all() and new.empty:
        return old  # new items without units (not mined yet): the units are unchanged
    kept = old.loc[keep] if not keep.all() else old
    moved = new.assign(item=target[new["item"].to_numpy()])
    units: pd.DataFrame = pd.concat([kept, moved], ignore_index=True)
    units["item"] = units["item"].astype(np.int64)
    items = units["item"].to_numpy()
    if len(items) > 1 and (np.diff(items) < 0).any():
        units = _sorted_units(units)
    return units


def _sorted_units(units: pd.DataFrame) -> pd.DataFrame:
    """Units stably sorted by item (each item's units keep their unit-index order)."""
    order = np.argsort(units["item"].to_numpy(), kind="stable")
    return units.iloc[order].reset_index(drop=True)
