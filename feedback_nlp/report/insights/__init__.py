"""The registry of declared insights (:class:`~feedback_nlp.report.insight.Insight`).

:data:`INSIGHTS` is the one list the bundle, the HTML report, the CSV downloads and the
``/v1/insights/{name}`` routes read, in report order. Registering a new insight is one more
entry here; its declaration is a module of this package.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from feedback_nlp.report.insight import Insight, InsightInput
from feedback_nlp.report.insights.ces_by_theme import CES_BY_THEME

__all__ = ["INSIGHTS", "compute_insights"]

#: Every declared insight, in the order the report shows them.
INSIGHTS: tuple[Insight[Any], ...] = (CES_BY_THEME,)


def compute_insights(source: InsightInput) -> dict[str, BaseModel]:
    """Every registered insight's result over ``source``, by :attr:`Insight.key`."""
    return {insight.key: insight.compute(source) for insight in INSIGHTS}
