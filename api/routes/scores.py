"""``/v1/metrics``: NPS, CSAT and CES with confidence intervals, overall and per group.

``by`` groups the respondents: ``theme`` (those who mention each theme; groups overlap),
``day``/``week``/``month`` (calendar periods, UTC, empty ones included), or one or two segment
attributes (``plan`` or ``plan,region``). Filters (``segment``, ``period``, ``from``/``to``)
restrict the items first. Intervals: NPS adjusted Wald, CSAT % Wilson, means Student t.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.analytics_deps import Analysed, AnalysedDep
from api.analytics_schemas import (
    EstimatePublic,
    FiltersPublic,
    MetricGroupPublic,
    MetricPublic,
    ScoreGroupPublic,
    ScoresPublic,
)
from api.problems import problem_responses
from feedback_nlp.report import sections
from feedback_nlp.report.section_types import ScoreRow

router = APIRouter(
    prefix="/v1/metrics", tags=["metrics"], responses=problem_responses(401, 422, 429)
)

ByQuery = Annotated[
    str | None,
    Query(
        description="theme, day, week, month, or one or two segment attributes (plan,region).",
        examples=["plan"],
    ),
]


def _rows(analysed: Analysed, by: str | None) -> tuple[ScoreRow, list[ScoreRow]]:
    """The overall row and the rows per group (memoised per snapshot, filters and ``by``)."""

    def compute(a: Analysed) -> tuple[ScoreRow, list[ScoreRow]]:
        overall = sections.overall_scores(a.frame)
        groups = [] if by is None else sections.scores_by(a.frame, by, a.labels)
        return overall, groups

    return analysed.memo(("metrics", by), compute)


def _filters(analysed: Analysed) -> FiltersPublic:
    return FiltersPublic.model_validate(analysed.filters.to_json())


@router.get("/scores")
def get_scores(analysed: AnalysedDep, by: ByQuery = None) -> ScoresPublic:
    """Every score (NPS, CSAT %, mean CSAT, CES, sentiment) overall and per group of ``by``."""

    def compute(a: Analysed) -> ScoresPublic:
        overall, groups = _rows(a, by)
        return ScoresPublic(
            filters=_filters(a),
            by=by,
            overall=ScoreGroupPublic.model_validate(overall),
            groups=[ScoreGroupPublic.model_validate(row) for row in groups],
        )

    return analysed.memo(("scores", by), compute)


def _metric_group(row: ScoreRow, metric: Literal["nps", "csat", "ces"]) -> MetricGroupPublic:
    extra: dict[str, Any] = {}
    if metric == "nps":
        extra = {
            "promoters": row["promoters"],
            "passives": row["passives"],
            "detractors": row["detractors"],
        }
    if metric == "csat":
        extra = {"mean": EstimatePublic.model_validate(row["csat_mean"])}
    return MetricGroupPublic(
        group=row["group"],
        label=row["label"],
        n_items=row["n_items"],
        estimate=EstimatePublic.model_validate(row[metric]),
        **extra,
    )


def _metric(
    analysed: Analysed, by: str | None, metric: Literal["nps", "csat", "ces"]
) -> MetricPublic:

    def compute(a: Analysed) -> MetricPublic:
        overall, groups = _rows(a, by)
        return MetricPublic(
            metric=metric,
            filters=_filters(a),
            by=by,
            overall=_metric_group(overall, metric),
            groups=[_metric_group(row, metric) for row in groups],
        )

    return analysed.memo((metric, by), compute)


@router.get("/nps")
def get_nps(analysed: AnalysedDep, by: ByQuery = None) -> MetricPublic:
    """Net Promoter Score (-100..100): % promoters (9-10) - % detractors (0-6)."""
    return _metric(analysed, by, "nps")


@router.get("/csat")
def get_csat(analysed: AnalysedDep, by: ByQuery = None) -> MetricPublic:
    """CSAT: % of 4-5 answers on the 1-5 scale (Wilson interval), plus the mean answer."""
    return _metric(analysed, by, "csat")


@router.get("/ces")
def get_ces(analysed: AnalysedDep, by: ByQuery = None) -> MetricPublic:
    """Customer Effort Score: mean answer on the 1-7 scale (Student-t interval)."""
    return _metric(analysed, by, "ces")
