"""What the dashboard's pages show: the workspace's report and one theme's context.

Shared by the page routes (:mod:`api.ui.routes`) and the edit forms
(:mod:`api.ui.taxonomy_forms`), which show a theme again when an edit needs correcting. No
routes here; each function reads the store and returns template context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from api.filter_deps import PeriodQuery, SegmentQuery
from api.ui.auth import UiSession
from api.ui.edits import POOL, FlashRef, edit_state
from api.ui.labels import label_by_theme
from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.domain import FeedbackRecord, ThemeRecord
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.html import ReportData, collect_report
from feedback_nlp.store.store import Store

__all__ = [
    "THEME_ITEMS",
    "PeriodQuery",
    "SegmentQuery",
    "collect",
    "filter_params",
    "move_targets",
    "parse_filters",
    "theme_context",
    "theme_url",
]

THEME_ITEMS = 25


def _frame_cache(request: Request) -> FrameCache:
    """The dashboard's frame cache, kept on the app (created on first use)."""
    found: FrameCache | None = getattr(request.app.state, "ui_frame_cache", None)
    if found is None:
        found = FrameCache(max_workspaces=8)
        request.app.state.ui_frame_cache = found
    return found


def filter_params(segment: list[str] | None, period: str | None) -> dict[str, Any]:
    """Query parameters that reproduce a filter (empty values dropped)."""
    params: dict[str, Any] = {}
    chosen = [s for s in segment or [] if s]
    if chosen:
        params["segment"] = chosen
    if period:
        params["period"] = period
    return params


def theme_url(params: Mapping[str, Any]) -> Callable[[str], str]:
    """A function giving a theme page's URL with the filter ``params`` kept."""
    query = urlencode(params, doseq=True)

    def url(theme_id: str) -> str:
        return f"/ui/themes/{theme_id}" + (f"?{query}" if query else "")

    return url


def parse_filters(segment: list[str] | None, period: str | None) -> ReportFilters:
    """The report filters of the query parameters (``InvalidInputError`` when malformed)."""
    return ReportFilters.parse(segment=[s for s in segment or [] if s], period=period or None)


def collect(
    request: Request, store: Store, session: UiSession, filters: ReportFilters
) -> ReportData:
    """The report of the session's workspace (frames cached on the app)."""
    return collect_report(store, session.workspace.id, filters, cache=_frame_cache(request))


def move_targets(store: Store, workspace_id: int, current: str) -> list[ThemeRecord]:
    """The themes a unit of ``current`` can be moved to: every other shown theme."""
    return [
        theme
        for theme in store.list_themes(workspace_id)
        if theme.level == 0 and theme.theme_id != current
    ]


def theme_context(
    request: Request,
    store: Store,
    session: UiSession,
    theme_id: str,
    segment: list[str] | None,
    period: str | None,
    flash: FlashRef | None = None,
) -> dict[str, Any]:
    """What ``ui/theme.html`` shows (``NotFoundError`` for a theme of no such id).

    ``flash`` names the operation the page reports (after an edit form sent the browser here).
    """
    detail = store.get_theme(session.workspace.id, theme_id)
    params = filter_params(segment, period)
    filters = parse_filters(segment, period)
    data = collect(request, store, session, filters)
    feedback_filter = filters.feedback_filter(theme_id=theme_id)
    page = store.list_feedback(session.workspace.id, feedback_filter, limit=THEME_ITEMS)
    items: list[FeedbackRecord] = list(page.items)
    series = next((s for s in data.bundle["trends"]["series"] if s["theme_id"] == theme_id), None)
    labels = label_by_theme(store, session.workspace.id)
    return {
        "session": session,
        "r": data,
        "b": data.bundle,
        "detail": detail,
        "row": data.theme(theme_id),
        "series": series,
        "items": items,
        "params": params,
        "back_url": "/ui" + (f"?{urlencode(params, doseq=True)}" if params else ""),
        "theme_url": theme_url(params),
        "theme_label": labels.get(theme_id, ""),
        "targets": [
            (target.theme_id, labels.get(target.theme_id, ""))
            for target in move_targets(store, session.workspace.id, theme_id)
        ],
        "edit": edit_state(store, session.workspace.id, flash),
        "pool": POOL,
    }
