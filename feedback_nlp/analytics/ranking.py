"""Top issues ranked by NPS impact (the default), churn lift or revenue at risk.

* ``nps_impact``: :func:`~feedback_nlp.analytics.impact.top_detractor_issues` unchanged --
  themes with a negative impact mentioned by at least ``min_detractors`` detractors, most
  negative impact first.
* ``churn_lift``: themes whose churn lift is above 1 with at least ``min_detractors`` churned
  customers mentioning them, highest lift first (ties: lower q-value, then theme id); the
  lift's q-value (:mod:`~feedback_nlp.analytics.churn`) says which lifts are more than noise.
* ``revenue_at_risk``: themes with revenue at risk and at least ``min_detractors`` at-risk
  customers counting for them (:mod:`~feedback_nlp.analytics.revenue`), most revenue first.

Rows of the outcome rankings carry the NPS impact columns too (so every ranking has the same
columns plus its own), the churn and revenue columns, ``rank`` and detractor ``quotes``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import pandas as pd

from feedback_nlp.analytics.churn import churn_lift
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.impact import (
    ISSUE_PARAMETERS,
    add_detractor_quotes,
    theme_impact,
    top_detractor_issues,
)
from feedback_nlp.analytics.revenue import revenue_at_risk
from feedback_nlp.constraints import check_param
from feedback_nlp.errors import InvalidInputError

__all__ = ["RANK_BY", "RankBy", "ranked_issues"]

RankBy = Literal["nps_impact", "churn_lift", "revenue_at_risk"]
#: The orders of the top issues.
RANK_BY: tuple[str, ...] = ("nps_impact", "churn_lift", "revenue_at_risk")
#: Churn columns added to the rows of an outcome ranking (renamed ``churn_<name>``).
CHURN_COLUMNS = ("n_customers", "churned", "churn_rate", "lift", "lift_low", "lift_high", "q_value")


def ranked_issues(
    frame: FeedbackFrame,
    rank_by: str = "nps_impact",
    *,
    limit: int = 10,
    n_quotes: int = 3,
    min_detractors: int = 3,
    confidence: float = 0.95,
    exclude: Collection[str] = (),
) -> pd.DataFrame:
    """The top issues in the order ``rank_by`` (module docstring).

    Raises:
        InvalidInputError: If ``rank_by`` is not one of :data:`RANK_BY`.
    """
    if rank_by not in RANK_BY:
        raise InvalidInputError(
            f"The 'rank_by' parameter must be one of {list(RANK_BY)}. Got {rank_by!r} instead."
        )
    if rank_by == "nps_impact":
        return top_detractor_issues(
            frame,
            limit=limit,
            n_quotes=n_quotes,
            min_detractors=min_detractors,
            confidence=confidence,
            exclude=exclude,
        )
    owner = "ranked_issues"
    limit = check_param(owner, "limit", limit, ISSUE_PARAMETERS["limit"])
    n_quotes = check_param(owner, "n_quotes", n_quotes, ISSUE_PARAMETERS["n_quotes"])
    min_detractors = check_param(
        owner, "min_detractors", min_detractors, ISSUE_PARAMETERS["min_detractors"]
    )
    table = theme_impact(frame, confidence=confidence)
    churn = churn_lift(frame, confidence=confidence)
    for name in CHURN_COLUMNS:
        column = name if name.startswith("churn") else f"churn_{name}"
        table[column] = churn[name].to_numpy()
    revenue = revenue_at_risk(frame)
    for name in ("customers_at_risk", "revenue_at_risk", "share_of_revenue_at_risk"):
        table[name] = revenue[name].to_numpy()
    if rank_by == "churn_lift":
        keep = (table["churn_lift"] > 1.0) & (table["churned"] >= min_detractors)
        keys, ascending = ["churn_lift", "churn_q_value", "theme_id"], [False, True, True]
    else:
        keep = (table["revenue_at_risk"] > 0) & (table["customers_at_risk"] >= min_detractors)
        keys, ascending = ["revenue_at_risk", "theme_id"], [False, True]
    if exclude:
        keep &= ~table["theme_id"].isin(list(exclude))
    table = table.loc[keep].sort_values(keys, ascending=ascending, kind="stable")
    table = table.reset_index(drop=True).head(limit)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    add_detractor_quotes(frame, table, n_quotes)
    return table
