"""``/ui``: the web dashboard, server-rendered from the same templates as the HTML report.

Pages: ``/ui/login`` (an API key in, an ``HttpOnly`` cookie out; see :mod:`api.ui.auth`),
``/ui`` (the report of the workspace, filtered by segment and period through query parameters,
with the themes to select for a merge) and ``/ui/themes/{id}`` (one theme: labels, quotes, trend,
its feedback and its edit forms). The forms that edit the themes post to
:mod:`api.ui.taxonomy_forms`. Every page is sent with a Content-Security-Policy that allows no
script and no request to another origin, on top of autoescaped templates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep
from api.ui.auth import (
    CSRF_REFUSED,
    clear_session_cookie,
    csrf_valid,
    login_redirect,
    safe_next,
    session_of,
    set_session_cookie,
)
from api.ui.edits import FlashDep, edit_state
from api.ui.page_data import (
    PeriodQuery,
    SegmentQuery,
    collect,
    filter_params,
    parse_filters,
    theme_context,
    theme_url,
)
from api.ui.pages import page
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.report.filters import ReportFilters

router = APIRouter(prefix="/ui", include_in_schema=False)


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
        return page("ui/error.html", status_code=403, session=session, message=CSRF_REFUSED)
    response = RedirectResponse("/ui/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("", response_model=None)
async def dashboard(
    request: Request,
    store: StoreDep,
    flash: FlashDep,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
) -> Response:
    """The report of the signed-in workspace, filtered by segment and period."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    params = filter_params(segment, period)
    edit = await run_in_threadpool(edit_state, store, session.workspace.id, flash)
    try:
        filters = parse_filters(segment, period)
        data = await run_in_threadpool(collect, request, store, session, filters)
    except InvalidInputError as error:
        data = await run_in_threadpool(collect, request, store, session, ReportFilters())
        return page(
            "ui/dashboard.html",
            status_code=422,
            session=session,
            r=data,
            b=data.bundle,
            params={},
            selected=filter_params(None, None),
            theme_url=theme_url({}),
            edit=edit,
            error=str(error),
        )
    return page(
        "ui/dashboard.html",
        session=session,
        r=data,
        b=data.bundle,
        params=params,
        selected=params,
        theme_url=theme_url(params),
        edit=edit,
        error=None,
    )


@router.get("/themes/{theme_id}", response_model=None)
async def theme_page(
    request: Request,
    theme_id: str,
    store: StoreDep,
    flash: FlashDep,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    renamed: Annotated[bool, Query()] = False,
) -> Response:
    """One theme: labels, quotes, trend, its feedback and its edit forms."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    try:
        context = await run_in_threadpool(
            theme_context, request, store, session, theme_id, segment, period, flash
        )
    except NotFoundError as error:
        return page("ui/error.html", status_code=404, session=session, message=str(error))
    except InvalidInputError as error:
        return page("ui/error.html", status_code=422, session=session, message=str(error))
    return page("ui/theme.html", **context, flash="Theme renamed." if renamed else None, error=None)
