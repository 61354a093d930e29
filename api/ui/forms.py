"""The one shape of every dashboard form that changes data: session, CSRF, action, 303 or problem.

:func:`submit_form` checks that the browser is signed in (else a 303 to ``/ui/login``) and that
the form carries the session's CSRF token (else a 403 page), runs the action in a worker thread,
and answers 303 to the URL the action returns -- or, when the library refuses the action
(any :class:`~feedback_nlp.errors.FeedbackNLPError`), a readable page with the problem's status
(404, 409, 422) and a way back (:func:`problem_page`). An action may also answer with a page of
its own (a webhook secret is shown once, never put in a URL).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.ui.auth import CSRF_REFUSED, UiSession, csrf_valid, session_of
from api.ui.pages import page
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.store.store import Store

__all__ = ["FormAction", "problem_page", "signed_in", "submit_form"]

FormAction = Callable[[UiSession], "str | Response"]
"""Does what the form asks; returns the URL to show next (or a page of its own)."""

_HEADINGS = {
    403: "That form cannot be sent",
    404: "Not found",
    409: "The themes changed meanwhile",
    422: "That edit cannot be made as asked",
}


def problem_page(
    session: UiSession, status: int, message: str, back_url: str = "/ui", heading: str | None = None
) -> HTMLResponse:
    """A refused form: its status, what went wrong and how to go back."""
    return page(
        "ui/error.html",
        status_code=status,
        session=session,
        heading=heading or _HEADINGS.get(status, "The edit failed"),
        message=message,
        back_url=back_url,
    )


async def signed_in(request: Request, store: Store) -> UiSession | None:
    """The request's dashboard session (``None``: not signed in), read in a worker thread."""
    return await run_in_threadpool(session_of, request, store)


async def submit_form(
    request: Request,
    store: Store,
    csrf_token: str | None,
    back_url: str,
    action: FormAction,
    *,
    headings: dict[int, str] | None = None,
) -> Response:
    """Check the session and the token, run ``action``, and send the browser on (303).

    Args:
        request: The form's request.
        store: The store (sessions are checked against its keys).
        csrf_token: The token the form sent.
        back_url: Where a problem page links back to.
        action: What the form does.
        headings: Problem page headings by status, instead of the taxonomy edits' ones.
    """
    session = await signed_in(request, store)
    if session is None:
        return RedirectResponse("/ui/login", status_code=303)
    titles = headings or {}
    if not csrf_valid(session, csrf_token):
        return problem_page(session, 403, CSRF_REFUSED, back_url, titles.get(403))
    try:
        target = await run_in_threadpool(action, session)
    except FeedbackNLPError as error:
        return problem_page(session, error.status, str(error), back_url, titles.get(error.status))
    if isinstance(target, Response):
        return target
    return RedirectResponse(target, status_code=303)
