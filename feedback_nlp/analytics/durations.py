r"""Resolution and first-response times per theme, segment and period, and each theme's effect.

The durations are the frame's ``resolution_minutes`` and ``first_response_minutes`` (minutes
from ``created_at``; NaN = unknown, left out and counted in ``n_missing``).

**Per group** (the items mentioning a theme, of a segment value, or of a period): ``n``, the
median and the 90th percentile (linear interpolation, numpy's default), each with a seeded
bootstrap percentile interval (:mod:`~feedback_nlp.analytics.bootstrap`: ``n_resamples``
resamples of the group, seed ``seed``; the same call gives the same interval).

**Theme effect on the duration.** With ``M_T`` the median duration of the items mentioning
theme T and ``M_notT`` that of the other items with a known duration,

    effect_T = M_T - M_notT   (minutes)

and its interval is the percentile interval of ``M_T* - M_notT*`` over the bootstrap, the two
groups resampled independently (a stratified bootstrap). Its p-value is the two-sided
Mann-Whitney U test of the two groups (normal approximation with the tie correction and a 0.5
continuity correction, as ``scipy.stats.mannwhitneyu(method="asymptotic")``): rank-based, so a
few tickets open for months do not swamp it, and computed for every theme at once from one
ranking of all durations. (It tests whether one group's durations tend to be longer, which is
what a median difference estimates.) The q-values are Benjamini-Hochberg across the themes
tested; a theme whose items or whose complement have no known duration has no test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from feedback_nlp.analytics.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    SortedGroups,
    bootstrap_quantiles,
    check_resamples,
    percentile_interval,
)
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import FloatArray, benjamini_hochberg, check_confidence
from feedback_nlp.errors import InvalidInputError

IntArray = npt.NDArray[np.int64]

__all__ = [
    "DURATIONS",
    "appended_rankings",
    "duration_effect",
    "durations_by",
    "mann_whitney_by_theme",
]

#: The duration columns of a frame.
DURATIONS: tuple[str, ...] = ("resolution_minutes", "first_response_minutes")
#: The ``by`` value that groups items by the themes they mention.
BY_THEME = "theme"


def _check_column(owner: str, column: str) -> None:
    if column not in DURATIONS:
        raise InvalidInputError(
            f"The 'column' parameter of {owner} must be one of {list(DURATIONS)}. "
            f"Got {column!r} instead."
        )


def _check_bootstrap(
    owner: str, column: str, confidence: float, n_resamples: int
) -> tuple[float, int]:
    """Check the duration column and the bootstrap's options; the checked confidence and count."""
    _check_column(owner, column)
    return check_confidence(owner, confidence), check_resamples(owner, n_resamples)


def _groups(frame: FeedbackFrame, by: str | Sequence[str]) -> tuple[list[str], object, object]:
    """``(labels, cell item positions, cell group codes)`` of a theme/period/segment grouping."""
    if by == BY_THEME:
        rows, cols = frame.mention_cells()
        return list(frame.theme_ids), rows, cols
    if isinstance(by, str) and by in ("day", "week", "month"):
        codes, labels = frame.period_codes(by)
    else:
        codes, labels = frame.segment_codes(by)
    return labels, np.arange(frame.n_items), codes


def _ranked(frame: FeedbackFrame, column: str) -> tuple[IntArray, IntArray]:
    """``(order, rank)`` of the items with a known duration, shortest first (kept).

    ``rank[i]`` is item ``i``'s position in ``order``, -1 when its duration is unknown.
    """

    def build() -> tuple[IntArray, IntArray]:
        values = frame.outcome(column)
        known = np.flatnonzero(~np.isnan(values))
        order = known[np.argsort(values[known], kind="stable")].astype(np.int64)
        rank = np.full(frame.n_items, -1, dtype=np.int64)
        rank[order] = np.arange(order.size)
        order.flags.writeable = False
        rank.flags.writeable = False
        return order, rank

    return frame.derived(("duration_rank", column), build)


def appended_rankings(
    old: FeedbackFrame, delta: FeedbackFrame
) -> dict[tuple[str, str], tuple[IntArray, IntArray]]:
    """The duration orders ``old`` kept, extended to ``old`` + ``delta`` appended (by key).

    Each of ``delta``'s known durations is inserted after the old ones it does not undercut,
    in its own stable order: the order a stable sort of the merged durations gives, without
    sorting them again.
    """
    extended = {}
    for column in DURATIONS:
        kept = old.kept(("duration_rank", column))
        if kept is None:
            continue
        order = kept[0]
        added = delta.outcome(column)
        known = np.flatnonzero(~np.isnan(added))
        added_order = known[np.argsort(added[known], kind="stable")]
        at = np.searchsorted(old.outcome(column)[order], added[added_order], side="right")
        merged_order = np.insert(order, at, added_order + old.n_items).astype(np.int64)
        rank = np.full(old.n_items + delta.n_items, -1, dtype=np.int64)
        rank[merged_order] = np.arange(merged_order.size)
        merged_order.flags.writeable = False
        rank.flags.writeable = False
        extended[("duration_rank", column)] = (merged_order, rank)
    return extended


def _average_ranks(frame: FeedbackFrame, column: str) -> tuple[FloatArray, IntArray]:
    """Each item's rank among the known durations, and the size of every run of ties.

    Ranks are 1-based, tied durations share their mean rank (``scipy.stats.rankdata``'s
    "average") and an unknown duration has rank 0. Read off the kept order of
    :func:`_ranked`, so the durations are sorted once.
    """
    order, _ = _ranked(frame, column)
    ranks = np.zeros(frame.n_items)
    if not order.size:
        return ranks, np.zeros(0, dtype=np.int64)
    ordered = frame.outcome(column)[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ties = np.diff(np.r_[starts, ordered.size]).astype(np.int64)
    ranks[order] = np.repeat(starts + (ties + 1.0) / 2.0, ties)
    return ranks, ties


def _grouped(
    frame: FeedbackFrame, column: str, items: IntArray, codes: IntArray, n_groups: int
) -> tuple[SortedGroups, IntArray]:
    """The known durations of cells ``(items, codes)`` sorted within groups, and their ranks.

    One integer sort of ``group * n + rank`` replaces a sort of the values per group.
    """
    order, rank = _ranked(frame, column)
    cell_rank = rank[items]
    keep = (cell_rank >= 0) & (codes >= 0)
    width = max(order.size, 1)
    key = np.sort(codes[keep] * width + cell_rank[keep])
    ranks = key % width
    starts = np.searchsorted(key // width, np.arange(n_groups + 1)).astype(np.int64)
    return SortedGroups(frame.outcome(column)[order[ranks]], starts), ranks


def _quantile_columns(
    groups: SortedGroups,
    prefix: str,
    p: float,
    n_resamples: int,
    rng: np.random.Generator,
    confidence: float,
) -> dict[str, FloatArray]:
    draws = bootstrap_quantiles(groups, p, n_resamples, rng)
    low, high = percentile_interval(draws, confidence)
    return {prefix: groups.quantiles(p), f"{prefix}_low": low, f"{prefix}_high": high}


def durations_by(
    frame: FeedbackFrame,
    by: str | Sequence[str] = BY_THEME,
    *,
    column: str = "resolution_minutes",
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Median and 90th percentile of a duration per theme, period or segment value.

    Args:
        frame: The feedback.
        by: ``"theme"`` (groups overlap: an item mentioning two themes is in both), ``"day"``,
            ``"week"``, ``"month"`` (every period from the first to the last item, empty ones
            included) or one or two segment attributes.
        column: ``resolution_minutes`` or ``first_response_minutes``.
        confidence: Two-sided confidence level of the intervals.
        n_resamples: Bootstrap resamples.
        seed: Bootstrap seed.

    Returns:
        One row per group: ``group``, ``n`` (known durations), ``n_missing`` (items of the
        group without one), ``median``, ``median_low``, ``median_high``, ``p90``, ``p90_low``,
        ``p90_high`` (minutes; NaN where ``n`` is 0).
    """
    confidence, n_resamples = _check_bootstrap("durations_by", column, confidence, n_resamples)
    labels, cell_items, cell_groups = _groups(frame, by)
    codes = np.asarray(cell_groups, dtype=np.int64)
    groups, _ = _grouped(frame, column, np.asarray(cell_items, dtype=np.int64), codes, len(labels))
    inside = codes >= 0
    in_group = np.bincount(codes[inside], minlength=len(labels))
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "group": labels,
            "n": groups.sizes.astype(np.int64),
            "n_missing": (in_group - groups.sizes).astype(np.int64),
        }
    )
    for prefix, p in (("median", 0.5), ("p90", 0.9)):
        for name, data in _quantile_columns(
            groups, prefix, p, n_resamples, rng, confidence
        ).items():
            table[name] = data
    return table


def mann_whitney_by_theme(
    frame: FeedbackFrame, column: str = "resolution_minutes"
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Two-sided Mann-Whitney U test of each theme's durations against the other items'.

    Returns:
        ``(u, z, p)`` per theme: ``u`` is the U statistic of the mentioning items (the number
        of (mentioning, other) pairs where the mentioning item took longer, ties counting
        half), ``z`` the continuity-corrected normal score of the larger U; NaN where a
        group is empty or every duration is the same.
    """
    _check_column("mann_whitney_by_theme", column)
    ranks, ties = _average_ranks(frame, column)
    known = ranks > 0
    n = float(known.sum())
    tie_term = float(((ties.astype(np.float64) ** 3) - ties).sum())
    sums = frame.theme_sums(np.column_stack([ranks, known.astype(np.float64)]))
    r1, n1 = sums[:, 0], sums[:, 1]
    n2 = n - n1
    u1 = r1 - n1 * (n1 + 1.0) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = n1 * n2 / 2.0
        ties_share = tie_term / (n * (n - 1.0)) if n > 1 else 0.0
        sigma = np.sqrt(n1 * n2 / 12.0 * ((n + 1.0) - ties_share))
        z = (np.maximum(u1, n1 * n2 - u1) - mu - 0.5) / sigma
        p = np.minimum(2.0 * stats.norm.sf(z), 1.0)
    undefined = (n1 == 0) | (n2 == 0) | ~(sigma > 0)
    return (
        np.where((n1 == 0) | (n2 == 0), np.nan, u1),
        np.where(undefined, np.nan, z),
        np.where(undefined, np.nan, p),
    )


def duration_effect(
    frame: FeedbackFrame,
    *,
    column: str = "resolution_minutes",
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Each theme's effect on a duration: median of its items minus median of the others.

    Args:
        frame: The feedback.
        column: ``resolution_minutes`` or ``first_response_minutes``.
        confidence: Two-sided confidence level of the effect's interval.
        n_resamples: Bootstrap resamples.
        seed: Bootstrap seed.

    Returns:
        One row per theme: ``theme_id``, ``n_mentioning``, ``n_other`` (known durations),
        ``median_mentioning``, ``median_other``, ``effect``, ``effect_low``, ``effect_high``
        (minutes), ``u``, ``p_value`` (Mann-Whitney), ``q_value`` (BH across themes) and
        ``test`` (``"mann-whitney"``, or ``"none"`` where there is nothing to compare).
    """
    confidence, n_resamples = _check_bootstrap("duration_effect", column, confidence, n_resamples)
    n_themes = len(frame.theme_ids)
    rows, cols = frame.mention_cells()
    inside, ranks = _grouped(frame, column, rows, cols, n_themes)
    rng = np.random.default_rng(seed)
    draws_in = bootstrap_quantiles(inside, 0.5, n_resamples, rng)
    # The complement of each theme: every known duration (sorted once) but the theme's own.
    order, _ = _ranked(frame, column)
    sorted_all = frame.outcome(column)[order]
    median_out = np.full(n_themes, np.nan)
    n_other = np.zeros(n_themes, dtype=np.int64)
    draws_out = np.full((n_themes, n_resamples), np.nan)
    outside = np.ones(sorted_all.size, dtype=np.bool_)
    for k in range(n_themes):
        own = ranks[inside.starts[k] : inside.starts[k + 1]]
        outside[own] = False
        others = sorted_all[outside]
        outside[own] = True
        group = SortedGroups(others, np.array([0, others.size], dtype=np.int64))
        n_other[k] = others.size
        median_out[k] = group.quantiles(0.5)[0]
        draws_out[k] = bootstrap_quantiles(group, 0.5, n_resamples, rng)[0]
    draws = draws_in - draws_out
    low, high = percentile_interval(draws, confidence)
    u, _, p = mann_whitney_by_theme(frame, column)
    q = benjamini_hochberg(p)
    median_in = inside.quantiles(0.5)
    return pd.DataFrame(
        {
            "theme_id": list(frame.theme_ids),
            "n_mentioning": inside.sizes.astype(np.int64),
            "n_other": n_other,
            "median_mentioning": median_in,
            "median_other": median_out,
            "effect": median_in - median_out,
            "effect_low": low,
            "effect_high": high,
            "u": u,
            "p_value": p,
            "q_value": q,
            "test": np.where(np.isnan(p), "none", "mann-whitney"),
        }
    )
