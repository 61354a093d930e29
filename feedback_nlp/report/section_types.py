"""The shapes of the report sections (:mod:`feedback_nlp.report.sections`), as typed dicts.

The sections stay plain JSON-ready dicts (the bundle's JSON, the templates and the API read them
as such), but each has a declared shape that mypy checks wherever one is built or read; the API
validates the same shapes into its response models (:mod:`api.analytics_schemas`). Rows copied
from an analytics table (spikes, emerging groups, over-indexed cells, segment sentiment) are
table rows (:data:`TableRow`): the columns of the analytics function named in each field's comment.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "Estimate",
    "ScoreRow",
    "SegmentOverview",
    "SpikeRule",
    "TableRow",
    "TrendOverview",
    "TrendSeries",
]

#: One row of an analytics table as a JSON-ready record (:func:`~feedback_nlp.analytics.frame.
#: table_records`), sometimes with the theme's ``label``.
TableRow = dict[str, Any]


class Estimate(TypedDict):
    """One estimate: ``None`` where undefined (the NPS of nobody)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_missing: int
    method: str
    confidence: float


class ScoreRow(TypedDict):
    """Every score of one group (a theme, period, segment value, or ``"all"``)."""

    group: str
    label: str | None
    n_items: int
    nps: Estimate
    promoters: int
    passives: int
    detractors: int
    csat: Estimate
    csat_mean: Estimate
    ces: Estimate
    sentiment: Estimate


class SegmentOverview(TypedDict):
    """Scores, sentiment and over-indexed themes of one segmentation."""

    by: list[str]
    scores: list[ScoreRow]
    sentiment: list[TableRow]  # segments.segment_sentiment
    over_index: list[TableRow]  # segments.theme_over_index, with label


class TrendSeries(TypedDict):
    """One theme's volume per period."""

    theme_id: str
    label: str
    total: int
    mentions: list[int]
    share: list[float | None]
    sentiment: list[float | None]


class SpikeRule(TypedDict):
    """The parameters spikes were flagged under."""

    window: int
    threshold: float
    min_count: int
    fdr: float
    min_ratio: float
    min_lift: float
    parents: bool


class TrendOverview(TypedDict):
    """Theme volumes per period, spikes and emerging unassigned feedback."""

    period: str
    periods: list[str]
    n_items: list[int]
    series: list[TrendSeries]
    spikes: list[TableRow]  # trends.theme_trends rows flagged as spikes, with label
    spike_rule: SpikeRule
    emerging: list[TableRow]  # trends.emerging_themes
