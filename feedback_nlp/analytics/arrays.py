"""Distinct integers by sorting: what ``np.unique`` gives, at the cost of one sort.

With numpy 2.4 on this project's machines ``np.unique`` of 2M int64 took 2.4-2.8 s where a sort
takes 0.05 s (and a stable sort of the nearly sorted keys the analytics build, item-major cells,
0.02 s). These give the same arrays as ``np.unique`` (ascending distinct values; the inverse
indexes them), so the analytics stay exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["distinct", "distinct_with_inverse"]

IntArray = npt.NDArray[np.int64]


def distinct(values: npt.ArrayLike) -> IntArray:
    """The distinct values, ascending (``np.unique(values)``)."""
    ordered = np.sort(np.asarray(values, dtype=np.int64), kind="stable")
    if ordered.size < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def distinct_with_inverse(values: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """``(distinct, inverse)`` as ``np.unique(values, return_inverse=True)``.

    ``distinct[inverse]`` is ``values``.
    """
    array = np.asarray(values, dtype=np.int64)
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.size else np.zeros(0, bool)
    inverse = np.empty(array.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse
