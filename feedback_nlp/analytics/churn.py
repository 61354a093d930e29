r"""Churn rate per theme and segment, and each theme's churn lift with a BH-corrected test.

Counts are of customers (:mod:`~feedback_nlp.analytics.customers`: ``customer_id`` when
present, else the item), each counted once, and only those whose churn is known.

**Churn rate** of a group = churned customers / customers of the group, with a Wilson score
interval. A customer mentions theme T when any of their items does; a customer belongs to a
segment value (or period) when any of their items does, so a customer who moved plans counts
in both.

**Churn lift** of theme T = churn rate of the customers who mention T / churn rate of those
who do not, with a Katz log interval (0.5 added to every cell when a cell is zero,
Haldane-Anscombe). Its p-value is the two-sided test of independence of the 2x2 table
(mentions T or not x churned or not) of
:func:`~feedback_nlp.analytics.stats.two_by_two_test`: Pearson's chi-square without
continuity correction (the same p-value as the two-proportion z-test) when every expected
count is at least 5, where it is accurate and costs nothing per theme, and Fisher's exact test
otherwise, where the normal approximation is not to be trusted. The q-values are
Benjamini-Hochberg across the themes tested; a theme is a discovery at FDR ``alpha`` when
``q <= alpha``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedback_nlp.analytics.customers import customers_of, distinct_pairs
from feedback_nlp.analytics.frame import PERIODS, FeedbackFrame
from feedback_nlp.analytics.stats import (
    benjamini_hochberg,
    check_confidence,
    log_ratio_interval,
    risk_ratio,
    two_by_two_test,
    wilson_interval,
)

__all__ = ["churn_by_segment", "churn_lift"]


def churn_lift(frame: FeedbackFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Churn rate of the customers mentioning each theme, against those who do not.

    Args:
        frame: The feedback.
        confidence: Two-sided confidence level of the rate and lift intervals.

    Returns:
        One row per theme: ``theme_id``, ``n_customers`` (mentioning, churn known),
        ``churned``, ``churn_rate``, ``churn_low``, ``churn_high`` (Wilson, 0-1),
        ``n_other``, ``churned_other``, ``churn_rate_other``, ``lift``, ``lift_low``,
        ``lift_high`` (Katz), ``p_value``, ``test`` (``chi2``/``fisher``/``none``) and
        ``q_value`` (BH across themes).
    """
    confidence = check_confidence("churn_lift", confidence)
    customers = customers_of(frame)
    n_themes = len(frame.theme_ids)
    rows, cols = frame.mention_cells()
    who, theme = distinct_pairs(customers.code[rows], cols, n_themes)
    churn = customers.churned[who]
    known = ~np.isnan(churn)
    n_in = np.bincount(theme[known], minlength=n_themes).astype(np.float64)
    c_in = np.bincount(theme[known], weights=churn[known], minlength=n_themes)
    all_known = ~np.isnan(customers.churned)
    total_n = float(all_known.sum())
    total_c = float(np.nansum(customers.churned))
    n_out, c_out = total_n - n_in, total_c - c_in
    low, high = wilson_interval(c_in, n_in, confidence)
    ratio, se = risk_ratio(c_in, n_in, c_out, n_out)
    lift_low, lift_high = log_ratio_interval(ratio, se, confidence)
    p, test = two_by_two_test(c_in, n_in - c_in, c_out, n_out - c_out)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_in = np.where(n_in > 0, c_in / n_in, np.nan)
        rate_out = np.where(n_out > 0, c_out / n_out, np.nan)
        lift = np.where((n_in > 0) & (n_out > 0), rate_in / rate_out, np.nan)
    return pd.DataFrame(
        {
            "theme_id": list(frame.theme_ids),
            "n_customers": n_in.astype(np.int64),
            "churned": c_in.astype(np.int64),
            "churn_rate": rate_in,
            "churn_low": low,
            "churn_high": high,
            "n_other": n_out.astype(np.int64),
            "churned_other": c_out.astype(np.int64),
            "churn_rate_other": rate_out,
            "lift": lift,
            "lift_low": np.where(np.isfinite(lift), lift_low, np.nan),
            "lift_high": np.where(np.isfinite(lift), lift_high, np.nan),
            "p_value": p,
            "test": test.astype(object),
            "q_value": benjamini_hochberg(p),
        }
    )


def churn_by_segment(
    frame: FeedbackFrame, by: str | Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Churn rate of the customers of each segment value (or period) with a Wilson interval.

    Args:
        frame: The feedback.
        by: One or two segment attributes, or ``day``/``week``/``month``.
        confidence: Two-sided confidence level.

    Returns:
        One row per value: ``group``, ``n_customers`` (churn known), ``churned``,
        ``churn_rate``, ``churn_low``, ``churn_high`` (0-1).
    """
    confidence = check_confidence("churn_by_segment", confidence)
    if isinstance(by, str) and by in PERIODS:
        codes, labels = frame.period_codes(by)
    else:
        codes, labels = frame.segment_codes(by)
    customers = customers_of(frame)
    who, group = distinct_pairs(customers.code, codes, len(labels))
    churn = customers.churned[who]
    known = ~np.isnan(churn)
    n = np.bincount(group[known], minlength=len(labels)).astype(np.float64)
    c = np.bincount(group[known], weights=churn[known], minlength=len(labels))
    low, high = wilson_interval(c, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, c / n, np.nan)
    return pd.DataFrame(
        {
            "group": labels,
            "n_customers": n.astype(np.int64),
            "churned": c.astype(np.int64),
            "churn_rate": rate,
            "churn_low": low,
            "churn_high": high,
        }
    )
