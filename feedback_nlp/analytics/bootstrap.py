r"""Quantiles of many groups with seeded bootstrap percentile intervals, without resampling loops.

**Quantile.** The ``p``-quantile of ``n`` sorted values ``x_0 <= ... <= x_{n-1}`` is numpy's
default (linear, Hyndman-Fan type 7): with ``h = (n - 1) p``, ``j = floor(h)``,

    Q_p = x_j + (h - j) (x_{j+1} - x_j)

so the median of an even count is the mean of the two middle values.

**Bootstrap.** The percentile interval of ``Q_p`` is the ``(1 - c) / 2`` and ``(1 + c) / 2``
quantiles of ``Q_p`` over ``n_resamples`` resamples of the group (``n`` values drawn with
replacement). ``Q_p`` of a resample needs only two of its order statistics, the ``(j+1)``-th
and ``(j+2)``-th smallest, so they are drawn directly from their exact distribution instead of
drawing ``n`` values: a resample is ``x_{ceil(n U) - 1}`` for ``n`` uniform ``U``, the
``a``-th smallest of ``n`` uniforms is ``U_(a) ~ Beta(a, n - a + 1)``, and the next one is
``U_(a+1) = U_(a) + (1 - U_(a)) Beta(1, n - a)`` (the smallest of the ``n - a`` uniforms above
it). Each draw is therefore distributed exactly as the quantile of one resample, at a cost of
``O(n_resamples)`` per group instead of ``O(n n_resamples)``: a million values cost one sort.

Draws come from ``numpy.random.default_rng(seed)``, consumed in a fixed order, so a call with
the same data, seed and number of resamples gives the same interval. A group of one value has
a zero-width interval; an empty group has NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from feedback_nlp.analytics.stats import FloatArray
from feedback_nlp.constraints import Interval, check_param

IntArray = npt.NDArray[np.int64]

__all__ = [
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "RESAMPLES",
    "SortedGroups",
    "bootstrap_quantiles",
    "check_resamples",
    "percentile_interval",
    "sort_groups",
]

#: Resamples of every bootstrap interval unless asked otherwise.
DEFAULT_RESAMPLES = 2000
#: Seed of every bootstrap unless asked otherwise (the answers are reproducible).
DEFAULT_SEED = 19
#: Bootstrap resamples per group, as every caller's ``n_resamples`` accepts it.
RESAMPLES = Interval("int", 10)


@dataclass(frozen=True, slots=True)
class SortedGroups:
    """Values sorted within groups: group ``g`` is ``values[starts[g]:starts[g + 1]]``."""

    values: FloatArray
    starts: IntArray

    @property
    def sizes(self) -> IntArray:
        """The number of values of each group."""
        return np.diff(self.starts)

    def quantiles(self, p: float) -> FloatArray:
        """The ``p``-quantile of each group (module docstring; NaN for an empty group)."""
        n = self.sizes
        h = (np.maximum(n, 1) - 1) * p
        j = np.floor(h).astype(np.int64)
        upper = np.minimum(j + 1, np.maximum(n - 1, 0))
        low = self._at(self.starts[:-1] + j, n)
        high = self._at(self.starts[:-1] + upper, n)
        return np.where(n > 0, low + (h - j) * (high - low), np.nan)

    def _at(self, index: IntArray, n: IntArray) -> FloatArray:
        if not self.values.size:
            return np.full(index.shape, np.nan)
        safe = np.clip(index, 0, self.values.size - 1)
        return np.where(n > 0, self.values[safe], np.nan)


def sort_groups(values: npt.ArrayLike, groups: npt.ArrayLike, n_groups: int) -> SortedGroups:
    """Group ``values`` by ``groups`` (codes ``0..n_groups-1``; ``-1`` and NaN values dropped).

    Args:
        values: One value per cell.
        groups: The group of each cell (same length).
        n_groups: Number of groups (empty ones included).

    Returns:
        The values sorted by group, then by value.
    """
    x = np.asarray(values, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    keep = (g >= 0) & ~np.isnan(x)
    x, g = x[keep], g[keep]
    order = np.lexsort((x, g))
    starts = np.searchsorted(g[order], np.arange(n_groups + 1)).astype(np.int64)
    return SortedGroups(x[order], starts)


def check_resamples(owner: str, n_resamples: object) -> int:
    """Return ``n_resamples`` as an int when :data:`RESAMPLES` accepts it.

    Raises:
        InvalidInputError: ``The 'n_resamples' parameter of owner must be an int in the range
            [10, inf]. Got ... instead.``
    """
    return int(check_param(owner, "n_resamples", n_resamples, RESAMPLES))


def bootstrap_quantiles(
    groups: SortedGroups, p: float, n_resamples: int, rng: np.random.Generator
) -> FloatArray:
    """The ``p``-quantile of ``n_resamples`` bootstrap resamples of every group.

    Args:
        groups: Sorted groups (:func:`sort_groups`).
        p: The quantile, in [0, 1].
        n_resamples: Resamples per group.
        rng: Where the draws come from (consumed in a fixed order).

    Returns:
        ``(n_groups, n_resamples)`` draws; rows of empty groups are NaN.
    """
    n = groups.sizes
    shape = (n.size, n_resamples)
    safe_n = np.maximum(n, 1)
    h = (safe_n - 1) * p
    j = np.floor(h).astype(np.int64)
    frac = (h - j)[:, None]
    a = (j + 1).astype(np.float64)  # 1-based rank of the lower order statistic
    first = rng.beta(a[:, None], (safe_n - a + 1.0)[:, None], size=shape)
    rest = np.maximum(safe_n - a, 1.0)[:, None]
    # Beta(1, m) is 1 - V ** (1 / m), V uniform in (0, 1] (inverse CDF): cheaper than a beta.
    second = first + (1.0 - first) * -np.expm1(np.log1p(-rng.random(shape)) / rest)
    base = groups.starts[:-1][:, None]

    def value(u: FloatArray) -> FloatArray:
        rank = np.clip(np.ceil(safe_n[:, None] * u).astype(np.int64) - 1, 0, safe_n[:, None] - 1)
        if not groups.values.size:
            return np.full(shape, np.nan)
        return np.asarray(groups.values[np.minimum(base + rank, groups.values.size - 1)])

    low = value(first)
    high = np.where(frac > 0, value(second), low)
    draws = low + frac * (high - low)
    return np.asarray(np.where((n > 0)[:, None], draws, np.nan), dtype=np.float64)


def percentile_interval(draws: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """The ``(1 - c) / 2`` and ``(1 + c) / 2`` quantiles of each row of ``draws`` (NaN stays)."""
    tail = (1.0 - confidence) / 2.0
    if draws.size == 0:
        empty = np.full(draws.shape[:-1], np.nan)
        return empty, empty.copy()
    finite = np.asarray(~np.isnan(draws).any(axis=-1), dtype=np.bool_)
    filled = np.where(finite[..., None], draws, 0.0)
    low, high = np.quantile(filled, [tail, 1.0 - tail], axis=-1)
    return np.where(finite, low, np.nan), np.where(finite, high, np.nan)
