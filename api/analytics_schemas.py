"""Response bodies of the CX analytics routes (``/v1/metrics``, ``/v1/insights``): ``XPublic``.

They mirror the JSON-ready sections of :mod:`feedback_nlp.report.sections`; ``None`` stands for
a value that is undefined (the NPS of a group where nobody answered, a lift without a rest).
NPS and CSAT are in percent points, shares in 0..1, sentiment in -1..1.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.public import RecordPublic, public_model
from feedback_nlp.report.estimate_schema import EstimatePublic as EstimatePublic
from feedback_nlp.report.section_types import SpikeRule, TrendSeries


class FiltersPublic(BaseModel):
    """The filters a result was computed under."""

    model_config = ConfigDict(populate_by_name=True)

    segment: dict[str, str]
    period: str | None
    from_: datetime | None = Field(alias="from")
    to: datetime | None


class ScoreGroupPublic(BaseModel):
    """Every score of one group of respondents (a segment value, theme, period, or all)."""

    group: str
    label: str | None = Field(description="The theme's display label when the group is a theme.")
    n_items: int
    nps: EstimatePublic
    promoters: int
    passives: int
    detractors: int
    csat: EstimatePublic = Field(description="Share of 4-5 answers on the 1-5 scale, in %.")
    csat_mean: EstimatePublic
    ces: EstimatePublic = Field(description="Mean effort score, 1-7.")
    sentiment: EstimatePublic = Field(description="Mean item sentiment, -1..1.")


class ScoresPublic(BaseModel):
    """``GET /v1/metrics/scores``: all scores overall and per group."""

    filters: FiltersPublic
    by: str | None
    overall: ScoreGroupPublic
    groups: list[ScoreGroupPublic]


class MetricGroupPublic(BaseModel):
    """One metric of one group."""

    group: str
    label: str | None
    n_items: int
    estimate: EstimatePublic
    promoters: int | None = Field(default=None, description="NPS only.")
    passives: int | None = Field(default=None, description="NPS only.")
    detractors: int | None = Field(default=None, description="NPS only.")
    mean: EstimatePublic | None = Field(default=None, description="CSAT only: mean on 1-5.")


class MetricPublic(BaseModel):
    """``GET /v1/metrics/{nps,csat,ces}``: one metric overall and per group."""

    metric: Literal["nps", "csat", "ces"]
    filters: FiltersPublic
    by: str | None
    overall: MetricGroupPublic
    groups: list[MetricGroupPublic]


class IssueQuotePublic(BaseModel):
    """A detractor's words about a theme."""

    item_id: str
    text: str


class DetractorIssuePublic(BaseModel):
    """A theme that pulls NPS down (impact = NPS - NPS of those who do not mention it)."""

    rank: int
    theme_id: str
    label: str
    n_respondents: int = Field(description="Respondents with an NPS answer.")
    n_mentioning: int
    share_mentioning: float | None
    nps_mentioning: float | None
    nps_not_mentioning: float | None
    impact: float | None = Field(description="NPS points; negative drags the score down.")
    impact_low: float | None
    impact_high: float | None
    detractors_mentioning: int
    share_of_detractors: float | None
    share_of_promoters: float | None
    share_gap: float | None
    rank_share_gap: int | None = Field(
        default=None, description="Rank by share gap (NPS-impact ranking only)."
    )
    quotes: list[IssueQuotePublic]
    churn_n_customers: int | None = Field(
        default=None, description="Customers mentioning the theme whose churn is known."
    )
    churned: int | None = None
    churn_rate: float | None = None
    churn_lift: float | None = Field(
        default=None, description="Churn rate of mentioning customers / of the others."
    )
    churn_lift_low: float | None = None
    churn_lift_high: float | None = None
    churn_q_value: float | None = None
    customers_at_risk: int | None = None
    revenue_at_risk: float | None = Field(
        default=None, description="Revenue of detractors or churned customers who mention it."
    )
    share_of_revenue_at_risk: float | None = None


class DetractorIssuesPublic(BaseModel):
    """``GET /v1/insights/top-detractor-issues``."""

    filters: FiltersPublic
    n_items: int
    nps: EstimatePublic
    rank_by: Literal["nps_impact", "churn_lift", "revenue_at_risk"] = "nps_impact"
    currency: str | None = Field(default=None, description="ISO 4217 code of revenue figures.")
    issues: list[DetractorIssuePublic]


class OverIndexPublic(BaseModel):
    """A theme a segment value mentions significantly more (or less) than the rest."""

    segment: str
    theme_id: str
    label: str
    n_segment: int
    n_rest: int
    mentions_segment: int
    mentions_rest: int
    share_segment: float | None
    share_rest: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    test: str
    p_value: float | None
    q_value: float | None = Field(description="Benjamini-Hochberg adjusted over every cell.")
    direction: Literal["over", "under", "none"]


class SegmentSentimentPublic(BaseModel):
    """Sentiment of one segment value."""

    segment: str
    n_items: int
    sentiment: float | None
    sentiment_low: float | None
    sentiment_high: float | None
    sentiment_n: int
    n_units: int
    share_negative: float | None


class SegmentsPublic(BaseModel):
    """``GET /v1/insights/segments``."""

    filters: FiltersPublic
    by: list[str]
    scores: list[ScoreGroupPublic]
    sentiment: list[SegmentSentimentPublic]
    over_index: list[OverIndexPublic]


class SpikePublic(BaseModel):
    """A period in which a theme's (or a parent group's) share jumped above its baseline.

    ``p_value`` is the one-sided exact test of the period's mention rate against the baseline's,
    ``q_value`` its Benjamini-Hochberg adjustment over every (theme or parent group, period)
    cell tested, and ``ratio`` the share over the baseline share (``None`` when the baseline
    share is 0). ``level`` 1 marks a parent group: ``theme_id`` is the parent's id and an item
    mentioning any of its themes counts once.
    """

    period: str
    theme_id: str
    level: int = 0
    label: str
    n_items: int
    mentions: int
    share: float | None
    sentiment: float | None
    sentiment_n: int
    baseline: float | None
    z: float | None
    ratio: float | None
    p_value: float | None
    q_value: float | None
    spike: bool


# Views made from the report's section shapes at run time (api.public.public_model); type
# checkers see the base.
if TYPE_CHECKING:
    TrendSeriesPublic = RecordPublic
    SpikeRulePublic = RecordPublic
else:
    TrendSeriesPublic = public_model(
        TrendSeries, name="TrendSeriesPublic", doc="One theme's volume per period.", module=__name__
    )
    SpikeRulePublic = public_model(
        SpikeRule,
        name="SpikeRulePublic",
        doc=(
            "The parameters spikes were flagged under (see ``GET /v1/insights/trends``).\n\n"
            "``parents``: whether parent groups (of two or more themes) were tested with the "
            "themes."
        ),
        module=__name__,
        defaults={"parents": False},
    )


class EmergingPublic(BaseModel):
    """Growth of the unassigned pool (candidate ``(unassigned)``) or of a candidate group."""

    candidate: str
    n_units: int
    counts: list[int]
    recent_count: int
    recent_share: float | None
    before_share: float | None
    growth: float | None
    p_value: float | None
    q_value: float | None
    emerging: bool


class TrendsPublic(BaseModel):
    """``GET /v1/insights/trends``."""

    filters: FiltersPublic
    period: Literal["day", "week", "month"]
    periods: list[str]
    n_items: list[int]
    series: list[TrendSeriesPublic]
    spikes: list[SpikePublic]
    spike_rule: SpikeRulePublic
    emerging: list[EmergingPublic]
