"""Small vectorised statistics shared by the analytics modules: intervals, tests, BH.

Every function takes arrays (one entry per group or cell) and returns arrays of the same shape,
so a table of a thousand cells costs one call. Nothing here knows about feedback.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from feedback_nlp.constraints import Interval, check_param

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

__all__ = [
    "CONFIDENCE",
    "FDR",
    "FloatArray",
    "benjamini_hochberg",
    "check_confidence",
    "log_ratio_interval",
    "mean_interval",
    "rate_increase_test",
    "risk_ratio",
    "two_by_two_test",
    "wilson_interval",
    "z_value",
]

#: Smallest expected cell count for which the chi-square test is used instead of Fisher's.
MIN_EXPECTED = 5.0

#: The false discovery rate of a Benjamini-Hochberg test, as every caller's ``fdr`` accepts it.
FDR = Interval("float", 0.0, 1.0, closed="right")
#: The two-sided confidence level of an interval, as every caller's ``confidence`` accepts it.
CONFIDENCE = Interval("float", 0.0, 1.0, closed="neither")


def check_confidence(owner: str, confidence: object) -> float:
    """Return ``confidence`` as a float when :data:`CONFIDENCE` accepts it.

    Raises:
        InvalidInputError: ``The 'confidence' parameter of owner must be a float in the range
            (0.0, 1.0). Got ... instead.``
    """
    return float(check_param(owner, "confidence", confidence, CONFIDENCE))


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence`` (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of a binomial proportion.

    Args:
        successes: Success counts.
        n: Trial counts (same shape); a group with ``n == 0`` gets NaN bounds.
        confidence: Two-sided confidence level.

    Returns:
        ``(low, high)`` as proportions in [0, 1].
    """
    k = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / total
        denom = 1.0 + z * z / total
        centre = (p + z * z / (2.0 * total)) / denom
        half = z * np.sqrt(p * (1.0 - p) / total + z * z / (4.0 * total * total)) / denom
    low = np.where(total > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(total > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # Guard against rounding pushing a bound past the estimate at p = 0 or 1.
    return np.minimum(low, np.where(total > 0, p, np.nan)), np.maximum(
        high, np.where(total > 0, p, np.nan)
    )


def mean_interval(
    total: ArrayLike,
    total_sq: ArrayLike,
    n: ArrayLike,
    confidence: float = 0.95,
    *,
    bounds: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Student-t interval of a mean, from sums (so groups are summed with one bincount).

    With one observation the spread is unknown: the interval is the whole ``bounds`` range.
    Bounds clip the interval to the scale (a 1-5 CSAT mean never reaches 5.2).

    Args:
        total: Sum of the values per group.
        total_sq: Sum of the squared values per group.
        n: Number of values per group.
        confidence: Two-sided confidence level.
        bounds: The scale's minimum and maximum.

    Returns:
        ``(mean, low, high)``; NaN where ``n == 0``.
    """
    s = np.asarray(total, dtype=np.float64)
    s2 = np.asarray(total_sq, dtype=np.float64)
    count = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / count
        var = np.maximum(s2 - count * mean * mean, 0.0) / (count - 1.0)
        t = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(count - 1.0, 1.0))
        half = np.where(count > 1, t * np.sqrt(var / count), np.inf)
    mean = np.where(count > 0, mean, np.nan)
    low = np.where(count > 0, np.clip(mean - half, bounds[0], bounds[1]), np.nan)
    high = np.where(count > 0, np.clip(mean + half, bounds[0], bounds[1]), np.nan)
    return mean, low, high


def risk_ratio(
    a: ArrayLike, n1: ArrayLike, c: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Ratio of two proportions ``(a / n1) / (c / n2)`` and the standard error of its log.

    When ``a`` or ``c`` is zero, 0.5 is added to every cell of the 2x2 table (Haldane-Anscombe)
    so the ratio and its interval stay finite; otherwise the raw counts are used.

    Returns:
        ``(ratio, se_log)``; NaN where a group is empty.
    """
    a_ = np.asarray(a, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    n1_ = np.asarray(n1, dtype=np.float64)
    n2_ = np.asarray(n2, dtype=np.float64)
    zero = (a_ == 0) | (c_ == 0)
    shift = np.where(zero, 0.5, 0.0)
    a_s, c_s = a_ + shift, c_ + shift
    n1_s, n2_s = n1_ + 2.0 * shift, n2_ + 2.0 * shift
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (a_s / n1_s) / (c_s / n2_s)
        se = np.sqrt(1.0 / a_s - 1.0 / n1_s + 1.0 / c_s - 1.0 / n2_s)
    empty = (n1_ == 0) | (n2_ == 0)
    return np.where(empty, np.nan, ratio), np.where(empty, np.nan, se)


def log_ratio_interval(
    ratio: ArrayLike, se_log: ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Interval ``exp(log(ratio) +- z * se_log)`` (Katz); contains ``ratio`` by construction."""
    r = np.asarray(ratio, dtype=np.float64)
    se = np.asarray(se_log, dtype=np.float64)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        return r * np.exp(-z * se), r * np.exp(z * se)


def two_by_two_test(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, *, min_expected: float = MIN_EXPECTED
) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Two-sided test of independence for many 2x2 tables ``[[a, b], [c, d]]``.

    A table whose smallest expected count is at least ``min_expected`` gets Pearson's chi-square
    test without continuity correction (the same p-value as the two-proportion z-test); any other
    table gets Fisher's exact test. A table with an empty row or column has no test (NaN).

    Returns:
        ``(p_values, test_names)`` where a name is ``"chi2"``, ``"fisher"`` or ``"none"``.
    """
    cells = [np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (a, b, c, d)]
    a_, b_, c_, d_ = np.broadcast_arrays(*cells)
    n = a_ + b_ + c_ + d_
    rows = (a_ + b_, c_ + d_)
    cols = (a_ + c_, b_ + d_)
    degenerate = (rows[0] == 0) | (rows[1] == 0) | (cols[0] == 0) | (cols[1] == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_min = np.minimum(rows[0], rows[1]) * np.minimum(cols[0], cols[1]) / n
        chi2 = n * (a_ * d_ - b_ * c_) ** 2 / (rows[0] * rows[1] * cols[0] * cols[1])
    p = np.asarray(stats.chi2.sf(chi2, 1), dtype=np.float64)
    names = np.where(degenerate, "none", "chi2").astype("<U6")
    p = np.where(degenerate, np.nan, p)
    exact = ~degenerate & (expected_min < min_expected)
    for index in zip(*np.nonzero(exact), strict=True):
        table = [[a_[index], b_[index]], [c_[index], d_[index]]]
        p[index] = stats.fisher_exact(table, alternative="two-sided").pvalue
        names[index] = "fisher"
    shape = np.broadcast_shapes(*(np.shape(x) for x in (a, b, c, d)))
    return p.reshape(shape), names.reshape(shape)


def rate_increase_test(
    count: ArrayLike, n: ArrayLike, base_count: ArrayLike, base_n: ArrayLike
) -> FloatArray:
    """One-sided exact test that a rate ``count / n`` is above a baseline ``base_count / base_n``.

    Under equal rates, ``count`` given the total ``t = count + base_count`` is
    ``Binomial(t, n / (n + base_n))`` (the conditional test of two Poisson rates), so

        p = P(X >= count),   X ~ Binomial(count + base_count, n / (n + base_n))

    Unlike a test against a fixed baseline share, it accounts for the baseline's own noise: a
    baseline of few observations proves little. Exact for small counts (and conservative, as
    discrete tests are).

    Args:
        count: Events in the tested group (e.g. items of a week that mention a theme).
        n: Size of the tested group (items of the week).
        base_count: Events in the baseline (the weeks before).
        base_n: Size of the baseline.

    Returns:
        p-values of the broadcast shape; NaN where ``n`` or ``base_n`` is 0 or no event
        occurred at all (``count + base_count == 0``: nothing to test).
    """
    c, size, b, base = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (count, n, base_count, base_n))
    )
    total = c + b
    testable = (size > 0) & (base > 0) & (total > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = size / (size + base)
    p = stats.binom.sf(c - 1.0, np.where(testable, total, 0.0), np.where(testable, share, 0.5))
    return np.where(testable, np.asarray(p, dtype=np.float64), np.nan)


def benjamini_hochberg(p_values: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values), controlling the false discovery rate.

    ``q_(i) = min_{j >= i} min(1, m * p_(j) / j)`` over the ``m`` finite p-values sorted
    ascending; NaN p-values (cells without a test) stay NaN and do not count in ``m``.
    A cell is a discovery at FDR level ``alpha`` when ``q <= alpha``.

    Args:
        p_values: Any shape; the correction runs over all finite entries together.

    Returns:
        q-values of the same shape.
    """
    p = np.asarray(p_values, dtype=np.float64)
    flat = p.ravel()
    q = np.full(flat.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(flat))
    m = finite.size
    if m:
        order = finite[np.argsort(flat[finite], kind="stable")]
        ranked = flat[order] * m / np.arange(1, m + 1)
        q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q.reshape(p.shape)
