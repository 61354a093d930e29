"""``/v1/insights``: top detractor issues, segment comparison, theme trends, outcomes.

Each declared insight (:data:`feedback_nlp.report.insights.INSIGHTS`) also gets its two routes
here, made from its declaration: ``GET /v1/insights/{name}`` (its result model plus the filters)
and ``GET /v1/insights/{name}.csv``.

Every route takes the filters ``segment`` (``key:value``, repeatable), ``period`` (``2026-09``,
``2026-W38``...) or ``from``/``to``, and answers for the caller's workspace only. Theme labels
are the display labels (custom label, else the generated one in the display language ``lang``
where the theme has one, else in its main language; :mod:`api.display_deps`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, create_model

from api.analytics_deps import Analysed, AnalysedDep, WindowAnalysedDep, workspace_currency
from api.analytics_schemas import (
    DetractorIssuePublic,
    DetractorIssuesPublic,
    EstimatePublic,
    FiltersPublic,
    SegmentsPublic,
    TrendsPublic,
)
from api.constraint_fields import query_bounds
from api.csv_response import CsvResponse, csv_download, csv_responses
from api.deps import WorkspaceDep
from api.outcome_schemas import OutcomesPublic
from api.problems import problem_responses
from feedback_nlp.analytics.impact import ISSUE_PARAMETERS
from feedback_nlp.analytics.stats import FDR
from feedback_nlp.analytics.trends import TREND_PARAMETERS
from feedback_nlp.report import outcome_sections, sections
from feedback_nlp.report.insight import Insight, InsightInput
from feedback_nlp.report.insights import INSIGHTS

router = APIRouter(
    prefix="/v1/insights", tags=["insights"], responses=problem_responses(401, 422, 429)
)


@router.get("/top-detractor-issues")
def top_detractor_issues(
    analysed: AnalysedDep,
    workspace: WorkspaceDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Most themes listed.")] = 10,
    quotes: Annotated[int, Query(ge=0, le=20, description="Detractor quotes per theme.")] = 3,
    min_detractors: Annotated[
        int,
        query_bounds(
            ISSUE_PARAMETERS["min_detractors"],
            description="Fewest detractors who must mention a theme.",
        ),
    ] = 3,
    include_general: Annotated[
        bool,
        Query(
            description="Also rank themes of the general-sentiment pool (units such as 'I "
            "expected better.' that carry sentiment but name no topic; `general` in GET "
            "/v1/themes)."
        ),
    ] = False,
    rank_by: Annotated[
        Literal["nps_impact", "churn_lift", "revenue_at_risk"],
        Query(
            description="Order: nps_impact (default), churn_lift (themes whose mentioners churn "
            "more, at least `min_detractors` churned customers) or revenue_at_risk (revenue of "
            "detractors or churned customers who mention the theme)."
        ),
    ] = "nps_impact",
) -> DetractorIssuesPublic:
    """Themes that pull NPS down most, ranked by impact, with quotes from detractors.

    Impact of theme T = NPS - NPS of the respondents who do not mention T (NPS points, with a
    delta-method 95% interval): what fixing T would add, if its mentioners then answered like
    everyone else. Themes of the general-sentiment pool are left out unless `include_general`.
    With `rank_by` churn_lift or revenue_at_risk the rows also carry the churn and revenue
    columns (see GET /v1/insights/outcomes for the methods).
    """
    currency = workspace_currency(workspace)

    def compute(a: Analysed) -> DetractorIssuesPublic:
        overall = sections.overall_scores(a.frame)
        issues = outcome_sections.ranked_issue_rows(
            a.frame,
            a.labels,
            rank_by,
            limit=limit,
            n_quotes=quotes,
            min_detractors=min_detractors,
            exclude=() if include_general else a.general,
        )
        return DetractorIssuesPublic(
            filters=FiltersPublic.model_validate(a.filters.to_json()),
            n_items=a.frame.n_items,
            nps=EstimatePublic.model_validate(overall["nps"]),
            rank_by=rank_by,
            currency=currency,
            issues=[DetractorIssuePublic.model_validate(issue) for issue in issues],
        )

    key = ("top-detractor-issues", limit, quotes, min_detractors, include_general, rank_by)
    return analysed.memo((key, currency), compute)


@router.get("/outcomes")
def outcomes(
    analysed: AnalysedDep,
    workspace: WorkspaceDep,
    by: Annotated[
        str | None,
        Query(
            description="One segment attribute, or two separated by a comma, for per-segment rows.",
            examples=["plan"],
        ),
    ] = None,
    granularity: Annotated[
        Literal["day", "week", "month"], Query(description="Period of the per-period rows (UTC).")
    ] = "week",
    fdr: Annotated[
        float, query_bounds(FDR, description="False discovery rate for `significant` (BH).")
    ] = 0.05,
) -> OutcomesPublic:
    """What each theme costs: resolution and first-response time, churn, revenue at risk.

    Durations (minutes from creation): per theme, period and segment, the median and 90th
    percentile with seeded bootstrap percentile intervals (2000 resamples, seed 19), and each
    theme's effect (median of its items - median of the others; Mann-Whitney p, BH q across
    themes). Churn, counting each customer once (customer id, else the item): rate per theme,
    period and segment (Wilson), and lift = churn rate of customers mentioning the theme / of
    the others (Katz interval; chi-square, or Fisher's exact test when an expected count is
    under 5; BH q across themes). Revenue at risk: the revenue of detractors (NPS 0-6) or
    churned customers who mention the theme, and its share of all such revenue, in the
    workspace's currency. Parts without data are null; `available` is false when none has any.
    """
    currency = workspace_currency(workspace)

    def compute(a: Analysed) -> OutcomesPublic:
        overview = outcome_sections.outcome_overview(
            a.frame, a.labels, by=by, granularity=granularity, currency=currency, fdr=fdr
        )
        return OutcomesPublic.model_validate(
            overview | {"filters": FiltersPublic.model_validate(a.filters.to_json())}
        )

    return analysed.memo(("outcomes", by, granularity, fdr, currency), compute)


@router.get("/segments")
def segments(
    analysed: AnalysedDep,
    by: Annotated[
        str,
        Query(description="One segment attribute, or two separated by a comma.", examples=["plan"]),
    ],
    fdr: Annotated[
        float, query_bounds(FDR, description="False discovery rate (Benjamini-Hochberg).")
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
    threshold: Annotated[
        float,
        query_bounds(
            TREND_PARAMETERS["threshold"], description="z above which a period can be a spike."
        ),
    ] = 2.0,
    min_count: Annotated[
        int, query_bounds(TREND_PARAMETERS["min_count"], description="Fewest mentions for a spike.")
    ] = 5,
    recent: Annotated[int, Query(ge=1, description="Recent periods for emerging themes.")] = 2,
    fdr: Annotated[
        float,
        query_bounds(
            FDR,
            description="False discovery rate of the spike tests (Benjamini-Hochberg over all "
            "themes x periods) and of the emerging test.",
        ),
    ] = 0.05,
    min_ratio: Annotated[
        float,
        query_bounds(
            TREND_PARAMETERS["min_ratio"],
            description="Smallest share over baseline share for a spike.",
        ),
    ] = 2.0,
    min_lift: Annotated[
        float,
        query_bounds(
            TREND_PARAMETERS["min_lift"],
            description="Smallest share minus baseline share for a spike (0-1).",
        ),
    ] = 0.02,
) -> TrendsPublic:
    """Theme volume per period, spikes against a trailing baseline, emerging unassigned feedback.

    Here ``period`` is the granularity; restrict the time window with ``from``/``to``.

    Spike of theme T in period t: the one-sided exact test of t's mention rate against the
    ``window`` periods before (T's mentions in t given its mentions in t and the baseline are
    binomial under equal rates) has a Benjamini-Hochberg q-value <= ``fdr`` over every tested
    (theme, period) cell, and the rise is large: at least ``min_count`` mentions, z above
    ``threshold``, share >= ``min_ratio`` x the baseline share and >= ``min_lift`` above it.
    Parent groups of two or more themes are tested the same way (``level`` 1; an item that
    mentions any of the group's themes counts once), in the same correction, so a complaint the
    miner split over sibling themes is counted once. Spikes are listed lowest q first.
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
            fdr=fdr,
            min_ratio=min_ratio,
            min_lift=min_lift,
            parents=a.parents,
        )
        return TrendsPublic.model_validate(
            overview | {"filters": FiltersPublic.model_validate(a.filters.to_json())}
        )

    key = ("trends", period, top, window, threshold, min_count, recent, fdr, min_ratio, min_lift)
    return analysed.memo(key, compute)


def add_insight_routes(target: APIRouter, insight: Insight[Any]) -> None:
    """Serve ``insight`` at ``/{name}`` (JSON: its result plus ``filters``) and ``/{name}.csv``.

    The response schema is the insight's result model with a ``filters`` field, named
    ``<ResultModel>Public``; both routes share one computation per snapshot and filters.
    """
    public: type[BaseModel] = create_model(
        f"{insight.result_type.__name__}Public",
        __base__=insight.result_type,
        __doc__=f"``GET /v1/insights/{insight.name}``: {insight.title}.",
        filters=(FiltersPublic, ...),
    )

    def compute_result(a: Analysed) -> BaseModel:
        found: BaseModel = insight.compute(InsightInput(a.frame, a.labels))
        return found

    def result(analysed: Analysed) -> BaseModel:
        return analysed.memo(("insight", insight.name), compute_result)

    def read(analysed: AnalysedDep) -> BaseModel:
        def compute(a: Analysed) -> BaseModel:
            return public.model_validate(result(a).model_dump() | {"filters": a.filters.to_json()})

        return analysed.memo(("insight-public", insight.name), compute)

    def read_csv(analysed: AnalysedDep) -> CsvResponse:
        return csv_download(insight.csv_lines(result(analysed)), f"{insight.name}.csv")

    target.add_api_route(
        f"/{insight.name}",
        read,
        methods=["GET"],
        response_model=public,
        name=f"insight_{insight.key}",
        summary=insight.title,
        description=insight.description,
    )
    target.add_api_route(
        f"/{insight.name}.csv",
        read_csv,
        methods=["GET"],
        response_class=CsvResponse,
        responses=csv_responses(f"{insight.title} as CSV: " + ", ".join(insight.csv_columns)),
        name=f"insight_{insight.key}_csv",
        summary=f"{insight.title} (CSV)",
        description=insight.description,
    )


for _insight in INSIGHTS:
    add_insight_routes(router, _insight)
