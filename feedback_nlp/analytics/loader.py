"""Build a :class:`~feedback_nlp.analytics.frame.FeedbackFrame` from stored rows, and cache it.

The rows come from any *source* with two methods (the :class:`~feedback_nlp.store.Store` is
one; see :class:`AnalyticsSource`): ``analytics_version(workspace_id)``, cheap, and
``analytics_records(workspace_id)``, which reads everything. :class:`FrameCache` keeps the
frames of the last few workspaces and rebuilds one only when its version changed, so repeated
requests over unchanged data skip both the read and the build. No SQL here. (The API's read
routes use :class:`~feedback_nlp.analytics.state.AnalyticsState` instead, which applies only what
changed; the report bundle and the web UI still use this cache.)

Mapping of stored fields to frame columns:

* ``item_id`` is the item's external id (quotes name it); ``created_at``, ``nps``, ``csat`` as
  stored, except that a ``created_at`` outside the frame's range (about years 1677-2262,
  pandas' nanosecond timestamps) counts as unknown, with a warning: ingest refuses such dates,
  but rows stored before it did must not make every analytics request fail. ``ces`` is rounded
  to the nearest whole point: ingest accepts any number in 1..7, while the frame's CES scale is
  whole points.
* Every segment key becomes a column (items without it have no value). Keys that collide with a
  frame field (``item_id``, ``created_at``, ``nps``, ``csat``, ``ces``, ``sentiment``,
  ``segments``) are left out. ``source`` becomes a segment column too, unless a segment key
  already has that name.
* Item sentiment is not stored, so the frame falls back to the mean of the item's unit scores.
* The outcome columns (``customer_id``, the pseudonym; ``first_response_minutes``,
  ``resolution_minutes``, ``churned`` as 1.0/0.0 and ``revenue``, float64 with NaN for missing)
  are columns of the frame when at least one item has a value for them, like a segment: a
  workspace without outcome data has none of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from feedback_nlp.analytics._columns import ITEM_FIELDS, OUTCOME_FIELDS
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.domain import AnalyticsRecords

__all__ = ["AnalyticsSource", "FrameCache", "LoadedFrame", "frame_from_records"]

logger = logging.getLogger(__name__)


class AnalyticsSource(Protocol):
    """Where feedback rows for the analytics come from (e.g. the store)."""

    def analytics_version(self, workspace_id: int) -> tuple[Any, ...]:
        """A value that changes whenever the workspace's rows change."""
        ...

    def analytics_records(self, workspace_id: int) -> AnalyticsRecords:
        """Every row the analytics need."""
        ...


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _instants(values: list[Any]) -> pd.Series:
    """UTC instants from datetimes or ISO text (SQLite returns text: naive means UTC).

    Instants outside pandas' nanosecond range become NaT (see the module docstring).
    """
    series = pd.Series(values, dtype=object)
    text = all(isinstance(value, str) for value in values)
    parsed = pd.to_datetime(series, utc=True, format="ISO8601" if text else None)
    outside = parsed.notna() & (
        (parsed < pd.Timestamp.min.tz_localize("UTC"))
        | (parsed > pd.Timestamp.max.tz_localize("UTC"))
    )
    count = int(outside.sum())
    if count:
        logger.warning(
            "%d item%s a created_at outside %d-%d; counted as undated (ingest now refuses such "
            "dates, re-post the item%s with a correct date)",
            count,
            " has" if count == 1 else "s have",
            pd.Timestamp.min.year + 1,
            pd.Timestamp.max.year - 1,
            "" if count == 1 else "s",
        )
        parsed = parsed.mask(outside)
    return parsed.astype("datetime64[ns, UTC]")


def frame_from_records(records: AnalyticsRecords) -> FeedbackFrame:
    """The frame of one workspace's rows (see the module docstring for the mapping).

    Args:
        records: From ``analytics_records``.

    Returns:
        The frame; its themes are the workspace's level-0 themes plus any a unit names.
    """
    items = records.items
    table = pd.DataFrame(
        {
            "item_id": pd.Series(items["item_id"], dtype=object),
            "created_at": _instants(items["created_at"]),
            "nps": _floats(items["nps"]),
            "csat": _floats(items["csat"]),
            "ces": np.rint(_floats(items["ces"])),
        }
    )
    for name in OUTCOME_FIELDS:
        values = items.get(name)
        if values is None or all(value is None for value in values):
            continue
        table[name] = pd.Series(values, dtype=object) if name == "customer_id" else _floats(values)
    segment_dicts: list[dict[str, Any]] = items["segments"]
    keys = sorted({key for segments in segment_dicts for key in segments} - ITEM_FIELDS)
    for key in keys:
        table[key] = pd.Series([s.get(key) for s in segment_dicts], dtype=object)
    if "source" not in keys and any(v is not None for v in items["source"]):
        table["source"] = pd.Series(items["source"], dtype=object)
        keys = sorted([*keys, "source"])
    units = pd.DataFrame(
        {
            "item_id": pd.Series(records.units["item_id"], dtype=object),
            "theme_id": pd.Series(records.units["theme_id"], dtype=object),
            "sentiment": _floats(records.units["sentiment"]),
            "label": pd.Series(records.units["label"], dtype=object),
            "text": pd.Series(records.units["text"], dtype=object),
        }
    )
    named = {t for t in records.units["theme_id"] if t is not None}
    theme_ids = sorted(set(records.theme_ids) | named)
    return FeedbackFrame.from_frames(table, units, segments=keys, theme_ids=theme_ids)


@dataclass(frozen=True, slots=True)
class LoadedFrame:
    """A workspace's frame and how it was obtained.

    Attributes:
        frame: The frame.
        version: The data version it was built from.
        cached: Whether it came from the cache (no read, no build).
        read_seconds: Time spent reading the rows (0 when cached).
        build_seconds: Time spent building the frame (0 when cached).
    """

    frame: FeedbackFrame
    version: tuple[Any, ...]
    cached: bool
    read_seconds: float
    build_seconds: float


class FrameCache:
    """The frames of the most recently used workspaces, each valid while its version holds.

    Thread-safe, one build at a time per workspace, and never a frame older than the request:
    a request takes the cached frame when the workspace's version is unchanged, or when that
    frame's rows were read after the request arrived (a build it waited for). So under a stream
    of writes, requests that queue behind a rebuild share the next one instead of each
    rebuilding in turn, and a request still sees every write that finished before it arrived.
    Building one workspace's frame never blocks requests for another workspace.

    Args:
        max_workspaces: How many workspaces' frames to keep (least recently used go first).
    """

    def __init__(self, max_workspaces: int = 8) -> None:
        self.max_workspaces: int = check_param(
            "FrameCache", "max_workspaces", max_workspaces, Interval("int", 1)
        )
        self._frames: OrderedDict[Hashable, tuple[LoadedFrame, float]] = OrderedDict()
        self._builders: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()  # guards _frames and _builders; held only briefly

    def get(self, source: AnalyticsSource, workspace_id: int) -> LoadedFrame:
        """The frame of ``workspace_id``: cached when still valid (see above), else rebuilt."""
        arrived = time.monotonic()
        key = (id(source), workspace_id)
        version = source.analytics_version(workspace_id)
        cached = self._cached(key, version, arrived)
        if cached is not None:
            return cached
        with self._lock:
            builder = self._builders.setdefault(key, threading.Lock())
        with builder:
            cached = self._cached(key, version, arrived)  # a build this request waited for
            if cached is not None:
                return cached
            read_at = time.monotonic()
            started = time.perf_counter()
            records = source.analytics_records(workspace_id)
            read = time.perf_counter() - started
            frame = frame_from_records(records)
            loaded = LoadedFrame(
                frame, records.version, False, read, time.perf_counter() - started - read
            )
            with self._lock:
                self._frames[key] = (loaded, read_at)
                self._frames.move_to_end(key)
                while len(self._frames) > self.max_workspaces:
                    evicted, _ = self._frames.popitem(last=False)
                    self._builders.pop(evicted, None)
            return loaded

    def _cached(
        self, key: Hashable, version: tuple[Any, ...], arrived: float
    ) -> LoadedFrame | None:
        with self._lock:
            entry = self._frames.get(key)
            if entry is None:
                return None
            hit, read_at = entry
            if hit.version != version and read_at < arrived:
                return None
            self._frames.move_to_end(key)
            return LoadedFrame(hit.frame, hit.version, True, 0.0, 0.0)

    def clear(self) -> None:
        """Forget every frame."""
        with self._lock:
            self._frames.clear()
            self._builders.clear()
