"""Answers memoised over one snapshot, with the recipes that warm them over the next one."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["Memo", "Recipe"]

T = TypeVar("T")
Recipe = Callable[[Any], Any]  # Snapshot -> answer, or frame -> filtered frame


class Memo:
    """Answers computed over one snapshot, by key (bounded, least recently used go first).

    An answer may come with a *recipe*, a function that computes the same answer over another
    snapshot: :meth:`~feedback_nlp.analytics.state.AnalyticsState.snapshot` uses the recipes of
    answers asked for again (served from the memo at least once) to compute them over the next
    snapshot before publishing it (warming); a one-off question is not warmed.
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
