"""Which feedback a report covers: the library's one filter model (:mod:`feedback_nlp.filters`).

``ReportFilters`` is :class:`feedback_nlp.filters.Filters` under the name the report code uses.
"""

from __future__ import annotations

from feedback_nlp.filters import Filters, parse_instant, parse_segment, period_window

__all__ = ["ReportFilters", "parse_instant", "parse_segment", "period_window"]

ReportFilters = Filters
