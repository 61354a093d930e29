"""Building a workspace's next snapshot from its source: a rebuild, a merged delta, a repair.

* **Writes** merge in: only the items with a larger id or a newer ``updated_at`` than the
  snapshot's watermarks are read, with their units
  (:func:`~feedback_nlp.analytics.merge.merge_frame`).
* **Mining runs and theme edits** (another
  :meth:`~feedback_nlp.analytics.rows.AnalyticsMarks.units_key`) rebuild it from all rows.
* **Repair** (every ``repair_interval`` seconds) re-reads the writes of the last
  ``repair_overlap`` before the watermark it has not seen and compares the item count with the
  database's: a missing item is fetched, a deleted one causes a rebuild.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import numpy as np

from feedback_nlp.analytics.merge import FrameParts, merge_frame, parts_of
from feedback_nlp.analytics.rows import AnalyticsMarks, AnalyticsRows
from feedback_nlp.analytics.state.snapshot import Snapshot
from feedback_nlp.analytics.state.source import StateSource

__all__ = ["SnapshotBuilder"]

logger = logging.getLogger(__name__)


def _recent(
    seen: Mapping[int, datetime],
    rows: AnalyticsRows,
    updated: datetime | None,
    overlap: timedelta,
) -> Mapping[int, datetime]:
    """``seen`` with the rows' writes added and those older than ``updated - overlap`` gone."""
    if updated is None:
        return seen
    cutoff = updated - overlap
    if not rows.ids and all(at >= cutoff for at in seen.values()):
        return seen
    kept = {item: at for item, at in seen.items() if at >= cutoff}
    kept.update((item, at) for item, at in zip(rows.ids, rows.updated, strict=True) if at >= cutoff)
    return kept


def _newest(current: datetime | None, rows: AnalyticsRows) -> datetime | None:
    candidates = [t for t in (current, rows.marks.items_updated, *rows.updated) if t is not None]
    return max(candidates) if candidates else None


class SnapshotBuilder:
    """The next snapshot of a workspace: rebuilt, merged or repaired.

    Mixed into :class:`~feedback_nlp.analytics.state.AnalyticsState`, which sets these
    attributes (see its arguments).
    """

    clock: Callable[[], float]
    repair_interval: float
    repair_overlap: timedelta

    def _rebuild(self, source: StateSource, workspace_id: int, version: int) -> Snapshot:
        rows = source.analytics_rows(workspace_id)
        parts = parts_of(rows.records, rows.ids)
        updated = _newest(None, rows)
        return Snapshot(
            parts=parts,
            marks=rows.marks,
            max_id=int(parts.ids[-1]) if len(parts.ids) else 0,
            updated=updated,
            version=version,
            repaired_at=self.clock(),
            seen=_recent({}, rows, updated, self.repair_overlap),
        )

    def _refresh(
        self,
        source: StateSource,
        workspace_id: int,
        current: Snapshot,
        *,
        force_repair: bool = False,
    ) -> Snapshot:
        now = self.clock()
        repair = force_repair or now - current.repaired_at >= self.repair_interval
        marks = source.analytics_marks(workspace_id)
        version = current.version + 1
        if marks.units_key() != current.marks.units_key():
            return self._rebuild(source, workspace_id, version)
        if marks == current.marks and not repair:
            return current
        rows = source.analytics_rows(
            workspace_id, after_id=current.max_id, updated_after=current.updated
        )
        if rows.marks.units_key() != current.marks.units_key():
            return self._rebuild(source, workspace_id, version)
        parts = merge_frame(current.parts, rows.records, rows.ids)
        if parts is None:
            return self._rebuild(source, workspace_id, version)
        updated = _newest(current.updated, rows)
        seen = _recent(current.seen, rows, updated, self.repair_overlap)
        if repair:
            checked = self._repaired(source, workspace_id, parts, rows.marks, updated, seen)
            if checked is None:
                return self._rebuild(source, workspace_id, version)
            parts, seen, updated = checked
        if parts is current.parts and rows.marks == current.marks and not repair:
            return current
        return Snapshot(
            parts=parts,
            marks=rows.marks,
            max_id=max(current.max_id, int(parts.ids[-1]) if len(parts.ids) else 0),
            updated=updated,
            version=version,
            repaired_at=now if repair else current.repaired_at,
            seen=seen,
        )

    def _repaired(
        self,
        source: StateSource,
        workspace_id: int,
        parts: FrameParts,
        marks: AnalyticsMarks,
        updated: datetime | None,
        seen: Mapping[int, datetime],
    ) -> tuple[FrameParts, Mapping[int, datetime], datetime | None] | None:
        """``parts`` with the writes it missed, ``seen`` and the watermark (``None``: rebuild).

        A write is missed when its transaction committed after a later one's: its id and
        ``updated_at`` are below both watermarks. Writes of the last ``repair_overlap`` before
        the watermark whose (id, ``updated_at``) the state has not seen are read again, and the
        item count is compared with the database's (``None`` when items were deleted).

        The same read finds the writes committed since the delta read (newer than the
        watermark); they are merged too, and the watermark moves up to the newest write the
        read listed, so the next delta read does not read them again.
        """
        missing: set[int] = set()
        late = 0
        newest = updated
        if updated is not None:
            stamps = source.analytics_updates(workspace_id, since=updated - self.repair_overlap)
            missing = {item for item, at in stamps if seen.get(item) != at}
            late = sum(1 for item, at in stamps if at <= updated and seen.get(item) != at)
            newest = max([updated, *(at for _, at in stamps)])
        max_id = int(parts.ids[-1]) if len(parts.ids) else 0
        count = source.analytics_item_count(workspace_id, max_id=max_id)
        if count < parts.frame.n_items:
            return None
        if count > parts.frame.n_items:
            stored = np.asarray(source.analytics_item_ids(workspace_id), dtype=np.int64)
            missing |= {int(i) for i in np.setdiff1d(stored[stored <= max_id], parts.ids)}
        if not missing:
            return parts, seen, updated
        if late:
            logger.info("analytics state of workspace %d: %d late writes", workspace_id, late)
        rows = source.analytics_rows(workspace_id, ids=sorted(missing))
        if rows.marks.units_key() != marks.units_key():
            return None
        merged = merge_frame(parts, rows.records, rows.ids)
        if merged is None:
            return None
        return merged, _recent(seen, rows, newest, self.repair_overlap), newest
