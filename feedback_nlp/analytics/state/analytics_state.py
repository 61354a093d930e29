"""The analytics state: the current snapshot of each recently used workspace, kept up to date.

Readers never wait for a writer: a request refreshes a small workspace's snapshot only if no
other request is refreshing it (otherwise it answers from the current snapshot); a large one is
refreshed in a background thread. When the next snapshot only adds items (same themes), that
thread publishes it at once, with the recently used answers of the snapshot before inherited
as stale entries (served at once, stale-while-revalidate), then extends the recently used
filtered frames and computes the cheapest recently used answers over it (warming, within a
budget); the others are computed again by one background thread when asked for
(:mod:`~feedback_nlp.analytics.state.revalidation`). So new items count in every new question
as soon as they are merged, and no answer is older than it would be if the snapshot waited for
the warming. A snapshot rebuilt by a mining run or a theme edit is warmed *before* it is
published (nothing is served stale across a new taxonomy). Only the very first request of a
workspace (no snapshot yet) waits for the load. Building a snapshot is
:mod:`~feedback_nlp.analytics.state.building`; publishing and saving it is
:mod:`~feedback_nlp.analytics.state.saving`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from feedback_nlp.analytics.loader import LoadedFrame
from feedback_nlp.analytics.merge import append_frames
from feedback_nlp.analytics.state.building import SnapshotBuilder
from feedback_nlp.analytics.state.revalidation import Revalidator
from feedback_nlp.analytics.state.saving import SnapshotSaver
from feedback_nlp.analytics.state.snapshot import Snapshot, WorkspaceEntry
from feedback_nlp.analytics.state.source import StateSource

__all__ = ["AnalyticsState"]

logger = logging.getLogger(__name__)


class AnalyticsState(SnapshotBuilder, SnapshotSaver):
    """The analytics snapshots of the most recently used workspaces of one database.

    Args:
        directory: Where to save snapshots across restarts (``None``: memory only).
        namespace: Tells databases apart inside ``directory`` (e.g. the database URL).
        max_workspaces: How many workspaces to keep in memory.
        repair_interval: Seconds between repair passes (see
            :mod:`~feedback_nlp.analytics.state.building`).
        repair_overlap: How far before the watermark a repair pass re-reads.
        persist_interval: Fewest seconds between two saves of a workspace after merges.
        sync_below: Workspaces with fewer items are refreshed inside the request that notices
            a change (so it sees every write that finished before it; cheap at that size).
            Larger ones are refreshed in a background thread while requests keep answering
            from the current snapshot. The answers used in the last ``warm_window`` seconds
            are served stale (computed over the snapshot before) from the next snapshot's
            publication until they are computed over it: first by the refresh thread, right
            after publishing, within ``warm_budget``; the rest by one background computation
            when asked for. A rebuilt snapshot (a mining run or a theme edit) is never served
            stale: its answers are warmed before it is published.
        check_interval: Fewest seconds between two background refreshes of a workspace; a
            background thread also starts one every ``check_interval`` seconds when no
            request does, so a large workspace is never staler than that and a refresh.
        warm_window: See ``sync_below``.
        warm_budget: Most seconds spent warming one snapshot, cheapest answers first (the
            rest is served stale where it may be, else computed on use).
        revalidate_share: The largest share of its time the thread that recomputes stale
            answers spends computing (see :mod:`~feedback_nlp.analytics.state.revalidation`).
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
        warm_budget: float = 1.0,
        revalidate_share: float = 0.25,
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
        self._entries: OrderedDict[int, WorkspaceEntry] = OrderedDict()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._poller: threading.Thread | None = None
        self._refreshers: list[threading.Thread] = []
        self._closed = threading.Event()
        self._revalidator = Revalidator(self._peek, share=revalidate_share)

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

    def _kick(self, source: StateSource, workspace_id: int, entry: WorkspaceEntry) -> None:
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

    def _refresh_in_background(
        self, source: StateSource, workspace_id: int, entry: WorkspaceEntry
    ) -> None:
        try:
            with entry.builder:
                current = entry.snapshot
                if current is None:
                    return
                started = time.perf_counter()
                fresh = self._refresh(source, workspace_id, current)
                if fresh is current:
                    return
                built = time.perf_counter()
                rebuilt = fresh.marks.units_key() != current.marks.units_key()
                if rebuilt:
                    self._carry_frames(current, fresh)
                    self._warm(current, fresh)
                    self._publish(workspace_id, entry, fresh, rebuilt=True)
                else:
                    fresh.memo.inherit(
                        current.memo,
                        since=self.clock() - self.warm_window,
                        built_at=current.built_at,
                        revalidate=self._revalidator.for_workspace(workspace_id),
                    )
                    self._publish(workspace_id, entry, fresh)
                    self._carry_frames(current, fresh)
                    self._warm(current, fresh)
                logger.debug(
                    "analytics state of workspace %d: snapshot %d (%s, %d -> %d items) built in "
                    "%.2f s, carried and warmed in %.2f s",
                    workspace_id,
                    fresh.version,
                    "rebuilt" if rebuilt else "merged",
                    current.frame.n_items,
                    fresh.frame.n_items,
                    built - started,
                    time.perf_counter() - built,
                )
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
        for key, recipe, _ in current.frames.recent(self.clock() - self.warm_window):
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
        """Compute the recently used answers of ``current`` over ``fresh``, cheapest first.

        An answer whose last computation took longer than what is left of ``warm_budget`` is
        not started (it stays stale and is recomputed when asked for, or is computed on use).
        One computed over ``fresh`` already, or being computed (by a request or the
        revalidation thread), is left alone.
        """
        started = self.clock()
        for key, recipe, cost in current.memo.recent(started - self.warm_window):
            if self.clock() - started + cost > self.warm_budget:
                break
            try:
                fresh.memo.refresh(key, lambda recipe=recipe: recipe(fresh), recipe)  # type: ignore[misc]
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
        self._revalidator.close(timeout)

    # --- building --------------------------------------------------------------------------

    def _peek(self, workspace_id: int) -> Snapshot | None:
        with self._lock:
            entry = self._entries.get(workspace_id)
        return None if entry is None else entry.snapshot

    def _entry(self, workspace_id: int) -> WorkspaceEntry:
        with self._lock:
            entry = self._entries.get(workspace_id)
            if entry is None:
                entry = self._entries[workspace_id] = WorkspaceEntry()
            self._entries.move_to_end(workspace_id)
            while len(self._entries) > self.max_workspaces:
                self._entries.popitem(last=False)
            return entry

    def _first(self, source: StateSource, workspace_id: int, entry: WorkspaceEntry) -> Snapshot:
        """The saved snapshot caught up with the database, else a rebuild."""
        saved = self._load(source, workspace_id, entry)
        if saved is None:
            return self._rebuild(source, workspace_id, 1)
        return self._refresh(source, workspace_id, saved, force_repair=True)
