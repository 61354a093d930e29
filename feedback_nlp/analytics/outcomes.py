"""Which outcome fields a frame has data for (issue 19: resolution time, churn, revenue).

The outcome analytics live in :mod:`~feedback_nlp.analytics.durations` (resolution and
first-response times, each theme's effect on them), :mod:`~feedback_nlp.analytics.churn`
(churn rate and lift), :mod:`~feedback_nlp.analytics.revenue` (revenue at risk) and
:mod:`~feedback_nlp.analytics.ranking` (top issues by NPS impact, churn lift or revenue). A
frame without outcome columns, or whose outcome columns are all empty, has no outcome data;
every insight built on them is then left out rather than shown empty.
"""

from __future__ import annotations

import numpy as np

from feedback_nlp.analytics.frame import FeedbackFrame

__all__ = ["OUTCOME_KINDS", "has_outcomes", "outcome_availability"]

#: The outcome insights and the frame column each needs.
OUTCOME_KINDS: dict[str, str] = {
    "resolution": "resolution_minutes",
    "first_response": "first_response_minutes",
    "churn": "churned",
    "revenue": "revenue",
}


def outcome_availability(frame: FeedbackFrame) -> dict[str, bool]:
    """Per outcome insight (:data:`OUTCOME_KINDS`), whether any item of ``frame`` has the field."""
    return {
        kind: bool((~np.isnan(frame.outcome(column))).any())
        for kind, column in OUTCOME_KINDS.items()
    }


def has_outcomes(frame: FeedbackFrame) -> bool:
    """Whether any item of ``frame`` has any outcome field."""
    return any(outcome_availability(frame).values())
