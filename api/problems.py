"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

One handler renders every :class:`~feedback_nlp.errors.FeedbackNLPError` (it carries ``code``,
``status`` and ``title``); three more cover request validation (422), Starlette's HTTP errors
(404 for unknown paths, 405, ...) and anything unexpected (500 with a log id, never a traceback).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from feedback_nlp.errors import FeedbackNLPError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:feedback-nlp:problem:"
"""Problem ``type`` URIs are ``urn:feedback-nlp:problem:<code>`` (stable, never dereferenced)."""

logger = logging.getLogger("feedback_nlp.api")


class UnauthorizedError(FeedbackNLPError, PermissionError):
    """The request has no API key, or one that does not authenticate."""

    code = "E450"
    status = 401
    title = "Unauthorized"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="feedback_nlp"'}


class ContentTooLargeError(FeedbackNLPError, ValueError):
    """The request body is larger than ``settings.api.max_body_bytes``."""

    code = "E110"
    status = 413
    title = "Content too large"


class TooManyItemsError(FeedbackNLPError, ValueError):
    """A batch holds more items than ``settings.api.max_batch_items``."""

    code = "E111"
    status = 413
    title = "Too many items"


def problem_response(
    request: Request | None,
    *,
    status: int,
    title: str,
    detail: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Build one problem+json response.

    Args:
        request: the request that failed; its path becomes ``instance``.
        status: the HTTP status.
        title: a short summary that does not change between occurrences.
        detail: what went wrong this time, and the fix.
        code: the feedback_nlp error code (``E100``); ``type`` is derived from it.
        headers: extra response headers (``WWW-Authenticate`` for 401).
        extensions: extra members (``errors``, ``log_id``).

    Returns:
        The response, with media type ``application/problem+json``.
    """
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
    }
    if code:
        body["code"] = code
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


async def _feedback_nlp_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeedbackNLPError)
    extensions: dict[str, Any] = {}
    if exc.status >= 500:  # a server-side failure: logged, with an id to quote
        extensions["log_id"] = _log(request, exc)
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        headers=getattr(exc, "headers", None),
        extensions=extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_validation_entry(error) for error in exc.errors()]
    json_broken = any(entry["type"] == "json_invalid" for entry in errors)
    detail = (
        "The request body is not valid JSON. Send one JSON document."
        if json_broken
        else f"The request has {len(errors)} invalid field(s); see 'errors'."
    )
    return problem_response(
        request,
        status=422,
        title="Invalid request",
        detail=detail,
        code="E101",
        extensions={"errors": errors},
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = _phrase(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    code = ContentTooLargeError.code if exc.status_code == 413 else None
    title = ContentTooLargeError.title if exc.status_code == 413 else phrase
    return problem_response(
        request, status=exc.status_code, title=title, detail=detail, code=code, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log_id = _log(request, exc)
    return problem_response(
        request,
        status=500,
        title="Internal error",
        detail=f"The server failed to handle the request. Quote log id {log_id} when reporting it.",
        code="E000",
        extensions={"log_id": log_id},
    )


def _log(request: Request, exc: Exception) -> str:
    """Log ``exc`` with its traceback under a new id; return the id."""
    log_id = uuid.uuid4().hex[:16]
    logger.error(
        "request failed log_id=%s %s %s", log_id, request.method, request.url.path, exc_info=exc
    )
    return log_id


def _validation_entry(error: Mapping[str, Any]) -> dict[str, Any]:
    loc: Sequence[Any] = error.get("loc", ())
    return {
        "loc": [part if isinstance(part, int | str) else str(part) for part in loc],
        "type": str(error.get("type", "")),
        "reason": str(error.get("msg", "")),
    }


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem+json exception handlers on ``app``."""
    app.add_exception_handler(FeedbackNLPError, _feedback_nlp_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
