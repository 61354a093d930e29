"""An insight as one declared unit: what it computes, its typed result and how it renders.

An :class:`Insight` is everything one CX finding needs, in one object: its ``name`` (the API
path ``GET /v1/insights/{name}``, the HTML section id), the computation over the filtered frame
(:class:`InsightInput` in, a pydantic model out), the template of its report section and its CSV
columns. The registry (:data:`feedback_nlp.report.insights.INSIGHTS`) lists them, and every
rendering reads that list:

* the bundle computes each one (``ReportBundle.insights[insight.key]``, its JSON in ``to_json``);
* the HTML report and the dashboard include each ``template`` with the result as ``result``;
* ``feedback-nlp report`` prints each one's CSV rows as a Rich table
  (:func:`~feedback_nlp.report.tables.insight_table`);
* the API serves each at ``GET /v1/insights/{name}`` (the result model, plus the filters, is the
  response schema) and ``GET /v1/insights/{name}.csv`` (:meth:`Insight.csv_lines`).

So a new insight is at most three files: its computation in :mod:`feedback_nlp.analytics` (when
no existing one fits), its declaration module in :mod:`feedback_nlp.report.insights` (one more
entry in ``INSIGHTS``), and its template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.report.csv_export import Cell, csv_lines

__all__ = ["Insight", "InsightInput"]

ResultT = TypeVar("ResultT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class InsightInput:
    """What every insight computes from.

    Attributes:
        frame: The workspace's feedback, filters already applied.
        labels: Display label of each theme (``{theme_id: label}``).
        confidence: Confidence level of every interval.
    """

    frame: FeedbackFrame
    labels: Mapping[str, str]
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class Insight(Generic[ResultT]):
    """One CX finding, declared once (see the module docstring).

    Attributes:
        name: Kebab-case id: the API path segment and the HTML section id (``ces-by-theme``).
        title: Heading of its report section.
        description: What it shows and how it is computed (the API route's description).
        result_type: The pydantic model ``compute`` returns (the API's response schema).
        compute: The computation over the filtered frame.
        template: Its report section, a template under ``report/templates`` that renders
            ``result`` (the result's JSON) and ``insight``.
        csv_columns: Header of its CSV.
        csv_rows: The CSV rows of a result, one cell per column (numbers stay numbers).
    """

    name: str
    title: str
    description: str
    result_type: type[ResultT]
    compute: Callable[[InsightInput], ResultT]
    template: str
    csv_columns: tuple[str, ...]
    csv_rows: Callable[[ResultT], Iterable[Sequence[Cell]]]

    @property
    def key(self) -> str:
        """The name as an identifier: the key of the bundle's ``insights`` (``ces_by_theme``)."""
        return self.name.replace("-", "_")

    def csv_lines(self, result: ResultT) -> Iterator[str]:
        """The CSV text of ``result`` (formula cells neutralised; :mod:`.csv_export`)."""
        return csv_lines(self.csv_columns, self.csv_rows(result))
