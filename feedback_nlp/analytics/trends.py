"""Trends over calendar periods: theme volume and sentiment, spikes, emerging themes.

**Volume** of theme T in period t is the number of items of t that mention T; its **share** is
that number over the items of t.

**Spikes.** The baseline of period t is the ``window`` periods before it (periods without items
are skipped; at least ``min_baseline`` are needed). With ``mu`` and ``sd`` the mean and sample
standard deviation of the theme's share over the baseline periods, period t is a spike when

    z = (share_t - mu) / max(sd, sqrt(mu' (1 - mu') / n_t)) > threshold   and   count_t >= min_count

where ``mu' = (baseline mentions + 0.5) / (baseline items + 1)``: the binomial floor keeps a
flat, near-empty baseline (``sd = 0``) from turning one mention into an infinite z.

**Emerging themes.** Units outside every theme form the unassigned pool; the optional
``candidate`` of an unassigned unit names the group an emerging-theme clustering put it in. For
the pool as a whole and each candidate, the share of items mentioning it in the last ``recent``
periods is compared with the share before (two-sided chi-square/Fisher test as in
:mod:`~feedback_nlp.analytics.segments`, Benjamini-Hochberg across the rows); a row is
``emerging`` when it grew (ratio > 1), its q-value is at most ``fdr`` and it has at least
``min_count`` items in the recent periods.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import benjamini_hochberg, risk_ratio, two_by_two_test
from feedback_nlp.themes._checks import check_float, check_int

__all__ = ["POOL", "detect_spikes", "emerging_themes", "theme_trends"]

#: ``candidate`` value of the row that stands for the whole unassigned pool.
POOL = "(unassigned)"


def _period_matrix(
    frame: FeedbackFrame, period: str
) -> tuple[list[str], npt.NDArray[np.int64], sparse.csr_matrix]:
    codes, labels = frame.period_codes(period)
    inside = np.flatnonzero(codes >= 0)
    one_hot = sparse.csr_matrix(
        (np.ones(inside.size), (codes[inside], inside)), shape=(len(labels), frame.n_items)
    )
    return labels, codes, one_hot


def theme_trends(
    frame: FeedbackFrame,
    period: str = "week",
    *,
    window: int = 4,
    threshold: float = 2.0,
    min_count: int = 5,
    min_baseline: int = 2,
) -> pd.DataFrame:
    """Volume, share and sentiment of every theme in every period, with spike flags.

    Args:
        frame: The feedback (items without ``created_at`` are left out).
        period: ``"day"``, ``"week"`` or ``"month"``.
        window: Trailing periods in the spike baseline.
        threshold: z above which a period is a spike.
        min_count: Fewest mentions for a spike.
        min_baseline: Fewest non-empty baseline periods for a spike.

    Returns:
        One row per (period, theme), periods in order: ``period``, ``theme_id``, ``n_items``
        (items in the period), ``mentions``, ``share``, ``sentiment`` (mean unit sentiment of
        the theme's units in the period), ``sentiment_n``, ``baseline`` (``mu``), ``z`` and
        ``spike``.
    """
    window = check_int("theme_trends", "window", window, 1)
    threshold = check_float("theme_trends", "threshold", threshold, 0.0, np.inf)
    min_count = check_int("theme_trends", "min_count", min_count, 1)
    min_baseline = check_int("theme_trends", "min_baseline", min_baseline, 1, window)
    labels, codes, one_hot = _period_matrix(frame, period)
    n_periods, n_themes = len(labels), len(frame.theme_ids)
    counts = frame.mention_counts(codes, n_periods)  # (periods, themes)
    totals = np.asarray(one_hot.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / totals[:, None]
    baseline, z = _spike_scores(counts, totals, shares, window, min_baseline)
    spike = (z > threshold) & (counts >= min_count)

    units = frame.units
    unit_periods = codes[units["item"].to_numpy()]
    themes = units["theme"].to_numpy()
    scores = units["sentiment"].to_numpy(dtype=np.float64)
    keep = (unit_periods >= 0) & (themes >= 0) & ~np.isnan(scores)
    cell = unit_periods[keep] * n_themes + themes[keep]
    size = n_periods * n_themes
    sent_total = np.bincount(cell, weights=scores[keep], minlength=size)
    sent_n = np.bincount(cell, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        sentiment = np.where(sent_n > 0, sent_total / sent_n, np.nan)
    return pd.DataFrame(
        {
            "period": np.repeat(np.asarray(labels, dtype=object), n_themes),
            "theme_id": np.tile(np.asarray(frame.theme_ids, dtype=object), n_periods),
            "n_items": np.repeat(totals, n_themes).astype(np.int64),
            "mentions": counts.ravel().astype(np.int64),
            "share": shares.ravel(),
            "sentiment": sentiment,
            "sentiment_n": sent_n.astype(np.int64),
            "baseline": baseline.ravel(),
            "z": z.ravel(),
            "spike": spike.ravel(),
        }
    )


def _spike_scores(
    counts: npt.NDArray[np.float64],
    totals: npt.NDArray[np.float64],
    shares: npt.NDArray[np.float64],
    window: int,
    min_baseline: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n_periods, n_themes = counts.shape
    share_sum = np.zeros((n_periods, n_themes))
    share_sq = np.zeros((n_periods, n_themes))
    base_counts = np.zeros((n_periods, n_themes))
    base_items = np.zeros(n_periods)
    base_periods = np.zeros(n_periods)
    for lag in range(1, window + 1):
        if lag >= n_periods:
            break
        valid = totals[:-lag] > 0
        filled = np.where(valid[:, None], shares[:-lag], 0.0)
        share_sum[lag:] += filled
        share_sq[lag:] += filled**2
        base_counts[lag:] += counts[:-lag]
        base_items[lag:] += totals[:-lag]
        base_periods[lag:] += valid
    k = base_periods[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = share_sum / k
        sd = np.sqrt(np.maximum(share_sq - k * mean**2, 0.0) / (k - 1.0))
        smoothed = (base_counts + 0.5) / (base_items[:, None] + 1.0)
        floor = np.sqrt(smoothed * (1.0 - smoothed) / totals[:, None])
        z = (shares - mean) / np.maximum(np.nan_to_num(sd), floor)
    enough = (base_periods[:, None] >= min_baseline) & (totals[:, None] > 0)
    return np.where(enough, mean, np.nan), np.where(enough, z, np.nan)


def detect_spikes(
    frame: FeedbackFrame,
    period: str = "week",
    *,
    window: int = 4,
    threshold: float = 2.0,
    min_count: int = 5,
    min_baseline: int = 2,
) -> pd.DataFrame:
    """The (period, theme) rows of :func:`theme_trends` flagged as spikes, highest z first."""
    trends = theme_trends(
        frame,
        period,
        window=window,
        threshold=threshold,
        min_count=min_count,
        min_baseline=min_baseline,
    )
    spikes = trends.loc[trends["spike"]]
    return spikes.sort_values(["z", "period"], ascending=[False, True]).reset_index(drop=True)


def _pool_cells(
    frame: FeedbackFrame,
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The unassigned pool's groups (the pool, then each candidate) and their members (kept).

    Returns:
        ``(groups, n_units per group, items, groups)``: the distinct (item, group) cells.
    """

    def build() -> tuple[list[str], Any, Any, Any]:
        units = frame.units
        pooled = units["theme"].to_numpy() < 0
        candidate_codes, uniques = pd.factorize(
            units["candidate"].where(pooled, None).astype(object), sort=True
        )
        names = [str(name) for name in uniques]
        groups = [POOL, *names]
        items = units["item"].to_numpy()
        rows = [np.where(pooled, 0, -1)]
        if names:
            rows.append(np.where(candidate_codes >= 0, candidate_codes + 1, -1))
        n_units = np.zeros(len(groups), dtype=np.int64)
        keys = []
        for row in rows:
            chosen = row >= 0
            n_units += np.bincount(row[chosen], minlength=len(groups))
            keys.append(items[chosen] * len(groups) + row[chosen])
        cells = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        return groups, n_units, cells // len(groups), cells % len(groups)

    return frame.derived("pool_cells", build)


def emerging_themes(
    frame: FeedbackFrame,
    period: str = "week",
    *,
    recent: int = 2,
    min_count: int = 5,
    fdr: float = 0.05,
) -> pd.DataFrame:
    """Growth of the unassigned pool and of its candidate groups across periods.

    Args:
        frame: The feedback; unassigned units may carry a ``candidate`` group id.
        period: ``"day"``, ``"week"`` or ``"month"``.
        recent: How many of the last periods count as recent.
        min_count: Fewest items in the recent periods for a row to be emerging.
        fdr: False discovery rate for Benjamini-Hochberg across the rows.

    Returns:
        One row for the whole pool (``candidate`` = :data:`POOL`) and one per candidate, most
        significant growth first: ``candidate``, ``n_units``, ``counts`` (items per period, a
        list), ``recent_count``, ``recent_share``, ``before_share``, ``growth`` (ratio),
        ``p_value``, ``q_value``, ``emerging``.
    """
    recent = check_int("emerging_themes", "recent", recent, 1)
    min_count = check_int("emerging_themes", "min_count", min_count, 1)
    fdr = check_float("emerging_themes", "fdr", fdr, 0.0, 1.0, open_low=True)
    labels, codes, one_hot = _period_matrix(frame, period)
    groups, n_units, cell_items, cell_groups = _pool_cells(frame)
    # Items per (period, group): each (item, group) cell once, so an item counts once.
    period_of = codes[cell_items]
    inside = period_of >= 0
    flat = np.bincount(
        period_of[inside] * len(groups) + cell_groups[inside],
        minlength=len(labels) * len(groups),
    )
    counts = flat.reshape(len(labels), len(groups)).astype(np.float64)  # (periods, groups)
    totals = np.asarray(one_hot.sum(axis=1)).ravel()
    cut = max(len(labels) - recent, 0)
    a = counts[cut:].sum(axis=0)
    n1 = np.full(len(groups), totals[cut:].sum())
    c = counts[:cut].sum(axis=0)
    n2 = np.full(len(groups), totals[:cut].sum())
    p_values, _ = two_by_two_test(a, n1 - a, c, n2 - c)
    q_values = benjamini_hochberg(p_values)
    growth, _ = risk_ratio(a, n1, c, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        recent_share = a / n1
        before_share = c / n2
    emerging = (q_values <= fdr) & (recent_share > before_share) & (a >= min_count)
    table = pd.DataFrame(
        {
            "candidate": groups,
            "n_units": n_units,
            "counts": [[int(x) for x in counts[:, g]] for g in range(len(groups))],
            "recent_count": a.astype(np.int64),
            "recent_share": recent_share,
            "before_share": before_share,
            "growth": growth,
            "p_value": p_values,
            "q_value": q_values,
            "emerging": emerging,
        }
    )
    return table.sort_values(
        ["emerging", "q_value", "candidate"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)
