"""Response body of ``GET /v1/insights/outcomes`` (issue 19): durations, churn, revenue at risk.

Mirrors :func:`feedback_nlp.report.outcome_sections.outcome_overview`. Durations are minutes,
rates and shares 0..1, revenue in the workspace's ``currency``; ``None`` where undefined.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.analytics_schemas import FiltersPublic


class DurationGroupPublic(BaseModel):
    """Median and 90th percentile of a duration in one group, with bootstrap intervals."""

    group: str | None = Field(default=None, description="Period or segment value.")
    theme_id: str | None = None
    label: str | None = None
    n: int = Field(description="Items with a known duration.")
    n_missing: int
    median: float | None
    median_low: float | None
    median_high: float | None
    p90: float | None
    p90_low: float | None
    p90_high: float | None


class DurationEffectPublic(BaseModel):
    """A theme's effect: median of its items minus median of the others (minutes)."""

    theme_id: str
    label: str
    n_mentioning: int
    n_other: int
    median_mentioning: float | None
    median_other: float | None
    effect: float | None
    effect_low: float | None
    effect_high: float | None
    u: float | None = Field(description="Mann-Whitney U of the mentioning items.")
    p_value: float | None
    q_value: float | None = Field(description="Benjamini-Hochberg across themes.")
    test: str
    significant: bool


class DurationsPublic(BaseModel):
    """One duration (resolution or first response) per theme, period and segment."""

    by_theme: list[DurationGroupPublic]
    effect: list[DurationEffectPublic]
    by_period: list[DurationGroupPublic]
    by_segment: list[DurationGroupPublic] | None


class ChurnRatePublic(BaseModel):
    """Churn rate of a group of customers with a Wilson interval."""

    group: str | None = None
    n_customers: int
    churned: int
    churn_rate: float | None
    churn_low: float | None
    churn_high: float | None


class ChurnLiftPublic(BaseModel):
    """Churn of the customers mentioning a theme against the others."""

    theme_id: str
    label: str
    n_customers: int
    churned: int
    churn_rate: float | None
    churn_low: float | None
    churn_high: float | None
    n_other: int
    churned_other: int
    churn_rate_other: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    p_value: float | None
    test: str = Field(description="chi2 (expected counts >= 5), fisher, or none.")
    q_value: float | None
    significant: bool


class ChurnPublic(BaseModel):
    """Churn overall, per theme (with lift), per period and per segment."""

    overall: ChurnRatePublic
    by_theme: list[ChurnLiftPublic]
    by_period: list[ChurnRatePublic]
    by_segment: list[ChurnRatePublic] | None


class RevenueThemePublic(BaseModel):
    """Revenue of the at-risk customers (detractors or churned) who raise a theme."""

    theme_id: str
    label: str
    customers_at_risk: int
    revenue_at_risk: float
    revenue_unknown: int
    share_of_revenue_at_risk: float | None


class RevenuePublic(BaseModel):
    """Revenue at risk overall and per theme."""

    total_at_risk: float
    customers_at_risk: int
    customers_without_revenue: int
    by_theme: list[RevenueThemePublic]


class BootstrapPublic(BaseModel):
    """How the duration intervals were computed."""

    method: str
    n_resamples: int
    seed: int


class OutcomesPublic(BaseModel):
    """``GET /v1/insights/outcomes``; ``available`` is false when the data has no outcomes."""

    filters: FiltersPublic
    available: bool
    fields: dict[str, bool] = Field(description="Per insight, whether any item has its field.")
    currency: str
    confidence: float
    fdr: float
    bootstrap: BootstrapPublic
    n_items: int
    resolution: DurationsPublic | None
    first_response: DurationsPublic | None
    churn: ChurnPublic | None
    revenue: RevenuePublic | None
