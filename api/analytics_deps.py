"""Dependencies of the analytics routes: the frame cache, the filters, the workspace's frame.

The frame cache lives on ``app.state`` (created on first use), so every request of a process
shares it and a workspace's frame is rebuilt only after its data changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from api.deps import StoreDep, WorkspaceDep
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.domain import Workspace
from feedback_nlp.report.bundle import theme_labels
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.store.store import Store

_cache_lock = threading.Lock()


def get_frame_cache(request: Request) -> FrameCache:
    """The app's frame cache (one per process)."""
    state = request.app.state
    with _cache_lock:
        cache: FrameCache | None = getattr(state, "frame_cache", None)
        if cache is None:
            cache = FrameCache()
            state.frame_cache = cache
    return cache


def get_filters(
    segment: Annotated[
        list[str] | None,
        Query(description="'key:value', repeatable; every pair must match (plan:enterprise)."),
    ] = None,
    period: Annotated[
        str | None,
        Query(description="Calendar window (UTC): 2026, 2026-09, 2026-W38 or 2026-09-21."),
    ] = None,
    start: Annotated[
        str | None,
        Query(alias="from", description="Items created at or after this ISO-8601 instant."),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Items created before this ISO-8601 instant.")
    ] = None,
) -> ReportFilters:
    """The segment and time-window filters of the request (422 when one does not parse)."""
    return ReportFilters.parse(segment=segment, period=period, start=start, end=end)


def get_window_filters(
    segment: Annotated[
        list[str] | None,
        Query(description="'key:value', repeatable; every pair must match (plan:enterprise)."),
    ] = None,
    start: Annotated[
        str | None,
        Query(alias="from", description="Items created at or after this ISO-8601 instant."),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Items created before this ISO-8601 instant.")
    ] = None,
) -> ReportFilters:
    """The filters of a route whose ``period`` is a granularity: segment and ``from``/``to``."""
    return ReportFilters.parse(segment=segment, start=start, end=end)


FrameCacheDep = Annotated[FrameCache, Depends(get_frame_cache)]
FiltersDep = Annotated[ReportFilters, Depends(get_filters)]
WindowFiltersDep = Annotated[ReportFilters, Depends(get_window_filters)]


@dataclass(frozen=True, slots=True)
class Analysed:
    """The filtered frame of the request's workspace and its theme labels."""

    frame: FeedbackFrame
    labels: dict[str, str]
    filters: ReportFilters


def get_analysed(
    workspace: WorkspaceDep, store: StoreDep, cache: FrameCacheDep, filters: FiltersDep
) -> Analysed:
    """The workspace's frame (cached while its data is unchanged), filtered, with labels.

    Raises:
        InvalidInputError: If a segment filter names an attribute the workspace lacks (422).
    """
    return _analysed(workspace, store, cache, filters)


def get_window_analysed(
    workspace: WorkspaceDep, store: StoreDep, cache: FrameCacheDep, filters: WindowFiltersDep
) -> Analysed:
    """Like :func:`get_analysed`, for routes where ``period`` means a granularity."""
    return _analysed(workspace, store, cache, filters)


def _analysed(
    workspace: Workspace, store: Store, cache: FrameCache, filters: ReportFilters
) -> Analysed:
    frame = filters.apply(cache.get(store, workspace.id).frame)
    labels, _ = theme_labels(store, workspace.id)
    return Analysed(frame=frame, labels=labels, filters=filters)


AnalysedDep = Annotated[Analysed, Depends(get_analysed)]
WindowAnalysedDep = Annotated[Analysed, Depends(get_window_analysed)]
