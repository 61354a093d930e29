"""``/ui``: the web dashboard, server-rendered from the same templates as the HTML report.

Pages: ``/ui/login`` (an API key in, an ``HttpOnly`` cookie out; see :mod:`api.ui.auth`),
``/ui`` (the report of the workspace, filtered by segment and period through query parameters),
``/ui/themes/{id}`` (one theme: labels, quotes, trend, its feedback, a rename form) and
``POST /ui/themes/{id}/rename`` (CSRF-checked). Every page is sent with a Content-Security-Policy
that allows no script and no request to another origin, on top of autoescaped templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep
from api.taxonomy_deps import actor_of
from api.ui.auth import (
    UiSession,
    clear_session_cookie,
    csrf_valid,
    login_redirect,
    safe_next,
    session_of,
    set_session_cookie,
)
from api.ui.pages import page
from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.domain import FeedbackFilter, FeedbackRecord
from feedback_nlp.errors import ConflictError, InvalidInputError, NotFoundError
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.html import ReportData, collect_report
from feedback_nlp.store.store import Store
from feedback_nlp.taxonomy.service import TaxonomyService

router = APIRouter(prefix="/ui", include_in_schema=False)

THEME_ITEMS = 25

SegmentQuery = Annotated[
    list[str] | None, Query(description="key:value, repeatable (plan:enterprise).")
]
PeriodQuery = Annotated[
    str | None, Query(description="2026, 2026-09, 2026-W38 or 2026-09-21 (UTC).")
]


def _frame_cache(request: Request) -> FrameCache:
    """The dashboard's frame cache, kept on the app (created on first use)."""
    found: FrameCache | None = getattr(request.app.state, "ui_frame_cache", None)
    if found is None:
        found = FrameCache(max_workspaces=8)
        request.app.state.ui_frame_cache = found
    return found


def _filter_params(segment: list[str] | None, period: str | None) -> dict[str, Any]:
    """Query parameters that reproduce a filter (empty values dropped)."""
    params: dict[str, Any] = {}
    chosen = [s for s in segment or [] if s]
    if chosen:
        params["segment"] = chosen
    if period:
        params["period"] = period
    return params


def _theme_url(params: Mapping[str, Any]) -> Callable[[str], str]:
    query = urlencode(params, doseq=True)

    def url(theme_id: str) -> str:
        return f"/ui/themes/{theme_id}" + (f"?{query}" if query else "")

    return url


def _parse_filters(segment: list[str] | None, period: str | None) -> ReportFilters:
    return ReportFilters.parse(segment=[s for s in segment or [] if s], period=period or None)


def _collect(
    request: Request, store: Store, session: UiSession, filters: ReportFilters
) -> ReportData:
    return collect_report(store, session.workspace.id, filters, cache=_frame_cache(request))


@router.get("/login")
def login_page(next: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """The sign-in form."""
    return page("ui/login.html", next=safe_next(next), error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    store: StoreDep,
    api_key: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the key; on success keep it in the session cookie and go on to ``next``."""
    key = api_key.strip()
    if store.authenticate(key) is None:
        return page(
            "ui/login.html",
            status_code=401,
            next=safe_next(next),
            error="That API key is not valid (unknown or revoked).",
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, key)
    return response


@router.post("/logout", response_model=None)
def logout(
    request: Request, store: StoreDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    """Forget the session cookie (CSRF-checked, so other sites cannot sign you out)."""
    session = session_of(request, store)
    if session is not None and not csrf_valid(session, csrf_token):
        return page("ui/error.html", status_code=403, session=session, message=_CSRF_MESSAGE)
    response = RedirectResponse("/ui/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("", response_model=None)
async def dashboard(
    request: Request,
    store: StoreDep,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
) -> Response:
    """The report of the signed-in workspace, filtered by segment and period."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    params = _filter_params(segment, period)
    try:
        filters = _parse_filters(segment, period)
        data = await run_in_threadpool(_collect, request, store, session, filters)
    except InvalidInputError as error:
        data = await run_in_threadpool(_collect, request, store, session, ReportFilters())
        return page(
            "ui/dashboard.html",
            status_code=422,
            session=session,
            r=data,
            b=data.bundle,
            params={},
            selected=_filter_params(None, None),
            theme_url=_theme_url({}),
            error=str(error),
        )
    return page(
        "ui/dashboard.html",
        session=session,
        r=data,
        b=data.bundle,
        params=params,
        selected=params,
        theme_url=_theme_url(params),
        error=None,
    )


def _theme_context(
    request: Request,
    store: Store,
    session: UiSession,
    theme_id: str,
    segment: list[str] | None,
    period: str | None,
) -> dict[str, Any]:
    detail = store.get_theme(session.workspace.id, theme_id)  # NotFoundError -> 404 page
    params = _filter_params(segment, period)
    filters = _parse_filters(segment, period)
    data = _collect(request, store, session, filters)
    feedback_filter = FeedbackFilter(
        segments=filters.segment,
        created_from=filters.start,
        created_to=filters.end,
        theme_id=theme_id,
    )
    page = store.list_feedback(session.workspace.id, feedback_filter, limit=THEME_ITEMS)
    items: list[FeedbackRecord] = list(page.items)
    series = next((s for s in data.bundle["trends"]["series"] if s["theme_id"] == theme_id), None)
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
        "theme_url": _theme_url(params),
    }


@router.get("/themes/{theme_id}", response_model=None)
async def theme_page(
    request: Request,
    theme_id: str,
    store: StoreDep,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    renamed: Annotated[bool, Query()] = False,
) -> Response:
    """One theme: labels, quotes, trend, its feedback and a rename form."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    try:
        context = await run_in_threadpool(
            _theme_context, request, store, session, theme_id, segment, period
        )
    except NotFoundError as error:
        return page("ui/error.html", status_code=404, session=session, message=str(error))
    except InvalidInputError as error:
        return page("ui/error.html", status_code=422, session=session, message=str(error))
    return page("ui/theme.html", **context, flash="Theme renamed." if renamed else None, error=None)


_CSRF_MESSAGE = "The form's security token is missing or wrong. Reload the page and try again."


@router.post("/themes/{theme_id}/rename", response_model=None)
async def rename_theme(
    request: Request,
    theme_id: str,
    store: StoreDep,
    label: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
    reset: Annotated[str | None, Form()] = None,
) -> Response:
    """Rename a theme (``reset`` goes back to the generated label), then show it again."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    if not csrf_valid(session, csrf_token):
        return page("ui/error.html", status_code=403, session=session, message=_CSRF_MESSAGE)

    def rename() -> None:  # a recorded taxonomy operation, as PATCH /v1/themes/{id}
        actor = actor_of(store, session.key)
        service = TaxonomyService(store, session.workspace.id, actor=actor)
        service.rename(theme_id, None if reset else label)

    try:
        await run_in_threadpool(rename)
    except NotFoundError as error:
        return page("ui/error.html", status_code=404, session=session, message=str(error))
    except ConflictError as error:
        return page("ui/error.html", status_code=409, session=session, message=str(error))
    except InvalidInputError as error:
        context = await run_in_threadpool(
            _theme_context, request, store, session, theme_id, None, None
        )
        return page("ui/theme.html", status_code=422, **context, flash=None, error=str(error))
    return RedirectResponse(f"/ui/themes/{theme_id}?renamed=true", status_code=303)
