"""Segment comparison: which themes a segment over- or under-mentions, and its sentiment.

**Over/under-indexing.** For every segment value ``s`` and theme ``T`` the respondents form a
2x2 table: in ``s`` or in the rest, mentioning ``T`` or not. The lift is
``share_in_s / share_in_rest`` with a Katz log interval (0.5 added to every cell when a
mention count is zero). The test of independence is Pearson's chi-square without continuity
correction when every expected count is at least 5, Fisher's exact test otherwise. The p-values
of all cells of the table (every segment value x every theme) are adjusted together with
Benjamini-Hochberg; a cell is ``over`` or ``under`` when its q-value is at most ``fdr`` and
``none`` otherwise.

**Sentiment.** Per segment value: the mean item sentiment (with a t-interval) and the share of
negative units; per (segment value, theme): the mean sentiment of the theme's units from that
segment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import (
    FDR,
    MIN_EXPECTED,
    benjamini_hochberg,
    check_confidence,
    log_ratio_interval,
    mean_interval,
    risk_ratio,
    two_by_two_test,
)
from feedback_nlp.constraints import check_param

__all__ = ["segment_sentiment", "theme_over_index", "theme_sentiment_by_segment"]


def theme_over_index(
    frame: FeedbackFrame,
    by: str | Sequence[str],
    *,
    fdr: float = 0.05,
    confidence: float = 0.95,
    min_expected: float = MIN_EXPECTED,
) -> pd.DataFrame:
    """Over/under-representation of every theme in every segment value, BH-controlled.

    Args:
        frame: The feedback (restrict it first, e.g. to detractors, to compare within them).
        by: A segment attribute or a pair of attributes.
        fdr: False discovery rate for Benjamini-Hochberg across all cells.
        confidence: Two-sided confidence level of the lift interval.
        min_expected: Smallest expected count for the chi-square test; below it, Fisher.

    Returns:
        One row per (segment value, theme): ``segment``, ``theme_id``, ``n_segment``,
        ``n_rest``, ``mentions_segment``, ``mentions_rest``, ``share_segment``, ``share_rest``,
        ``lift``, ``lift_low``, ``lift_high``, ``test`` (``chi2``/``fisher``/``none``),
        ``p_value``, ``q_value`` and ``direction`` (``over``/``under``/``none``). Items without
        a value for ``by`` are in neither the segment nor the rest.
    """
    fdr = check_param("theme_over_index", "fdr", fdr, FDR)
    confidence = check_confidence("theme_over_index", confidence)
    codes, labels = frame.segment_codes(by)
    n_groups, n_themes = len(labels), len(frame.theme_ids)
    mentions = frame.mention_counts(codes, n_groups)  # (groups, themes)
    n_segment = np.bincount(codes[codes >= 0], minlength=n_groups).astype(np.float64)
    total_mentions = mentions.sum(axis=0)
    a = mentions
    n1 = np.broadcast_to(n_segment[:, None], a.shape)
    c = total_mentions[None, :] - a
    n2 = n_segment.sum() - n1
    p_values, tests = two_by_two_test(a, n1 - a, c, n2 - c, min_expected=min_expected)
    q_values = benjamini_hochberg(p_values)
    lift, se = risk_ratio(a, n1, c, n2)
    low, high = log_ratio_interval(lift, se, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_segment = a / n1
        share_rest = c / n2
    significant = q_values <= fdr
    direction = np.where(
        significant & (share_segment > share_rest),
        "over",
        np.where(significant & (share_segment < share_rest), "under", "none"),
    )
    return pd.DataFrame(
        {
            "segment": np.repeat(np.asarray(labels, dtype=object), n_themes),
            "theme_id": np.tile(np.asarray(frame.theme_ids, dtype=object), n_groups),
            "n_segment": n1.ravel().astype(np.int64),
            "n_rest": n2.ravel().astype(np.int64),
            "mentions_segment": a.ravel().astype(np.int64),
            "mentions_rest": c.ravel().astype(np.int64),
            "share_segment": share_segment.ravel(),
            "share_rest": share_rest.ravel(),
            "lift": lift.ravel(),
            "lift_low": low.ravel(),
            "lift_high": high.ravel(),
            "test": tests.ravel(),
            "p_value": p_values.ravel(),
            "q_value": q_values.ravel(),
            "direction": direction.ravel(),
        }
    )


def segment_sentiment(
    frame: FeedbackFrame, by: str | Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Sentiment per segment value.

    Returns:
        One row per segment value: ``segment``, ``n_items``, ``sentiment`` (mean item
        sentiment in [-1, 1]), ``sentiment_low``, ``sentiment_high``, ``sentiment_n`` (items
        with a sentiment), ``n_units`` (units with a label) and ``share_negative`` (of those
        units, the share labelled ``negative``; NaN without labels).
    """
    confidence = check_confidence("segment_sentiment", confidence)
    codes, labels = frame.segment_codes(by)
    n_groups = len(labels)
    scores = frame.scores("sentiment")
    known = ~np.isnan(scores) & (codes >= 0)
    total = np.bincount(codes[known], weights=scores[known], minlength=n_groups)
    total_sq = np.bincount(codes[known], weights=scores[known] ** 2, minlength=n_groups)
    count = np.bincount(codes[known], minlength=n_groups)
    mean, low, high = mean_interval(total, total_sq, count, confidence, bounds=(-1.0, 1.0))
    unit_codes = codes[frame.units["item"].to_numpy()]
    labelled = frame.units["label"].notna().to_numpy() & (unit_codes >= 0)
    negative = (frame.units["label"] == "negative").to_numpy() & labelled
    n_units = np.bincount(unit_codes[labelled], minlength=n_groups)
    n_negative = np.bincount(unit_codes[negative], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_negative = np.where(n_units > 0, n_negative / n_units, np.nan)
    return pd.DataFrame(
        {
            "segment": labels,
            "n_items": np.bincount(codes[codes >= 0], minlength=n_groups).astype(np.int64),
            "sentiment": mean,
            "sentiment_low": low,
            "sentiment_high": high,
            "sentiment_n": count.astype(np.int64),
            "n_units": n_units.astype(np.int64),
            "share_negative": share_negative,
        }
    )


def theme_sentiment_by_segment(
    frame: FeedbackFrame, by: str | Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean unit sentiment of each theme within each segment value.

    Returns:
        One row per (segment value, theme): ``segment``, ``theme_id``, ``n_units`` (units of the
        theme from the segment with a sentiment score), ``sentiment``, ``sentiment_low``,
        ``sentiment_high`` (t-interval, clipped to [-1, 1]).
    """
    confidence = check_confidence("theme_sentiment_by_segment", confidence)
    codes, labels = frame.segment_codes(by)
    n_groups, n_themes = len(labels), len(frame.theme_ids)
    units = frame.units
    unit_codes = codes[units["item"].to_numpy()]
    themes = units["theme"].to_numpy()
    scores = units["sentiment"].to_numpy(dtype=np.float64)
    keep = (unit_codes >= 0) & (themes >= 0) & ~np.isnan(scores)
    cell = unit_codes[keep] * n_themes + themes[keep]
    size = n_groups * n_themes
    total = np.bincount(cell, weights=scores[keep], minlength=size)
    total_sq = np.bincount(cell, weights=scores[keep] ** 2, minlength=size)
    count = np.bincount(cell, minlength=size)
    mean, low, high = mean_interval(total, total_sq, count, confidence, bounds=(-1.0, 1.0))
    return pd.DataFrame(
        {
            "segment": np.repeat(np.asarray(labels, dtype=object), n_themes),
            "theme_id": np.tile(np.asarray(frame.theme_ids, dtype=object), n_groups),
            "n_units": count.astype(np.int64),
            "sentiment": mean,
            "sentiment_low": low,
            "sentiment_high": high,
        }
    )
