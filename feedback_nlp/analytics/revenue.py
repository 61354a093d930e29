r"""Revenue at risk per theme: what the unhappy or lost customers who raise a theme are worth.

An item is **at risk** when it is a detractor's (NPS 0-6) or its customer churned
(:mod:`~feedback_nlp.analytics.customers`). A customer is at risk when any of their items is,
and counts for theme T when one of their at-risk items mentions T. With ``r_c`` the
customer's revenue (the largest known on their items; unknown counts as 0):

    revenue_at_risk_T = sum of r_c over the at-risk customers counting for T
    share_T           = revenue_at_risk_T / sum of r_c over every at-risk customer

Each customer is counted once per theme however many items they wrote. A customer who raises
several themes counts for each, so the shares of different themes do not add up to 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedback_nlp.analytics.customers import customers_of, distinct_pairs
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.scores import DETRACTOR_MAX

__all__ = ["at_risk_items", "revenue_at_risk", "total_revenue_at_risk"]


def at_risk_items(frame: FeedbackFrame) -> np.ndarray:
    """Boolean per item: a detractor's answer or a churned customer's item."""
    customers = customers_of(frame)
    detractor = frame.scores("nps") <= DETRACTOR_MAX
    churned = customers.churned[customers.code] == 1.0
    return np.asarray(detractor | churned, dtype=np.bool_)


def total_revenue_at_risk(frame: FeedbackFrame) -> tuple[float, int, int]:
    """``(revenue, customers at risk, of whom without a known revenue)`` over the frame."""
    customers = customers_of(frame)
    risky = np.flatnonzero(np.bincount(customers.code[at_risk_items(frame)], minlength=customers.n))
    revenue = customers.revenue[risky]
    unknown = np.isnan(revenue)
    return float(np.nansum(revenue)), int(risky.size), int(unknown.sum())


def revenue_at_risk(frame: FeedbackFrame) -> pd.DataFrame:
    """Revenue at risk of every theme (module docstring).

    Returns:
        One row per theme: ``theme_id``, ``customers_at_risk`` (counting for the theme),
        ``revenue_at_risk``, ``revenue_unknown`` (of those customers, how many have no known
        revenue) and ``share_of_revenue_at_risk`` (0-1; NaN when no revenue is at risk).
    """
    customers = customers_of(frame)
    n_themes = len(frame.theme_ids)
    rows, cols = frame.mention_cells()
    risky = at_risk_items(frame)[rows]
    who, theme = distinct_pairs(customers.code[rows[risky]], cols[risky], n_themes)
    revenue = customers.revenue[who]
    unknown = np.isnan(revenue)
    amount = np.bincount(theme, weights=np.where(unknown, 0.0, revenue), minlength=n_themes)
    total, _, _ = total_revenue_at_risk(frame)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = amount / total if total > 0 else np.full(n_themes, np.nan)
    return pd.DataFrame(
        {
            "theme_id": list(frame.theme_ids),
            "customers_at_risk": np.bincount(theme, minlength=n_themes).astype(np.int64),
            "revenue_at_risk": amount,
            "revenue_unknown": np.bincount(theme[unknown], minlength=n_themes).astype(np.int64),
            "share_of_revenue_at_risk": share,
        }
    )
