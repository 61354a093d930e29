"""Per-workspace analytics state that is updated, not rebuilt: immutable snapshots, swapped.

:class:`AnalyticsState` keeps one :class:`Snapshot` per workspace: a
:class:`~feedback_nlp.analytics.frame.FeedbackFrame` with the watermarks it was read up to, and a
memo of answers computed over it. How a snapshot follows the database:

* **Writes** (the API, ``feedback-nlp ingest`` in another process, anything): every item insert
  and update sets ``updated_at``; the cheap marks (:class:`~feedback_nlp.store.analytics.
  AnalyticsMarks`) show that something changed, and only the items with a larger id or a newer
  ``updated_at`` than the snapshot's watermarks are read, with their units, and merged in
  (:func:`~feedback_nlp.analytics.merge.merge_frame`).
* **Mining runs and theme edits** change the latest run id or the themes' ``updated_at``: every
  unit's theme may have changed, so the snapshot is rebuilt from all rows.
* **Repair**: every ``repair_interval`` seconds a refresh re-reads the items updated within
  ``repair_overlap`` before the watermark (a transaction that committed after a later one) and
  compares the item count with the database's; a missing item is fetched, a deleted one causes a
  rebuild.

Readers never wait for a writer: a request refreshes the snapshot only if no other request is
refreshing it; otherwise it answers from the current snapshot. Only the very first request of a
workspace (no snapshot yet) waits for the load. A snapshot is never changed once published, so a
reader sees one consistent state (never half of a mining run).

Restarts: with a ``directory``, each workspace's state is saved (:mod:`~feedback_nlp.analytics.
persist`) after a rebuild and at most every ``persist_interval`` seconds after merges, in a
background thread, and the first request after a start loads it and catches up from its
watermarks instead of reading every row. A snapshot that is damaged, half written or of another
database is ignored (rebuilt); a SIGKILL at any point loses nothing, since the database is the
source of truth and the watermarks say what to re-read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.loader import LoadedFrame
from feedback_nlp.analytics.merge import FrameParts, append_frames, merge_frame, parts_of
from feedback_nlp.analytics.persist import load_snapshot, save_snapshot
from feedback_nlp.analytics.rows import AnalyticsMarks, AnalyticsRows

__all__ = ["AnalyticsState", "Snapshot", "StateSource"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
Recipe = Callable[[Any], Any]  # Snapshot -> answer, or frame -> filtered frame


class StateSource(Protocol):
    """Where the state reads rows (the :class:`~feedback_nlp.store.Store` is one)."""

    def analytics_marks(self, workspace_id: int) -> AnalyticsMarks:
        """The cheap change marks."""
        ...

    def analytics_rows(
        self,
        workspace_id: int,
        *,
        after_id: int | None = None,
        updated_after: datetime | None = None,
        ids: Any = (),
    ) -> AnalyticsRows:
        """Every row, or the rows changed after the watermarks."""
        ...

    def analytics_item_count(self, workspace_id: int, *, max_id: int | None = None) -> int:
        """How many items the workspace has."""
        ...

    def analytics_updates(
        self, workspace_id: int, *, since: datetime
    ) -> list[tuple[int, datetime]]:
        """``(id, updated_at)`` of the items updated at or after ``since``."""
        ...

    def analytics_item_ids(self, workspace_id: int) -> list[int]:
        """Every item id, ascending."""
        ...

    def analytics_identity(self, workspace_id: int) -> str | None:
        """What tells this workspace apart from one of another database."""
        ...


class Memo:
    """Answers computed over one snapshot, by key (bounded, least recently used go first).

    An answer may come with a *recipe*, a function that computes the same answer over another
    snapshot: :meth:`AnalyticsState.snapshot` uses the recipes of answers asked for again
    (served from the memo at least once) to compute them over the next snapshot before
    publishing it (warming); a one-off question is not warmed.
    """

    def __init__(self, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._clock = clock
        # key -> [value, recipe, last use, times served from the memo]
        self._values: OrderedDict[Hashable, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], recipe: Recipe | None = None) -> T:
        """The value of ``key``, computed (outside the lock) on first use."""
        now = self._clock()
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                found[2] = now
                found[3] += 1
                self._values.move_to_end(key)
                return found[0]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._values[key] = [value, recipe, now, 0]
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any:
        """The value of ``key`` if computed (``None`` otherwise); not counted as a use."""
        with self._lock:
            found = self._values.get(key)
        return None if found is None else found[0]

    def recent(self, since: float) -> list[tuple[Hashable, Recipe]]:
        """Keys asked for again, last at or after ``since``, with a recipe; latest first."""
        with self._lock:
            found = [
                (key, entry[1], entry[2])
                for key, entry in self._values.items()
                if entry[1] is not None and entry[3] > 0 and entry[2] >= since
            ]
        found.sort(key=lambda entry: -entry[2])
        return [(key, recipe) for key, recipe, _ in found]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One published state of a workspace (never changed after publication).

    Attributes:
        parts: The frame and its database ids.
        marks: The marks read together with the rows it holds.
        max_id: Its largest item id (watermark of new items).
        updated: Its newest item ``updated_at`` (watermark of changed items).
        version: Increases with every published snapshot of the workspace.
        repaired_at: When (monotonic seconds) the last repair pass ran.
        memo: Answers computed over it.
        frames: Filtered frames of it (few: each can be as large as the frame).
        seen: ``updated_at`` of the items it merged within ``repair_overlap`` of its watermark
            (a repair pass reads only the writes of that window it has not seen).
    """

    parts: FrameParts
    marks: AnalyticsMarks
    max_id: int
    updated: datetime | None
    version: int
    repaired_at: float
    memo: Memo = field(default_factory=Memo)
    frames: Memo = field(default_factory=lambda: Memo(4))
    seen: Mapping[int, datetime] = field(default_factory=dict)

    @property
    def frame(self) -> FeedbackFrame:
        """The frame."""
        return self.parts.frame


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


@dataclass(slots=True)
class _Entry:
    builder: threading.Lock = field(default_factory=threading.Lock)
    snapshot: Snapshot | None = None
    directory: Path | None = None  # where its snapshot is saved (None: not saved)
    persisted_at: float = float("-inf")
    persisted_version: int = -1
    persisting: bool = False
    refreshing: bool = False  # a background refresh is under way
    kicked_at: float = float("-inf")
    source: Any = None  # what background refreshes read (set by the first one)


class AnalyticsState:
    """The analytics snapshots of the most recently used workspaces of one database.

    Args:
        directory: Where to save snapshots across restarts (``None``: memory only).
        namespace: Tells databases apart inside ``directory`` (e.g. the database URL).
        max_workspaces: How many workspaces to keep in memory.
        repair_interval: Seconds between repair passes (see the module docstring).
        repair_overlap: How far before the watermark a repair pass re-reads.
        persist_interval: Fewest seconds between two saves of a workspace after merges.
        sync_below: Workspaces with fewer items are refreshed inside the request that notices
            a change (so it sees every write that finished before it; cheap at that size).
            Larger ones are refreshed in a background thread while requests keep answering
            from the current snapshot, and the answers used in the last ``warm_window``
            seconds are computed over the next snapshot before it is published.
        check_interval: Fewest seconds between two background refreshes of a workspace; a
            background thread also starts one every ``check_interval`` seconds when no
            request does, so a large workspace is never staler than that and a refresh.
        warm_window: See ``sync_below``.
        warm_budget: Most seconds spent warming one snapshot (the rest is computed on use).
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        directory: Path | None = None,
        namespace: str = "",
        max_workspaces: int = 8,
        repair_interval: float = 5.0,
        repair_overlap: timedelta = timedelta(seconds=10),
        persist_interval: float = 30.0,
        sync_below: int = 10_000,
        check_interval: float = 0.5,
        warm_window: float = 60.0,
        warm_budget: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.namespace = namespace
        self.max_workspaces = max_workspaces
        self.repair_interval = repair_interval
        self.repair_overlap = repair_overlap
        self.persist_interval = persist_interval
        self.sync_below = sync_below
        self.check_interval = check_interval
        self.warm_window = warm_window
        self.warm_budget = warm_budget
        self.clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._poller: threading.Thread | None = None
        self._refreshers: list[threading.Thread] = []
        self._closed = threading.Event()

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self, source: StateSource, workspace_id: int) -> Snapshot:
        """The workspace's current snapshot, brought up to date unless another request is.

        Only the first call for a workspace waits (for the load); afterwards a call that finds
        a refresh under way answers from the snapshot published before it.
        """
        entry = self._entry(workspace_id)
        current = entry.snapshot
        if current is None:
            with entry.builder:
                if entry.snapshot is None:
                    first = self._first(source, workspace_id, entry)
                    self._publish(workspace_id, entry, first, rebuilt=True)
                    assert entry.snapshot is not None
                    return entry.snapshot
                current = entry.snapshot
        if current.frame.n_items >= self.sync_below:
            self._kick(source, workspace_id, entry)
            return current
        if not entry.builder.acquire(blocking=False):
            return current
        try:
            current = entry.snapshot or current
            fresh = self._refresh(source, workspace_id, current)
            if fresh is not current:
                rebuilt = fresh.marks.units_key() != current.marks.units_key()
                self._publish(workspace_id, entry, fresh, rebuilt=rebuilt)
            return fresh
        finally:
            entry.builder.release()

    def _kick(self, source: StateSource, workspace_id: int, entry: _Entry) -> None:
        """Start a background refresh of the workspace unless one runs or ran just now."""
        with self._lock:
            entry.source = source
            if self._poller is None and not self._closed.is_set():
                self._poller = threading.Thread(
                    target=self._poll, name="analytics-poller", daemon=True
                )
                self._poller.start()
            now = self.clock()
            if self._closed.is_set():
                return
            if entry.refreshing or now - entry.kicked_at < self.check_interval:
                return
            entry.refreshing, entry.kicked_at = True, now
            thread = threading.Thread(
                target=self._refresh_in_background,
                args=(source, workspace_id, entry),
                name=f"analytics-refresh-{workspace_id}",
                daemon=True,
            )
            self._refreshers = [t for t in self._refreshers if t.is_alive()] + [thread]
            thread.start()

    def _poll(self) -> None:
        """Kick a refresh of every large workspace every ``check_interval`` seconds."""
        while not self._closed.wait(max(self.check_interval, 0.05)):
            with self._lock:
                entries = list(self._entries.items())
            for workspace_id, entry in entries:
                snapshot = entry.snapshot
                large = snapshot is not None and snapshot.frame.n_items >= self.sync_below
                if entry.source is not None and large:
                    self._kick(entry.source, workspace_id, entry)

    def _refresh_in_background(self, source: StateSource, workspace_id: int, entry: _Entry) -> None:
        try:
            with entry.builder:
                current = entry.snapshot
                if current is None:
                    return
                fresh = self._refresh(source, workspace_id, current)
                if fresh is current:
                    return
                self._carry_frames(current, fresh)
                self._warm(current, fresh)
                rebuilt = fresh.marks.units_key() != current.marks.units_key()
                self._publish(workspace_id, entry, fresh, rebuilt=rebuilt)
        except Exception:
            logger.exception("could not refresh the analytics state of workspace %d", workspace_id)
        finally:
            with self._lock:
                entry.refreshing = False
                entry.kicked_at = self.clock()

    def _carry_frames(self, current: Snapshot, fresh: Snapshot) -> None:
        """Extend the recently used filtered frames of ``current`` with the new items.

        A filtered frame's recipe maps a frame to its filtered frame; when ``fresh`` is
        ``current`` with items appended, its filtered frame is the old one with the filtered
        new items appended (exactly what filtering ``fresh`` gives, without a pass over it).
        """
        added = fresh.parts.appended
        if added is None:
            return
        for key, recipe in current.frames.recent(self.clock() - self.warm_window):
            old = current.frames.peek(key)
            if old is None:
                continue
            try:
                extended = append_frames(old, recipe(added))
            except Exception:  # the filter does not apply to the new items: filter on use
                logger.debug("carrying the filtered frame %r failed", key, exc_info=True)
                continue
            if extended is not None:
                fresh.frames.get(key, lambda extended=extended: extended, recipe)  # type: ignore[misc]

    def _warm(self, current: Snapshot, fresh: Snapshot) -> None:
        """Compute the recently used answers of ``current`` over ``fresh``."""
        started = self.clock()
        for key, recipe in current.memo.recent(started - self.warm_window):
            if self.clock() - started > self.warm_budget:
                break
            try:
                fresh.memo.get(key, lambda recipe=recipe: recipe(fresh), recipe)  # type: ignore[misc]
            except Exception:  # an answer that no longer computes is computed (and fails) on use
                logger.debug("warming %r failed", key, exc_info=True)

    def get(self, source: StateSource, workspace_id: int) -> LoadedFrame:
        """The workspace's frame, shaped like ``FrameCache.get`` (version: the snapshot's)."""
        before = self._peek(workspace_id)
        started = time.perf_counter()
        snapshot = self.snapshot(source, workspace_id)
        cached = before is snapshot
        elapsed = 0.0 if cached else time.perf_counter() - started
        return LoadedFrame(snapshot.frame, (snapshot.version,), cached, elapsed, 0.0)

    def clear(self) -> None:
        """Forget every snapshot in memory (saved ones stay)."""
        with self._lock:
            self._entries.clear()

    def close(self, timeout: float = 60.0) -> None:
        """Stop the background refreshes and wait for them and for background saves to finish.

        A server calls this before it disposes of its database engine, so no refresh reads a
        database that is gone.
        """
        self._closed.set()
        with self._lock:
            threads = [*self._refreshers, *self._threads]
            poller = self._poller
        if poller is not None:
            threads.append(poller)
        for thread in threads:
            thread.join(timeout)

    # --- building --------------------------------------------------------------------------

    def _peek(self, workspace_id: int) -> Snapshot | None:
        with self._lock:
            entry = self._entries.get(workspace_id)
        return None if entry is None else entry.snapshot

    def _entry(self, workspace_id: int) -> _Entry:
        with self._lock:
            entry = self._entries.get(workspace_id)
            if entry is None:
                entry = self._entries[workspace_id] = _Entry()
            self._entries.move_to_end(workspace_id)
            while len(self._entries) > self.max_workspaces:
                self._entries.popitem(last=False)
            return entry

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

    def _first(self, source: StateSource, workspace_id: int, entry: _Entry) -> Snapshot:
        """The saved snapshot caught up with the database, else a rebuild."""
        saved = self._load(source, workspace_id, entry)
        if saved is None:
            return self._rebuild(source, workspace_id, 1)
        return self._refresh(source, workspace_id, saved, force_repair=True)

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
            parts, seen = checked
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
    ) -> tuple[FrameParts, Mapping[int, datetime]] | None:
        """``parts`` with the writes it missed (``None``: items were deleted; rebuild).

        A write is missed when its transaction committed after a later one's: its id and
        ``updated_at`` are below both watermarks. Writes of the last ``repair_overlap`` before
        the watermark whose (id, ``updated_at``) the state has not seen are read again, and the
        item count is compared with the database's.
        """
        missing: set[int] = set()
        if updated is not None:
            stamps = source.analytics_updates(workspace_id, since=updated - self.repair_overlap)
            missing = {item for item, at in stamps if seen.get(item) != at}
        max_id = int(parts.ids[-1]) if len(parts.ids) else 0
        count = source.analytics_item_count(workspace_id, max_id=max_id)
        if count < parts.frame.n_items:
            return None
        if count > parts.frame.n_items:
            stored = np.asarray(source.analytics_item_ids(workspace_id), dtype=np.int64)
            missing |= {int(i) for i in np.setdiff1d(stored[stored <= max_id], parts.ids)}
        if not missing:
            return parts, seen
        logger.info("analytics state of workspace %d: %d late writes", workspace_id, len(missing))
        rows = source.analytics_rows(workspace_id, ids=sorted(missing))
        if rows.marks.units_key() != marks.units_key():
            return None
        merged = merge_frame(parts, rows.records, rows.ids)
        if merged is None:
            return None
        return merged, _recent(seen, rows, updated, self.repair_overlap)

    # --- publishing and saving -------------------------------------------------------------

    def _publish(
        self, workspace_id: int, entry: _Entry, snapshot: Snapshot, *, rebuilt: bool = False
    ) -> None:
        entry.snapshot = snapshot
        if entry.directory is None or entry.persisting:
            return
        due = self.clock() - entry.persisted_at >= self.persist_interval
        if snapshot.version == entry.persisted_version or not (rebuilt or due):
            return
        entry.persisting = True
        thread = threading.Thread(
            target=self._save,
            args=(workspace_id, entry, snapshot),
            name=f"analytics-save-{workspace_id}",
            daemon=True,
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _directory(self, workspace_id: int, identity: str) -> Path:
        assert self.directory is not None
        digest = hashlib.sha256(f"{self.namespace}\n{identity}".encode()).hexdigest()[:16]
        return self.directory / f"ws{workspace_id}-{digest}"

    def _save(self, workspace_id: int, entry: _Entry, snapshot: Snapshot) -> None:
        assert entry.directory is not None
        try:
            meta = {
                "max_id": snapshot.max_id,
                "updated": None if snapshot.updated is None else snapshot.updated.isoformat(),
                "marks": _marks_json(snapshot.marks),
                "seen": [[item, at.isoformat()] for item, at in snapshot.seen.items()],
            }
            save_snapshot(entry.directory, snapshot.parts, meta)
            entry.persisted_at = self.clock()
            entry.persisted_version = snapshot.version
        except Exception:
            logger.exception("could not save the analytics state of workspace %d", workspace_id)
        finally:
            entry.persisting = False

    def _load(self, source: StateSource, workspace_id: int, entry: _Entry) -> Snapshot | None:
        if self.directory is None:
            return None
        identity = source.analytics_identity(workspace_id)
        if identity is None:
            return None
        entry.directory = self._directory(workspace_id, identity)
        loaded = load_snapshot(entry.directory)
        if loaded is None:
            return None
        parts, meta = loaded
        try:
            marks = _marks_from_json(meta["marks"])
            updated = None if meta["updated"] is None else datetime.fromisoformat(meta["updated"])
            max_id = int(meta["max_id"])
            seen = {int(item): datetime.fromisoformat(at) for item, at in meta.get("seen", [])}
        except (KeyError, TypeError, ValueError):
            return None
        return Snapshot(
            parts=parts,
            marks=marks,
            max_id=max_id,
            updated=updated,
            version=1,
            repaired_at=0.0,
            seen=seen,
        )


def _marks_json(marks: AnalyticsMarks) -> dict[str, Any]:
    return {
        "items_updated": None if marks.items_updated is None else marks.items_updated.isoformat(),
        "run_id": marks.run_id,
        "themes_updated": None
        if marks.themes_updated is None
        else marks.themes_updated.isoformat(),
        "n_themes": marks.n_themes,
    }


def _marks_from_json(data: dict[str, Any]) -> AnalyticsMarks:
    def instant(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return AnalyticsMarks(
        items_updated=instant(data["items_updated"]),
        run_id=None if data["run_id"] is None else int(data["run_id"]),
        themes_updated=instant(data["themes_updated"]),
        n_themes=int(data["n_themes"]),
    )
