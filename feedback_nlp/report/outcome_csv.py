"""The outcome columns of the theme CSV export (issue 19), empty when the data has none.

Per level-0 theme: ``resolution_median_minutes`` (median resolution time of the items that
mention it), ``churn_rate`` and ``churn_lift`` (customers mentioning it; see
:mod:`~feedback_nlp.analytics.churn`) with the lift's BH ``churn_q_value``, and
``revenue_at_risk`` with its ``share_of_revenue_at_risk`` (:mod:`~feedback_nlp.analytics.revenue`).
Parent groups get empty cells (their members' customers overlap, so the numbers do not add up).
"""

from __future__ import annotations

import math

import numpy as np

from feedback_nlp.analytics.bootstrap import sort_groups
from feedback_nlp.analytics.churn import churn_lift
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.outcomes import outcome_availability
from feedback_nlp.analytics.revenue import revenue_at_risk
from feedback_nlp.report.csv_export import Cell

__all__ = ["OUTCOME_THEME_COLUMNS", "theme_outcome_cells"]

OUTCOME_THEME_COLUMNS: tuple[str, ...] = (
    "resolution_median_minutes",
    "churn_rate",
    "churn_lift",
    "churn_q_value",
    "revenue_at_risk",
    "share_of_revenue_at_risk",
)


def _cell(value: object, digits: int = 4) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return round(number, digits) if math.isfinite(number) else None


def theme_outcome_cells(frame: FeedbackFrame | None) -> dict[str, list[Cell]]:
    """The :data:`OUTCOME_THEME_COLUMNS` cells of each theme of ``frame`` ({} without outcomes)."""
    if frame is None:
        return {}
    fields = outcome_availability(frame)
    if not any(fields.values()):
        return {}
    n_themes = len(frame.theme_ids)
    empty = np.full(n_themes, np.nan)
    median = empty
    if fields["resolution"]:
        rows, cols = frame.mention_cells()
        median = sort_groups(frame.outcome("resolution_minutes")[rows], cols, n_themes).quantiles(
            0.5
        )
    rate = lift = q = empty
    if fields["churn"]:
        churn = churn_lift(frame)
        rate, lift, q = (churn[c].to_numpy() for c in ("churn_rate", "lift", "q_value"))
    amount = share = empty
    if fields["revenue"]:
        revenue = revenue_at_risk(frame)
        amount = revenue["revenue_at_risk"].to_numpy()
        share = revenue["share_of_revenue_at_risk"].to_numpy()
    return {
        theme_id: [
            _cell(median[k], 2),
            _cell(rate[k]),
            _cell(lift[k]),
            _cell(q[k], 6),
            _cell(amount[k], 2),
            _cell(share[k]),
        ]
        for k, theme_id in enumerate(frame.theme_ids)
    }
