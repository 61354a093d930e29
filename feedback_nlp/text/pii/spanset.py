"""A set of claimed text spans with fast overlap look-ups."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable


class SpanSet:
    """Half-open spans ``[start, end)``, kept sorted and merged.

    Adding a span and testing one are binary searches, so that a text with thousands of
    detections is still handled in ``n log n``.

    Args:
        spans: Spans to start with; they may overlap.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Claim ``[start, end)``, merging it with the spans it overlaps or touches.

        Args:
            start: First offset of the span.
            end: Offset one past its end.
        """
        first = bisect_left(self._ends, start)  # spans from here on end at or after `start`
        stop = bisect_right(self._starts, end)  # spans before here start at or before `end`
        if first < stop:
            start, end = min(start, self._starts[first]), max(end, self._ends[stop - 1])
        self._starts[first:stop] = [start]
        self._ends[first:stop] = [end]

    def free(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` overlaps no claimed span.

        Args:
            start: First offset of the span.
            end: Offset one past its end.

        Returns:
            ``True`` when no offset of the span is claimed.
        """
        index = bisect_right(self._ends, start)  # the first span ending after `start`
        return index == len(self._starts) or self._starts[index] >= end
