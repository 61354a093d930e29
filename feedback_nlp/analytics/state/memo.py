"""Answers memoised over one snapshot, with the recipes that warm them over the next one.

An answer may also be *inherited* from the snapshot before (:meth:`Memo.inherit`): a
stale-while-revalidate entry, served at once to the request that asks for it while the answer
over the newest snapshot is computed in the background (one computation per key at a time, see
:mod:`~feedback_nlp.analytics.state.revalidation`). Only a top-level question is answered stale:
a computation that asks the memo for a part of its answer (``scores`` asks for ``metrics``)
always gets the part computed over its own snapshot.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Memo", "Recipe", "Revalidate", "Served", "computing"]

T = TypeVar("T")
Recipe = Callable[[Any], Any]  # Snapshot -> answer, or frame -> filtered frame
#: ``revalidate(key, recipe, cost)``: compute ``key`` over the newest snapshot, in the background
#: (``cost``: the seconds its last computation took, cheapest first).
Revalidate = Callable[[Hashable, Recipe, float], None]

_VALUE, _RECIPE, _USED, _SERVED, _AS_OF, _COST = range(6)
_depth = threading.local()


@contextmanager
def computing() -> Iterator[None]:
    """Mark this thread as inside a computation: stale answers are not served to it."""
    _depth.value = getattr(_depth, "value", 0) + 1
    try:
        yield
    finally:
        _depth.value -= 1


def _inside_a_computation() -> bool:
    return getattr(_depth, "value", 0) > 0


@dataclass(frozen=True, slots=True)
class Served:
    """Where an answer came from.

    Attributes:
        stale_as_of: ``None`` when the answer was computed over this memo's snapshot; else the
            wall-clock time (epoch seconds) at which the older snapshot it was computed over
            was built (a newer answer is being computed).
    """

    stale_as_of: float | None = None


class Memo:
    """Answers computed over one snapshot, by key (bounded, least recently used go first).

    An answer may come with a *recipe*, a function that computes the same answer over another
    snapshot: :meth:`~feedback_nlp.analytics.state.AnalyticsState.snapshot` uses the recipes of
    answers asked for again (served from the memo at least once) to compute them over the next
    snapshot (warming); a one-off question is not warmed.

    A key is computed once at a time: a request that asks for it while another computes it
    waits for that answer. After :meth:`inherit`, an answer computed over this memo's snapshot
    is also offered, stale, to the memo that inherited from it (a computation that ends after
    the next snapshot was published still spares the requests over the next one).
    """

    def __init__(self, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._clock = clock
        # key -> [value, recipe, last use, times served from the memo, stale as of (or None),
        #         seconds its computation took]
        self._values: OrderedDict[Hashable, list[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Event] = {}
        self._revalidate: Revalidate | None = None
        self._successor: Memo | None = None
        self._built_at = 0.0  # of this memo's snapshot, set when a successor inherits

    def get(self, key: Hashable, compute: Callable[[], T], recipe: Recipe | None = None) -> T:
        """The value of ``key``, computed (outside the lock) on first use."""
        return self.answer(key, compute, recipe)[0]

    def answer(
        self, key: Hashable, compute: Callable[[], T], recipe: Recipe | None = None
    ) -> tuple[T, Served]:
        """The value of ``key`` and where it came from.

        A stale entry is served as it is to a top-level question (and its revalidation
        scheduled); inside a computation, or without a revalidator, it is computed again.
        """
        while True:
            now = self._clock()
            with self._lock:
                found = self._values.get(key)
                serve = found is not None and (
                    found[_AS_OF] is None
                    or (self._revalidate is not None and not _inside_a_computation())
                )
                if found is not None and serve:
                    found[_USED] = now
                    found[_SERVED] += 1
                    self._values.move_to_end(key)
                    value, stale_recipe, as_of = found[_VALUE], found[_RECIPE], found[_AS_OF]
                    cost = found[_COST]
                    break
                running = self._computing.get(key)
                if running is None:
                    done = self._computing[key] = threading.Event()
            if running is None:
                return self._compute(key, compute, recipe, now, done), Served()
            running.wait()  # then served what it computed (or, if it failed, compute here)
        if as_of is None:
            return value, Served()
        assert self._revalidate is not None
        self._revalidate(key, stale_recipe, cost)
        return value, Served(stale_as_of=as_of)

    def refresh(self, key: Hashable, compute: Callable[[], Any], recipe: Recipe | None) -> bool:
        """Compute ``key`` over this memo's snapshot unless it is fresh or being computed.

        Never waits: a key another thread is computing is left to it (a stale entry is replaced
        when that computation ends). Returns whether this call computed it.
        """
        now = self._clock()
        with self._lock:
            found = self._values.get(key)
            if (found is not None and found[_AS_OF] is None) or key in self._computing:
                return False
            done = self._computing[key] = threading.Event()
        self._compute(key, compute, recipe, now, done)
        return True

    def _compute(
        self,
        key: Hashable,
        compute: Callable[[], T],
        recipe: Recipe | None,
        used: float,
        done: threading.Event,
    ) -> T:
        try:
            started = time.perf_counter()
            with computing():
                value = compute()
            self.put(key, value, recipe, used=used, cost=time.perf_counter() - started)
            return value
        finally:
            with self._lock:
                del self._computing[key]
            done.set()

    def put(
        self,
        key: Hashable,
        value: Any,
        recipe: Recipe | None,
        *,
        used: float | None = None,
        cost: float = 0.0,
    ) -> None:
        """Store ``value`` as computed over this memo's snapshot (replacing a stale entry).

        ``cost`` is the seconds the computation took (warming and revalidation go cheapest
        first).
        """
        now = self._clock() if used is None else used
        with self._lock:
            found = self._values.get(key)
            served = 0 if found is None else found[_SERVED]
            entry = self._values[key] = [value, recipe, now, served, None, cost]
            self._values.move_to_end(key)
            self._trim()
            successor, built_at = self._successor, self._built_at
        if successor is not None and recipe is not None:
            successor._offer(key, [*entry[:_SERVED], 1, built_at, cost])

    def _offer(self, key: Hashable, stale: list[Any]) -> None:
        """Keep ``stale`` (an older snapshot's answer) unless a newer answer is here already."""
        with self._lock:
            found = self._values.get(key)
            if found is not None and (found[_AS_OF] is None or found[_AS_OF] >= stale[_AS_OF]):
                return
            if found is not None:
                stale[_USED], stale[_SERVED] = found[_USED], found[_SERVED]
            self._values[key] = stale
            self._trim()
            successor = self._successor
        if successor is not None:
            successor._offer(key, list(stale))

    def _trim(self) -> None:
        while len(self._values) > self._size:
            self._values.popitem(last=False)

    def drop_stale(self, key: Hashable) -> None:
        """Forget ``key``'s stale entry (its revalidation failed: compute it on use)."""
        with self._lock:
            found = self._values.get(key)
            if found is not None and found[_AS_OF] is not None:
                del self._values[key]

    def peek(self, key: Hashable) -> Any:
        """The value of ``key`` if computed (``None`` otherwise); not counted as a use."""
        with self._lock:
            found = self._values.get(key)
        return None if found is None or found[_AS_OF] is not None else found[_VALUE]

    def is_fresh(self, key: Hashable) -> bool:
        """Whether ``key`` was computed over this memo's snapshot."""
        with self._lock:
            found = self._values.get(key)
        return found is not None and found[_AS_OF] is None

    def recent(self, since: float) -> list[tuple[Hashable, Recipe, float]]:
        """``(key, recipe, seconds)`` of the keys asked for again, last at or after ``since``.

        Cheapest first, by the seconds of their last computation, so a budget of seconds warms
        as many answers as it can (and a cheap one is never stuck behind an expensive one).
        """
        return [(key, entry[_RECIPE], entry[_COST]) for key, entry in self._recent(since)]

    def _recent(self, since: float) -> list[tuple[Hashable, list[Any]]]:
        with self._lock:
            found = [
                (key, list(entry))
                for key, entry in self._values.items()
                if entry[_RECIPE] is not None and entry[_SERVED] > 0 and entry[_USED] >= since
            ]
        found.sort(key=lambda item: (item[1][_COST], -item[1][_USED]))
        return found

    def inherit(self, older: Memo, *, since: float, built_at: float, revalidate: Revalidate) -> int:
        """Take ``older``'s recently asked-for answers this memo lacks, as stale entries.

        From then on, an answer computed over ``older``'s snapshot is offered here too.

        Args:
            older: The memo of the snapshot this one follows (same themes, newer items).
            since: Only answers last used at or after this (monotonic) time.
            built_at: When ``older``'s snapshot was built (epoch seconds), for answers computed
                over it (those it inherited itself keep their own time).
            revalidate: Schedules an answer's computation over the newest snapshot.

        Returns:
            How many answers were inherited.
        """
        with self._lock:
            self._revalidate = revalidate
        with older._lock:  # first, so an answer older finishes from now on is offered here
            older._successor, older._built_at = self, built_at
        taken = 0
        for key, entry in older._recent(since):
            as_of = built_at if entry[_AS_OF] is None else entry[_AS_OF]
            with self._lock:
                if key in self._values:
                    continue
                self._values[key] = [*entry[:_SERVED], 1, as_of, entry[_COST]]
                self._trim()
            taken += 1
        return taken
