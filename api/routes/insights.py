"""``/v1/insights``: top detractor issues, segment comparison, theme trends.

Every route takes the filters ``segment`` (``key:value``, repeatable), ``period`` (``2026-09``,
``2026-W38``...) or ``from``/``to``, and answers for the caller's workspace only. Theme labels
are the display labels (custom label, else the generated one).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.analytics_deps import Analysed, AnalysedDep, WindowAnalysedDep
from api.analytics_schemas import (
    DetractorIssuePublic,
    DetractorIssuesPublic,
    EstimatePublic,
    FiltersPublic,
    SegmentsPublic,
    TrendsPublic,
)
from api.problems import problem_responses
from feedback_nlp.report import sections

router = APIRouter(
    prefix="/v1/insights", tags=["insights"], responses=problem_responses(401, 422, 429)
)


@router.get("/top-detractor-issues")
def top_detractor_issues(
    analysed: AnalysedDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Most themes listed.")] = 10,
    quotes: Annotated[int, Query(ge=0, le=20, description="Detractor quotes per theme.")] = 3,
    min_detractors: Annotated[
        int, Query(ge=1, description="Fewest detractors who must mention a theme.")
    ] = 3,
) -> DetractorIssuesPublic:
    """Themes that pull NPS down most, ranked by impact, with quotes from detractors.

    Impact of theme T = NPS - NPS of the respondents who do not mention T (NPS points, with a
    delta-method 95% interval): what fixing T would add, if its mentioners then answered like
    everyone else.
    """

    def compute(a: Analysed) -> DetractorIssuesPublic:
        overall = sections.overall_scores(a.frame)
        issues = sections.detractor_issues(
            a.frame, a.labels, limit=limit, n_quotes=quotes, min_detractors=min_detractors
        )
        return DetractorIssuesPublic(
            filters=FiltersPublic.model_validate(a.filters.to_json()),
            n_items=a.frame.n_items,
            nps=EstimatePublic.model_validate(overall["nps"]),
            issues=[DetractorIssuePublic.model_validate(issue) for issue in issues],
        )

    return analysed.memo(("top-detractor-issues", limit, quotes, min_detractors), compute)


@router.get("/segments")
def segments(
    analysed: AnalysedDep,
    by: Annotated[
        str,
        Query(description="One segment attribute, or two separated by a comma.", examples=["plan"]),
    ],
    fdr: Annotated[
        float, Query(gt=0, le=1, description="False discovery rate (Benjamini-Hochberg).")
    ] = 0.05,
) -> SegmentsPublic:
    """Scores and sentiment per segment value, and the themes each value over/under-indexes on.

    Over/under-indexing: per (segment value, theme), chi-square (Fisher when an expected count
    is under 5) of mentioning in the value vs the rest; q-values adjusted across all cells; only
    cells with q <= fdr are listed.
    """

    def compute(a: Analysed) -> SegmentsPublic:
        overview = sections.segment_overview(a.frame, by, a.labels, fdr=fdr)
        return SegmentsPublic.model_validate(
            overview | {"filters": FiltersPublic.model_validate(a.filters.to_json())}
        )

    return analysed.memo(("segments", by, fdr), compute)


@router.get("/trends")
def trends(
    analysed: WindowAnalysedDep,
    period: Annotated[
        Literal["day", "week", "month"], Query(description="Calendar period (UTC).")
    ] = "week",
    top: Annotated[int, Query(ge=1, le=100, description="Themes with a series.")] = 10,
    window: Annotated[int, Query(ge=2, le=52, description="Spike baseline periods.")] = 4,
    threshold: Annotated[float, Query(ge=0, description="z above which a spike is flagged.")] = 2.0,
    min_count: Annotated[int, Query(ge=1, description="Fewest mentions for a spike.")] = 5,
    recent: Annotated[int, Query(ge=1, description="Recent periods for emerging themes.")] = 2,
) -> TrendsPublic:
    """Theme volume per period, spikes against a trailing baseline, emerging unassigned feedback.

    Here ``period`` is the granularity; restrict the time window with ``from``/``to``.
    """

    def compute(a: Analysed) -> TrendsPublic:
        overview = sections.trend_overview(
            a.frame,
            period,
            a.labels,
            top=top,
            window=window,
            threshold=threshold,
            min_count=min_count,
            recent=recent,
        )
        return TrendsPublic.model_validate(
            overview | {"filters": FiltersPublic.model_validate(a.filters.to_json())}
        )

    return analysed.memo(("trends", period, top, window, threshold, min_count, recent), compute)
