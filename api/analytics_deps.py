"""Dependencies of the analytics routes: the analytics state, the filters, the workspace's frame.

The filter query parameters (``segment``, ``period``, ``from``, ``to``) are declared once, in
:mod:`api.filter_deps`, and shared with the feedback listing and the dashboard.

The analytics state (:class:`~feedback_nlp.analytics.state.AnalyticsState`) lives on
``app.state`` (created on first use, saving its snapshots under ``var_dir/analytics-state``), so
every request of a process shares it: a workspace's frame is updated with what was written since,
not rebuilt, and answers are memoised per snapshot (:meth:`Analysed.memo`).

Every memoised answer says how fresh it is: ``X-Analytics-As-Of`` is when the snapshot it was
computed over was built (RFC 3339, UTC), and ``X-Analytics-Stale: true`` marks an answer served
from the snapshot before the newest while its recomputation runs (large workspaces only, never
after a mining run or a theme edit; see :mod:`feedback_nlp.analytics.state.revalidation`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response

from api.deps import StoreDep, WorkspaceDep
from api.display_deps import DisplayLangDep
from api.filter_deps import FiltersDep, WindowFiltersDep
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.state import AnalyticsState, Snapshot
from feedback_nlp.domain import Workspace
from feedback_nlp.report.bundle import general_theme_ids, theme_labels, theme_parents
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.settings import Settings
from feedback_nlp.store.store import Store

T = TypeVar("T")
#: Currency of revenue figures for a workspace that names none.
DEFAULT_CURRENCY = "USD"
_cache_lock = threading.Lock()
STATE_DIRECTORY = "analytics-state"
#: When the snapshot a memoised answer was computed over was built (the oldest of a route's).
AS_OF_HEADER = "X-Analytics-As-Of"
#: ``true`` when an answer comes from an older snapshot than the newest (being recomputed).
STALE_HEADER = "X-Analytics-Stale"


def get_frame_cache(request: Request) -> AnalyticsState:
    """The app's analytics state (one per process); ``.get(store, workspace_id).frame``."""
    return analytics_state(request.app.state)


def analytics_state(state: Any) -> AnalyticsState:
    """The analytics state kept on ``app.state`` (created on first use; the alert worker's too)."""
    with _cache_lock:
        cache: AnalyticsState | None = getattr(state, "frame_cache", None)
        if cache is None:
            settings: Settings = state.settings
            cache = AnalyticsState(
                directory=settings.var_dir / STATE_DIRECTORY, namespace=settings.database.url
            )
            state.frame_cache = cache
    return cache


def workspace_currency(workspace: Workspace) -> str:
    """The ISO 4217 code of the workspace's revenue figures (``"USD"`` unless set)."""
    return workspace.currency or DEFAULT_CURRENCY


class ThemeListCache:
    """Answers of ``GET /v1/themes`` per (workspace, parameters), kept while themes are unchanged.

    Valid while the themes' mark (``store.themes_mark``: newest update, count) is the same.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._values: dict[Hashable, tuple[Hashable, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, mark: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key`` computed at ``mark``, computed again when the mark moved."""
        with self._lock:
            found = self._values.get(key)
        if found is not None and found[0] == mark:
            return found[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if len(self._values) >= self._size:
                self._values.clear()
            self._values[key] = (mark, value)
        return value


def get_theme_list_cache(request: Request) -> ThemeListCache:
    """The app's cache of theme lists (one per process)."""
    state = request.app.state
    with _cache_lock:
        cache: ThemeListCache | None = getattr(state, "theme_list_cache", None)
        if cache is None:
            cache = state.theme_list_cache = ThemeListCache()
    return cache


FrameCacheDep = Annotated[AnalyticsState, Depends(get_frame_cache)]
ThemeListCacheDep = Annotated[ThemeListCache, Depends(get_theme_list_cache)]


@dataclass(frozen=True, slots=True)
class Analysed:
    """The filtered frame of the request's workspace, its theme labels and its snapshot.

    Attributes:
        frame: The workspace's frame with the filters applied.
        labels: Theme display labels (in ``lang``, where a theme has a label in it).
        parents: Parent id of each level-0 theme that has one (spikes test parent groups too).
        general: Themes of the general-sentiment pool (left out of the issue rankings).
        filters: The request's filters.
        snapshot: The analytics snapshot the frame comes from.
        rebind: The same (workspace, filters) over another snapshot.
        lang: The requested display language (``None``: the workspace's most frequent).
        response: The request's response, whose freshness headers :meth:`memo` sets
            (``None`` over another snapshot).
    """

    frame: FeedbackFrame
    labels: dict[str, str]
    parents: dict[str, str]
    general: frozenset[str]
    filters: ReportFilters
    snapshot: Snapshot
    rebind: Callable[[Snapshot], Analysed]
    lang: str | None = None
    response: Response | None = None

    def memo(self, key: Hashable, compute: Callable[[Analysed], T]) -> T:
        """``compute(self)``, once per snapshot, filters and ``key`` (the route's parameters).

        ``compute`` must use only its argument and the route's parameters (never a captured
        ``Analysed``): it is also called over the next snapshot to warm it.
        """
        rebind = self.rebind

        def recipe(snapshot: Snapshot) -> T:
            return compute(rebind(snapshot))

        memo_key = (key, self.filters, self.lang)
        value, served = self.snapshot.memo.answer(memo_key, lambda: compute(self), recipe)
        if self.response is not None:
            stale = served.stale_as_of is not None
            built_at = self.snapshot.built_at if served.stale_as_of is None else served.stale_as_of
            _mark_freshness(self.response, built_at, stale)
        return value


def _mark_freshness(response: Response, built_at: float, stale: bool) -> None:
    """Set the freshness headers, keeping the oldest answer's when a route asks several."""
    as_of = datetime.fromtimestamp(built_at, UTC).isoformat(timespec="milliseconds")
    shown = response.headers.get(AS_OF_HEADER)
    if shown is None or as_of < shown:
        response.headers[AS_OF_HEADER] = as_of
    if stale:
        response.headers[STALE_HEADER] = "true"


def get_analysed(
    workspace: WorkspaceDep,
    store: StoreDep,
    cache: FrameCacheDep,
    filters: FiltersDep,
    lang: DisplayLangDep,
    response: Response,
) -> Analysed:
    """The workspace's frame (cached while its data is unchanged), filtered, with labels.

    Raises:
        InvalidInputError: If a segment filter names an attribute the workspace lacks (422).
    """
    return _analysed(workspace, store, cache, filters, lang, response)


def get_window_analysed(
    workspace: WorkspaceDep,
    store: StoreDep,
    cache: FrameCacheDep,
    filters: WindowFiltersDep,
    lang: DisplayLangDep,
    response: Response,
) -> Analysed:
    """Like :func:`get_analysed`, for routes where ``period`` means a granularity."""
    return _analysed(workspace, store, cache, filters, lang, response)


def _analysed(
    workspace: Workspace,
    store: Store,
    cache: AnalyticsState,
    filters: ReportFilters,
    lang: str | None,
    response: Response,
) -> Analysed:
    return _over(cache.snapshot(store, workspace.id), store, workspace.id, filters, lang, response)


def _over(
    snapshot: Snapshot,
    store: Store,
    workspace_id: int,
    filters: ReportFilters,
    lang: str | None = None,
    response: Response | None = None,
) -> Analysed:
    """The :class:`Analysed` of ``filters`` over ``snapshot`` (filtered frame memoised)."""
    frame = snapshot.frames.get(filters, lambda: filters.apply(snapshot.frame), filters.apply)
    # A rename or a mining run makes a new snapshot, so labels and parents hold as long as it does.
    labels, parents, general = snapshot.memo.get(
        ("theme_names", lang), lambda: _theme_names(store, workspace_id, lang)
    )

    def rebind(other: Snapshot) -> Analysed:
        return _over(other, store, workspace_id, filters, lang)

    return Analysed(frame, labels, parents, general, filters, snapshot, rebind, lang, response)


def _theme_names(
    store: Store, workspace_id: int, lang: str | None = None
) -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    labels, rows = theme_labels(store, workspace_id, lang)
    return labels, theme_parents(rows), general_theme_ids(rows)


AnalysedDep = Annotated[Analysed, Depends(get_analysed)]
WindowAnalysedDep = Annotated[Analysed, Depends(get_window_analysed)]
