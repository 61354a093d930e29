"""Trends over calendar periods: theme volume and sentiment, spikes, emerging themes.

**Volume** of theme T in period t is the number of items of t that mention T; its **share** is
that number over the items of t.

**Spikes.** The baseline of period t is the ``window`` periods before it (periods without items
are skipped; at least ``min_baseline`` are needed). With ``mu`` and ``sd`` the mean and sample
standard deviation of the theme's share over the baseline periods, the z-score of period t is

    z = (share_t - mu) / max(sd, sqrt(mu' (1 - mu') / n_t))

where ``mu' = (baseline mentions + 0.5) / (baseline items + 1)``: the binomial floor keeps a
flat, near-empty baseline (``sd = 0``) from turning one mention into an infinite z.

Its p-value is the one-sided exact test that the mention rate of t is above the baseline's
(:func:`~feedback_nlp.analytics.stats.rate_increase_test`): with ``c_t`` mentions among ``n_t``
items in t and ``c_b`` among ``n_b`` in the baseline periods, under equal rates

    p = P(X >= c_t),   X ~ Binomial(c_t + c_b, n_t / (n_t + n_b))

so a baseline of few items counts as the weak evidence it is. A (theme, period) cell is tested
when its baseline is long enough and ``c_t + c_b >= min_count`` (a cell with fewer mentions in
all can never reach ``min_count``; the test conditions on that total, so leaving such cells out
does not bias it). The q-values are Benjamini-Hochberg over every tested cell of the call, all
themes x all periods together. A cell is a **spike** when it is significant *and* large:

    q <= fdr   and   c_t >= min_count   and   z > threshold
               and   share_t >= min_ratio * mu   and   share_t - mu >= min_lift

(defaults: ``fdr`` 0.05, ``min_count`` 5, ``threshold`` 2, ``min_ratio`` 2, ``min_lift`` 0.02,
i.e. at least double the baseline share and 2 points above it). ``ratio = share_t / mu`` is
reported (infinite when ``mu`` is 0).

**Parent groups.** The miner often splits one complaint over sibling themes (one per wording or
language, say) that the hierarchy (:mod:`~feedback_nlp.themes.hierarchy`) puts under one
parent; a rise of the complaint is then diluted over the siblings. Given ``parents`` (theme id
to parent id), every parent of at least two themes that the frame mentions is tested as one
more cell per period, by the same rule: an item mentions the parent when it mentions any of its
children, so an item is counted once however many siblings it mentions. (A parent with only
one mentioned theme is the same cell as that theme and is not tested twice.) Parent cells are
in the same Benjamini-Hochberg correction as the theme cells: the q-values cover every cell
tested, themes and parents alike. A parent's test and its children's are positively
correlated (the parent counts the children's items); BH is known to keep its false discovery
rate under positive dependence of that kind (PRDS, Benjamini and Yekutieli 2001), though that is
not proven for these conditional tests.

**Emerging themes.** Units outside every theme form the unassigned pool; the optional
``candidate`` of an unassigned unit names the group an emerging-theme clustering put it in. For
the pool as a whole and each candidate, the share of items mentioning it in the last ``recent``
periods is compared with the share before (two-sided chi-square/Fisher test as in
:mod:`~feedback_nlp.analytics.segments`, Benjamini-Hochberg across the rows); a row is
``emerging`` when it grew (ratio > 1), its q-value is at most ``fdr`` and it has at least
``min_count`` items in the recent periods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from feedback_nlp.analytics.arrays import distinct
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import (
    FDR,
    benjamini_hochberg,
    rate_increase_test,
    risk_ratio,
    two_by_two_test,
)
from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.errors import InvalidInputError

__all__ = [
    "POOL",
    "TREND_PARAMETERS",
    "detect_spikes",
    "emerging_themes",
    "rank_spikes",
    "theme_trends",
]

#: ``candidate`` value of the row that stands for the whole unassigned pool.
POOL = "(unassigned)"

#: The spike rule's parameters (:func:`theme_trends`; the API's query bounds read them).
TREND_PARAMETERS: dict[str, Interval] = {
    "window": Interval("int", 1),
    "threshold": Interval("float", 0.0),
    "min_count": Interval("int", 1),
    "min_ratio": Interval("float", 1.0),
    "min_lift": Interval("float", 0.0, 1.0),
}


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
    fdr: float = 0.05,
    min_ratio: float = 2.0,
    min_lift: float = 0.02,
    parents: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Volume, share and sentiment of every theme in every period, with spike flags.

    Args:
        frame: The feedback (items without ``created_at`` are left out).
        period: ``"day"``, ``"week"`` or ``"month"``.
        window: Trailing periods in the spike baseline.
        threshold: z above which a period can be a spike.
        min_count: Fewest mentions for a spike.
        min_baseline: Fewest non-empty baseline periods for a spike.
        fdr: False discovery rate of the spike tests (Benjamini-Hochberg over all cells).
        min_ratio: Smallest share over baseline share for a spike.
        min_lift: Smallest share minus baseline share (0-1) for a spike.
        parents: Parent id of each theme (themes missing from it have none); parents of two or
            more themes the frame mentions are tested too (module docstring, *Parent groups*).

    Returns:
        One row per (period, theme), periods in order, then one row per (period, parent
        group) in the same layout: ``period``, ``theme_id`` (the parent id on a parent's row),
        ``level`` (0 theme, 1 parent group), ``n_items`` (items in the period), ``mentions``,
        ``share``, ``sentiment`` (mean unit sentiment of the theme's units in the period),
        ``sentiment_n``, ``baseline`` (``mu``), ``z``, ``ratio``, ``p_value``, ``q_value``
        (NaN for an untested cell) and ``spike`` (see the module docstring for the rule).

    Raises:
        InvalidInputError: If a tested parent id is also a theme id of the frame.
    """
    owner, rules = "theme_trends", TREND_PARAMETERS
    window = check_param(owner, "window", window, rules["window"])
    threshold = check_param(owner, "threshold", threshold, rules["threshold"])
    min_count = check_param(owner, "min_count", min_count, rules["min_count"])
    # min_baseline counts periods of the window: at most ``window`` of them.
    min_baseline = check_param(owner, "min_baseline", min_baseline, Interval("int", 1, window))
    fdr = check_param(owner, "fdr", fdr, FDR)
    min_ratio = check_param(owner, "min_ratio", min_ratio, rules["min_ratio"])
    min_lift = check_param(owner, "min_lift", min_lift, rules["min_lift"])
    labels, codes, one_hot = _period_matrix(frame, period)
    groups = _parent_groups(frame, parents or {})
    n_periods, n_themes = len(labels), len(frame.theme_ids)
    cell_ids = (*frame.theme_ids, *groups.ids)
    n_cells = len(cell_ids)
    counts = np.hstack(
        [frame.mention_counts(codes, n_periods), groups.counts(frame, codes, n_periods)]
    )
    totals = np.asarray(one_hot.sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / totals[:, None]
    scores = _spike_scores(counts, totals, shares, window, min_baseline)
    tested = scores.enough & (counts + scores.base_counts >= min_count)
    p_values = np.where(
        tested,
        rate_increase_test(counts, totals[:, None], scores.base_counts, scores.base_items[:, None]),
        np.nan,
    )
    q_values = benjamini_hochberg(p_values)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scores.enough, shares / scores.baseline, np.nan)
        large = (
            (counts >= min_count)
            & (scores.z > threshold)
            & (shares >= min_ratio * scores.baseline)
            & (shares - scores.baseline >= min_lift)
        )
    spike = (q_values <= fdr) & large

    units = frame.units
    unit_periods = codes[units["item"].to_numpy()]
    themes = units["theme"].to_numpy()
    unit_sentiment = units["sentiment"].to_numpy(dtype=np.float64)
    keep = (unit_periods >= 0) & (themes >= 0) & ~np.isnan(unit_sentiment)
    # Each unit counts in its theme's cell and, when the theme has a tested parent, in that.
    unit_cells = [themes[keep]]
    if groups.ids:
        of_unit = groups.of_theme[themes[keep]]
        unit_cells.append(np.where(of_unit >= 0, n_themes + of_unit, -1))
    periods_kept, sentiment_kept = unit_periods[keep], unit_sentiment[keep]
    cell = np.concatenate([periods_kept[c >= 0] * n_cells + c[c >= 0] for c in unit_cells])
    weights = np.concatenate([sentiment_kept[c >= 0] for c in unit_cells])
    size = n_periods * n_cells
    sent_total = np.bincount(cell, weights=weights, minlength=size).reshape(n_periods, n_cells)
    sent_n = np.bincount(cell, minlength=size).reshape(n_periods, n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        sentiment = np.where(sent_n > 0, sent_total / sent_n, np.nan)

    def layout(matrix: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Theme cells period-major, then parent cells period-major."""
        return np.concatenate([matrix[:, :n_themes].ravel(), matrix[:, n_themes:].ravel()])

    period_grid = np.broadcast_to(np.asarray(labels, dtype=object)[:, None], (n_periods, n_cells))
    id_grid = np.broadcast_to(np.asarray(cell_ids, dtype=object), (n_periods, n_cells))
    is_parent = (np.arange(n_cells) >= n_themes).astype(np.int64)
    level = np.broadcast_to(is_parent, (n_periods, n_cells))
    return pd.DataFrame(
        {
            "period": layout(period_grid),
            "theme_id": layout(id_grid),
            "level": layout(level),
            "n_items": layout(np.broadcast_to(totals[:, None], (n_periods, n_cells))).astype(
                np.int64
            ),
            "mentions": layout(counts).astype(np.int64),
            "share": layout(shares),
            "sentiment": layout(sentiment),
            "sentiment_n": layout(sent_n).astype(np.int64),
            "baseline": layout(scores.baseline),
            "z": layout(scores.z),
            "ratio": layout(ratio),
            "p_value": layout(p_values),
            "q_value": layout(q_values),
            "spike": layout(spike),
        }
    )


@dataclass(frozen=True, slots=True)
class _ParentGroups:
    """The tested parents: ``ids`` (sorted) and ``of_theme`` (theme column -> parent, or -1)."""

    ids: tuple[str, ...]
    of_theme: npt.NDArray[np.int64]

    def counts(
        self, frame: FeedbackFrame, codes: npt.NDArray[np.int64], n_periods: int
    ) -> npt.NDArray[np.float64]:
        """Items of each period (``codes``) mentioning each parent, each item once per parent."""
        if not self.ids:
            return np.zeros((n_periods, 0))
        rows, cols = frame.mention_cells()
        group = self.of_theme[cols]
        inside = group >= 0
        width = len(self.ids)
        pairs = distinct(rows[inside] * width + group[inside])
        items, groups = pairs // width, pairs % width
        item_periods = codes[items]
        dated = item_periods >= 0
        flat = np.bincount(item_periods[dated] * width + groups[dated], minlength=n_periods * width)
        return flat.reshape(n_periods, width).astype(np.float64)


def _parent_groups(frame: FeedbackFrame, parents: Mapping[str, str]) -> _ParentGroups:
    """The parents with two or more mentioned themes (a parent of one is that theme's cell)."""
    _, cols = frame.mention_cells()
    mentioned = np.bincount(cols, minlength=len(frame.theme_ids)) > 0
    members: dict[str, list[int]] = {}
    for k, theme_id in enumerate(frame.theme_ids):
        parent = parents.get(theme_id)
        if parent is not None and mentioned[k]:
            members.setdefault(parent, []).append(k)
    ids = tuple(sorted(parent for parent, children in members.items() if len(children) >= 2))
    clash = sorted(set(ids) & set(frame.theme_ids))
    if clash:
        raise InvalidInputError(
            f"The 'parents' parameter of theme_trends names parents that are also themes: "
            f"{clash}. Give parent groups ids of their own."
        )
    of_theme = np.full(len(frame.theme_ids), -1, dtype=np.int64)
    for g, parent in enumerate(ids):
        of_theme[members[parent]] = g
    return _ParentGroups(ids, of_theme)


@dataclass(frozen=True, slots=True)
class _SpikeScores:
    """The baseline of every (period, theme) cell: ``(periods, themes)`` arrays.

    ``baseline`` (``mu``) and ``z`` are NaN where ``enough`` is false; ``base_counts`` and
    ``base_items`` (one per period) are the mentions and items of the baseline periods.
    """

    baseline: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    base_counts: npt.NDArray[np.float64]
    base_items: npt.NDArray[np.float64]
    enough: npt.NDArray[np.bool_]


def _spike_scores(
    counts: npt.NDArray[np.float64],
    totals: npt.NDArray[np.float64],
    shares: npt.NDArray[np.float64],
    window: int,
    min_baseline: int,
) -> _SpikeScores:
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
    enough = np.broadcast_to(
        (base_periods[:, None] >= min_baseline) & (totals[:, None] > 0), counts.shape
    )
    return _SpikeScores(
        baseline=np.where(enough, mean, np.nan),
        z=np.where(enough, z, np.nan),
        base_counts=base_counts,
        base_items=base_items,
        enough=enough,
    )


def detect_spikes(
    frame: FeedbackFrame,
    period: str = "week",
    *,
    window: int = 4,
    threshold: float = 2.0,
    min_count: int = 5,
    min_baseline: int = 2,
    fdr: float = 0.05,
    min_ratio: float = 2.0,
    min_lift: float = 0.02,
    parents: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The (period, theme) rows of :func:`theme_trends` flagged as spikes, lowest q first.

    With ``parents``, spikes of parent groups (``level`` 1) are listed with those of themes.

    Ties in q (Benjamini-Hochberg makes them common) go by z, highest first, then by period.
    """
    trends = theme_trends(
        frame,
        period,
        window=window,
        threshold=threshold,
        min_count=min_count,
        min_baseline=min_baseline,
        fdr=fdr,
        min_ratio=min_ratio,
        min_lift=min_lift,
        parents=parents,
    )
    return rank_spikes(trends.loc[trends["spike"]])


def rank_spikes(spikes: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`theme_trends` in spike order: q ascending, then z descending, period."""
    return spikes.sort_values(
        ["q_value", "z", "period"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)


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
        cells = distinct(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
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
    recent = check_param("emerging_themes", "recent", recent, Interval("int", 1))
    min_count = check_param("emerging_themes", "min_count", min_count, Interval("int", 1))
    fdr = check_param("emerging_themes", "fdr", fdr, FDR)
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
