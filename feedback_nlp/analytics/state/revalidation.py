"""Stale answers computed again over the newest snapshot, one at a time, in the background.

When a large workspace's new snapshot only adds items (same themes and mining run), the answers
asked for over the snapshot before it are inherited as stale entries
(:meth:`~feedback_nlp.analytics.state.memo.Memo.inherit`). A request that finds one is answered
at once with it and schedules its key here; one thread computes each scheduled key over the
newest snapshot of its workspace, cheapest first (by the seconds its last computation took;
single flight: a key scheduled again while it is waiting or being computed is not computed twice)
and stores the answer there, so the next request gets it.

The thread computes for at most ``share`` of its time: after an answer that took ``c`` seconds
it rests ``c * (1 - share) / share`` seconds. A million-item workspace publishes a snapshot every
second or two under writes and its slowest answers take about a second each, so without the rest
recomputing them would keep one core (and the GIL) busy for good and every request would wait
for it. The price is that such an answer is staler (its ``X-Analytics-As-Of`` says by how much);
the answers that the refresh thread warms right after it publishes a snapshot (the cheap ones)
are not affected. A key being computed already (by that warming or by a request) is not
computed a second time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable

from feedback_nlp.analytics.state.memo import Recipe
from feedback_nlp.analytics.state.snapshot import Snapshot

__all__ = ["Revalidator"]

logger = logging.getLogger(__name__)


class Revalidator:
    """Computes scheduled answers over the newest snapshot of their workspace, one at a time.

    Args:
        newest: The current snapshot of a workspace (``None``: it is no longer kept).
        share: The largest share of its time the thread spends computing, in (0, 1].
    """

    def __init__(self, newest: Callable[[int], Snapshot | None], share: float = 0.5) -> None:
        if not 0.0 < share <= 1.0:
            raise ValueError(f"The 'share' of a Revalidator must be in (0, 1]. Got {share}.")
        self._newest = newest
        self._share = share
        self._queue: list[tuple[float, int, int, Hashable, Recipe]] = []  # a heap
        self._order = itertools.count()
        self._pending: set[tuple[int, Hashable]] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def schedule(self, workspace_id: int, key: Hashable, recipe: Recipe, cost: float = 0.0) -> None:
        """Compute ``key`` over the workspace's newest snapshot, unless it is already due.

        ``cost`` (seconds) orders the waiting computations: cheapest first, then oldest.
        """
        with self._wake:
            if self._closed or (workspace_id, key) in self._pending:
                return
            self._pending.add((workspace_id, key))
            heapq.heappush(self._queue, (cost, next(self._order), workspace_id, key, recipe))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="analytics-revalidate", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def for_workspace(self, workspace_id: int) -> Callable[[Hashable, Recipe, float], None]:
        """``schedule`` bound to one workspace (what a snapshot's memo calls)."""

        def revalidate(key: Hashable, recipe: Recipe, cost: float) -> None:
            self.schedule(workspace_id, key, recipe, cost)

        return revalidate

    def close(self, timeout: float = 60.0) -> None:
        """Drop what is waiting, let the answer being computed finish, stop the thread."""
        with self._wake:
            self._closed = True
            self._queue.clear()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                _, _, workspace_id, key, recipe = heapq.heappop(self._queue)
            spent = 0.0
            try:
                spent = self._compute(workspace_id, key, recipe)
            finally:
                with self._wake:
                    self._pending.discard((workspace_id, key))
                    resume = time.monotonic() + spent * (1.0 - self._share) / self._share
                    while not self._closed and (left := resume - time.monotonic()) > 0.0:
                        self._wake.wait(left)  # close() ends the rest; schedule() does not

    def _compute(self, workspace_id: int, key: Hashable, recipe: Recipe) -> float:
        """Compute ``key`` over the newest snapshot; the seconds it took (0: not computed)."""
        snapshot = self._newest(workspace_id)
        if snapshot is None:
            return 0.0
        started = time.perf_counter()
        try:
            computed = snapshot.memo.refresh(key, lambda: recipe(snapshot), recipe)
        except Exception:  # computed again (and failing) in the request that asks next
            logger.debug("revalidating %r failed", key, exc_info=True)
            snapshot.memo.drop_stale(key)
            return time.perf_counter() - started
        return time.perf_counter() - started if computed else 0.0
