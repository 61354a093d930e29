"""The report bundle: every CX number of a workspace, computed once, rendered many ways.

:func:`build_report_bundle` reads the workspace (through a :class:`FrameCache`, so unchanged data
is not read twice), applies the filters and runs every report; the Rich tables of
``feedback-nlp report``, its ``--json`` output, the HTML report and the dashboard all render the
same :class:`ReportBundle`. Its JSON form (:meth:`ReportBundle.to_json`) is the contract between
them; the field list below is stable (new fields may be added, none renamed or removed).

**Fields** (estimates are ``{"value", "ci_low", "ci_high", "n", "n_missing", "method",
"confidence"}`` with ``None`` where undefined; NPS and CSAT in percent points; shares 0-1;
see :mod:`feedback_nlp.report.sections` for every row shape):

* ``workspace`` (name), ``generated_at`` (ISO-8601 UTC), ``data_version`` (list; changes when the
  stored data does), ``filters`` (``{"segment": {k: v}, "period", "from", "to"}``),
  ``granularity`` (``day``/``week``/``month`` of the trends), ``confidence``.
* ``counts``: ``{"items_total"`` (whole workspace), ``"items"`` (after filters), ``"units"``,
  ``"units_unassigned"``, ``"themes"`` (listed in ``themes``), ``"general_unranked"`` (listed
  themes of the general-sentiment pool that ``top_detractor_issues`` leaves out)}``.
* ``overall``: one score row (group ``"all"``): ``nps``, ``promoters``, ``passives``,
  ``detractors``, ``csat``, ``csat_mean``, ``ces``, ``sentiment``, ``n_items``.
* ``themes``: ``[{"theme_id", "label" (custom label, else generated), "parent_id", "active",
  "size", "general", "n_items"}]`` -- the level-0 themes, largest first: by default only the
  active ones (those of the latest mining run, as ``GET /v1/themes`` lists them) that at least
  one item of the filtered data mentions (``n_items``), so a theme a later run dropped, or one
  nobody in a filtered segment mentions, is not listed with empty numbers.
  ``include_inactive`` lists every level-0 theme in the frame.
* ``top_detractor_issues``: ranked themes with a negative NPS impact, themes of the
  general-sentiment pool left out unless ``include_general`` (``impact``,
  ``impact_low``, ``impact_high`` in points, ``share_of_detractors``, ``quotes`` from
  detractors: ``[{"item_id", "text"}]``, ``label`` ...).
* ``scores_by_theme``: a score row per theme (the respondents who mention it), with ``label``.
* ``scores_by_period``: a score row per period of ``granularity``.
* ``segments``: ``{attribute: {"by", "scores", "sentiment", "over_index"}}`` for every segment
  attribute with 2..``max_segment_values`` values after filtering; ``over_index`` holds the
  significant (BH, ``fdr``) over/under-indexed (segment value, theme) cells only.
* ``trends``: ``{"period", "periods", "n_items", "series" (top themes), "spikes", "emerging"}``.
* ``outcomes``: ``None`` unless the filtered data has outcome fields (resolution or
  first-response minutes, churn, revenue); then
  :func:`~feedback_nlp.report.outcome_sections.outcome_overview` at ``granularity``, revenue
  in the workspace's currency.
* ``rank_by``: the order of ``top_detractor_issues`` (``nps_impact``, the default, or
  ``churn_lift`` / ``revenue_at_risk``, whose rows add the churn and revenue columns).
* ``insights``: ``{key: result}`` of every declared insight
  (:data:`~feedback_nlp.report.insights.INSIGHTS`, e.g. ``ces_by_theme``), each the JSON of its
  typed result (:mod:`~feedback_nlp.report.insight`).
* ``timings``: seconds spent ``read`` (database), ``build`` (frame; both 0 when cached),
  ``reports`` and ``total``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from feedback_nlp.analytics.breakdown import scores_by_period, scores_by_theme
from feedback_nlp.analytics.frame import PERIODS, FeedbackFrame
from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.analytics.outcomes import has_outcomes
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.report import outcome_sections, sections
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.insight import InsightInput
from feedback_nlp.report.insights import compute_insights
from feedback_nlp.report.section_types import ScoreRow, SegmentOverview, TrendOverview
from feedback_nlp.themes.display import display_labels, resolve_display_lang

if TYPE_CHECKING:
    from feedback_nlp.store import Store

__all__ = ["ReportBundle", "build_report_bundle", "theme_labels", "theme_parents"]

Record = dict[str, Any]


@dataclass(frozen=True)
class ReportBundle:
    """Every report of one workspace under one set of filters (see the module docstring)."""

    workspace: str
    generated_at: str
    data_version: list[Any]
    filters: Record
    granularity: str
    confidence: float
    counts: dict[str, int]
    overall: ScoreRow
    themes: list[Record]
    top_detractor_issues: list[Record]
    scores_by_theme: list[ScoreRow]
    scores_by_period: list[ScoreRow]
    segments: dict[str, SegmentOverview]
    trends: TrendOverview
    timings: dict[str, float] = field(default_factory=dict)
    outcomes: Record | None = None
    rank_by: str = "nps_impact"
    insights: dict[str, BaseModel] = field(default_factory=dict)

    def to_json(self) -> Record:
        """The bundle as one JSON-ready dict (``json.dumps`` it with ``ensure_ascii=False``)."""
        data = asdict(self)
        data["insights"] = {
            key: result.model_dump(mode="json") for key, result in self.insights.items()
        }
        return data


def theme_labels(
    store: Store, workspace_id: int, lang: str | None = None
) -> tuple[dict[str, str], list[Record]]:
    """Display labels of a workspace's themes, and a summary row per level-0 theme.

    Args:
        store: Where the workspace's themes live.
        workspace_id: Whose themes.
        lang: The display language (``None``: the workspace's most frequent language;
            :mod:`feedback_nlp.themes.display`).

    Returns:
        ``({theme_id: label}, [{"theme_id", "label", "parent_id", "active", "size",
        "general"}])``; the label is the custom label, else the generated label in the display
        language, else in the theme's main language, else the id; ``general``: in the
        general-sentiment pool.
    """
    found = store.list_themes(workspace_id, include_inactive=True)
    labels = display_labels(found, resolve_display_lang(lang, None, found))
    rows = [
        {
            "theme_id": theme.theme_id,
            "label": labels[theme.theme_id],
            "parent_id": theme.parent_id,
            "active": theme.active,
            "size": theme.size,
            "general": theme.general,
        }
        for theme in found
        if theme.level == 0
    ]
    return labels, rows


def theme_parents(theme_rows: list[Record]) -> dict[str, str]:
    """Parent id of each level-0 theme that has one (``theme_rows`` of :func:`theme_labels`).

    The trends test the parent groups for spikes too (:mod:`~feedback_nlp.analytics.trends`).
    """
    return {str(row["theme_id"]): str(row["parent_id"]) for row in theme_rows if row["parent_id"]}


def general_theme_ids(theme_rows: list[Record]) -> frozenset[str]:
    """The themes of the general-sentiment pool (``theme_rows`` of :func:`theme_labels`).

    They carry sentiment but no topic, so the ranking of detractor issues leaves them out
    unless asked (``include_general``).
    """
    return frozenset(str(row["theme_id"]) for row in theme_rows if row.get("general"))


def _listed_themes(
    frame: FeedbackFrame, theme_rows: list[Record], *, include_inactive: bool
) -> list[Record]:
    """The summary rows of the themes a report lists, with ``n_items``, largest first."""
    _, columns = frame.mention_cells()
    n_items = np.bincount(columns, minlength=len(frame.theme_ids))
    position = {theme_id: k for k, theme_id in enumerate(frame.theme_ids)}
    listed = [
        row | {"n_items": int(n_items[position[row["theme_id"]]])}
        for row in theme_rows
        if row["theme_id"] in position
    ]
    if not include_inactive:
        listed = [row for row in listed if row["active"] and row["n_items"] > 0]
    return sorted(listed, key=lambda row: (-int(row["size"]), str(row["theme_id"])))


def _segment_attributes(frame: FeedbackFrame, fixed: set[str], max_values: int) -> list[str]:
    chosen = []
    for attribute in frame.segments:
        if attribute in fixed:
            continue
        n_values = frame.items[attribute].dropna().nunique()
        if 2 <= n_values <= max_values:
            chosen.append(attribute)
    return chosen


def build_report_bundle(
    store: Store,
    workspace_id: int,
    filters: ReportFilters | None = None,
    *,
    granularity: str = "week",
    cache: FrameCache | None = None,
    confidence: float = 0.95,
    fdr: float = 0.05,
    limit: int = 10,
    n_quotes: int = 3,
    min_detractors: int = 3,
    max_segment_values: int = 50,
    trend_themes: int = 10,
    include_inactive: bool = False,
    include_general: bool = False,
    lang: str | None = None,
    rank_by: str = "nps_impact",
) -> ReportBundle:
    """Compute every report of a workspace once.

    Args:
        store: Where the workspace's data lives.
        workspace_id: Whose data.
        filters: Segment and time window to restrict to (default: everything).
        granularity: Period of the trends and of ``scores_by_period``: day, week or month.
        cache: Frame cache to use (default: a fresh one, i.e. always read).
        confidence: Confidence level of every interval.
        fdr: False discovery rate of the over-indexing and emerging tests.
        limit: Most detractor issues listed.
        n_quotes: Quotes per detractor issue.
        min_detractors: Fewest detractors mentioning a theme for it to be an issue.
        max_segment_values: Segment attributes with more distinct values are not broken down.
        trend_themes: How many of the most mentioned themes get a trend series.
        include_inactive: Also list inactive themes and themes no filtered item mentions.
        include_general: Also rank themes of the general-sentiment pool among the detractor
            issues (they are listed with the themes either way).
        lang: The display language of the theme labels (``None``: the workspace's most
            frequent language).
        rank_by: Order of ``top_detractor_issues``: ``nps_impact``, ``churn_lift`` or
            ``revenue_at_risk`` (:mod:`~feedback_nlp.analytics.ranking`).

    Returns:
        The bundle.

    Raises:
        InvalidInputError: If ``granularity`` is not day/week/month or a filter names an
            unknown segment attribute.
        NotFoundError: If the workspace does not exist.
    """
    if granularity not in PERIODS:
        raise InvalidInputError(
            f"The granularity must be one of {list(PERIODS)}. Got {granularity!r}."
        )
    filters = filters or ReportFilters()
    started = time.perf_counter()
    workspace = store.get_workspace(workspace_id)
    loaded = (cache or FrameCache(max_workspaces=1)).get(store, workspace_id)
    reports_started = time.perf_counter()
    labels, theme_rows = theme_labels(store, workspace_id, lang)
    frame = filters.apply(loaded.frame)
    themes = _listed_themes(frame, theme_rows, include_inactive=include_inactive)
    fixed = {key for key, _ in filters.segment}
    segments = {
        attribute: sections.segment_overview(
            frame, attribute, labels, fdr=fdr, confidence=confidence
        )
        for attribute in _segment_attributes(frame, fixed, max_segment_values)
    }
    unassigned = int((frame.units["theme"].to_numpy() < 0).sum())
    parts: Record = {
        "overall": sections.overall_scores(frame, confidence=confidence),
        "top_detractor_issues": outcome_sections.ranked_issue_rows(
            frame,
            labels,
            rank_by,
            limit=limit,
            n_quotes=n_quotes,
            min_detractors=min_detractors,
            confidence=confidence,
            exclude=() if include_general else general_theme_ids(theme_rows),
        ),
        "scores_by_theme": sections.score_rows(
            scores_by_theme(frame, confidence=confidence), labels, confidence=confidence
        ),
        "scores_by_period": sections.score_rows(
            scores_by_period(frame, granularity, confidence=confidence), confidence=confidence
        ),
        "trends": sections.trend_overview(
            frame,
            granularity,
            labels,
            top=trend_themes,
            fdr=fdr,
            parents=theme_parents(theme_rows),
        ),
    }
    parts["rank_by"] = rank_by
    parts["insights"] = compute_insights(InsightInput(frame, labels, confidence=confidence))
    if has_outcomes(frame):
        parts["outcomes"] = outcome_sections.outcome_overview(
            frame,
            labels,
            granularity=granularity,
            currency=workspace.currency,
            confidence=confidence,
            fdr=fdr,
        )
    done = time.perf_counter()
    return ReportBundle(
        workspace=workspace.name,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_version=list(loaded.version),
        filters=filters.to_json(),
        granularity=granularity,
        confidence=confidence,
        counts={
            "items_total": loaded.frame.n_items,
            "items": frame.n_items,
            "units": len(frame.units),
            "units_unassigned": unassigned,
            "themes": len(themes),
            # listed themes of the general-sentiment pool left out of the detractor issues
            "general_unranked": 0 if include_general else sum(bool(t["general"]) for t in themes),
        },
        themes=themes,
        segments=segments,
        timings={
            "read": round(loaded.read_seconds, 4),
            "build": round(loaded.build_seconds, 4),
            "reports": round(done - reports_started, 4),
            "total": round(done - started, 4),
        },
        **parts,
    )
