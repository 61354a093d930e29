"""The public shape of one estimate, defined once for the library and the API.

:func:`feedback_nlp.report.sections.estimate` builds the same shape as a dict; typed insight
results (:mod:`feedback_nlp.report.insight`) and the API's response bodies
(:mod:`api.analytics_schemas` re-exports it) use this model.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["EstimatePublic"]


class EstimatePublic(BaseModel):
    """A score with its confidence interval."""

    value: float | None = Field(description="Point estimate; null when n is 0.")
    ci_low: float | None
    ci_high: float | None
    n: int = Field(description="Answers used.")
    n_missing: int = Field(description="Items without an answer (excluded, never counted as 0).")
    method: str = Field(description="adjusted-wald (NPS), wilson (CSAT %), student-t (means).")
    confidence: float
