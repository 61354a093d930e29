"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

One handler renders every :class:`~feedback_nlp.errors.FeedbackNLPError` (it carries ``code``,
``status`` and ``title``); three more cover request validation (422), Starlette's HTTP errors
(404 for unknown paths, 405, ...) and anything unexpected (500 with a log id, never a traceback).

The OpenAPI document describes these answers too: routers declare the statuses they can give
with :func:`problem_responses` (``application/problem+json``, schema ``Problem``), and
:func:`add_problem_schema` puts the ``Problem`` schema into the document's components.
A validation error lists the offending fields by location, type and reason only: the value that
came in is never echoed. Other details may quote what came in (an unknown id, a bad cursor), with
every PII span redacted, so personal data sent by mistake does not travel back.
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
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from feedback_nlp.error_codes import (
    CONTENT_TOO_LARGE,
    FORBIDDEN,
    INTERNAL,
    INVALID_REQUEST,
    RATE_LIMITED,
    TOO_MANY_ITEMS,
    UNAUTHORIZED,
    ErrorCode,
)
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.text.pii import redact

PROBLEM_JSON = "application/problem+json"
_NOT_JSON = "The request body is not valid JSON. Send one JSON document."
TYPE_PREFIX = "urn:feedback-nlp:problem:"
"""Problem ``type`` URIs are ``urn:feedback-nlp:problem:<code>`` (stable, never dereferenced)."""

logger = logging.getLogger("feedback_nlp.api")


class UnauthorizedError(FeedbackNLPError, PermissionError):
    """The request has no API key, or one that does not authenticate."""

    error = UNAUTHORIZED
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="feedback_nlp"'}


class ForbiddenError(FeedbackNLPError, PermissionError):
    """The key authenticates but may not use this route (an admin route, a member key)."""

    error = FORBIDDEN


class ContentTooLargeError(FeedbackNLPError, ValueError):
    """The request body is larger than ``settings.api.max_body_bytes``."""

    error = CONTENT_TOO_LARGE


class TooManyItemsError(FeedbackNLPError, ValueError):
    """A batch holds more items than ``settings.api.max_batch_items``."""

    error = TOO_MANY_ITEMS


class RateLimitedError(FeedbackNLPError, RuntimeError):
    """A key (or, without one, a client address) sent more requests than its rate limit."""

    error = RATE_LIMITED


class ProblemFieldPublic(BaseModel):
    """One invalid field of a 422 answer (its value is never echoed)."""

    loc: list[str | int] = Field(description="Where: 'body', 'query', 'path' then the field.")
    type: str = Field(description="Pydantic's error type, e.g. 'int_parsing'.")
    reason: str = Field(description="What is wrong with it.")


class ProblemPublic(BaseModel):
    """An RFC 9457 problem: the body of every error answer (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="urn:feedback-nlp:problem:<code>, or about:blank.")
    title: str = Field(description="Short summary; the same for every occurrence.")
    status: int = Field(description="The HTTP status.")
    detail: str = Field(description="What went wrong this time, and the fix.")
    instance: str | None = Field(description="The path of the request.")
    code: str | None = Field(
        default=None, description=f"feedback_nlp error code ({INVALID_REQUEST.code}...)."
    )
    errors: list[ProblemFieldPublic] | None = Field(
        default=None, description="422 only: the invalid fields."
    )
    log_id: str | None = Field(default=None, description="5xx only: quote it when reporting.")


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
_PROBLEM_DESCRIPTIONS = {
    401: "No API key, or one that is unknown or revoked (with `WWW-Authenticate`).",
    404: "No such id in the workspace of the key.",
    413: "The body is over FEEDBACK_NLP_API__MAX_BODY_BYTES, or the batch over "
    "FEEDBACK_NLP_API__MAX_BATCH_ITEMS items.",
    422: "A parameter or the body is not valid; `errors` lists the fields.",
    429: "Over the rate limit; retry after `Retry-After` seconds.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route or router that can answer ``statuses`` with a problem.

    Args:
        *statuses: HTTP statuses (401, 404, 413, 422, 429).

    Returns:
        A ``responses`` mapping for FastAPI: each status as ``application/problem+json`` with
        the ``Problem`` schema (see :func:`add_problem_schema`).
    """
    content = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
    return {
        status: {
            "description": _PROBLEM_DESCRIPTIONS.get(status, _phrase(status)),
            "content": content,
        }
        for status in statuses
    }


def add_problem_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the ``Problem`` schema (and the schemas it uses) to an OpenAPI document, in place.

    Returns:
        The same document.
    """
    schema = ProblemPublic.model_json_schema(ref_template="#/components/schemas/{model}")
    nested: dict[str, Any] = schema.pop("$defs", {})
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(nested)
    schemas["Problem"] = schema
    return openapi


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
        request: the request that failed; its path (PII redacted) becomes ``instance``.
        status: the HTTP status.
        title: a short summary that does not change between occurrences.
        detail: what went wrong this time, and the fix.
        code: the feedback_nlp error code (see :mod:`feedback_nlp.error_codes`); ``type`` is
            derived from it.
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
        "instance": redact(request.url.path).text if request is not None else None,
    }
    if code:
        body["code"] = code
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def catalogued_problem(
    request: Request | None,
    error: ErrorCode,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The problem+json answer of a catalogue entry: its status, title and code, and ``detail``.

    Args:
        request: the request that failed (see :func:`problem_response`).
        error: the entry of :mod:`feedback_nlp.error_codes`; it must have a status.
        detail: what went wrong this time, and the fix.
        headers: extra response headers.
        extensions: extra members (``errors``, ``log_id``).

    Returns:
        The response, with media type ``application/problem+json``.
    """
    if error.status is None:
        raise ValueError(f"{error.code} is a per-row error, not an answer")
    return problem_response(
        request,
        status=error.status,
        title=error.title,
        detail=detail,
        code=error.code,
        headers=headers,
        extensions=extensions,
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
        detail=redact(exc.detail).text,  # a message may quote an id or a value that came in
        code=exc.code,
        headers=getattr(exc, "headers", None),
        extensions=extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_validation_entry(error) for error in exc.errors()]
    json_broken = any(entry["type"] == "json_invalid" for entry in errors)
    detail = (
        _NOT_JSON
        if json_broken
        else f"The request has {len(errors)} invalid field(s); see 'errors'."
    )
    return catalogued_problem(request, INVALID_REQUEST, detail, extensions={"errors": errors})


_BODY_PARSE_FAILED = "There was an error parsing the body"  # FastAPI: not UTF-8, not decodable


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_PARSE_FAILED:
        # JSON that is not UTF-8: the same answer as any other body that is not JSON.
        entry = {"loc": ["body"], "type": "json_invalid", "reason": "The body is not UTF-8 JSON"}
        return catalogued_problem(
            request, INVALID_REQUEST, _NOT_JSON, extensions={"errors": [entry]}
        )
    phrase = _phrase(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if exc.status_code == CONTENT_TOO_LARGE.status:
        return catalogued_problem(request, CONTENT_TOO_LARGE, detail, headers=exc.headers)
    return problem_response(
        request, status=exc.status_code, title=phrase, detail=detail, headers=exc.headers
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log_id = _log(request, exc)
    detail = f"The server failed to handle the request. Quote log id {log_id} when reporting it."
    return catalogued_problem(request, INTERNAL, detail, extensions={"log_id": log_id})


def _log(request: Request, exc: Exception) -> str:
    """Log ``exc`` with its traceback under a new id; return the id."""
    log_id = uuid.uuid4().hex[:16]
    logger.error(
        "request failed log_id=%s %s %s", log_id, request.method, request.url.path, exc_info=exc
    )
    return log_id


def _validation_entry(error: Mapping[str, Any]) -> dict[str, Any]:
    """Location, type and reason of one error; never its ``input`` (PII in a key is redacted)."""
    loc: Sequence[Any] = error.get("loc", ())
    return {
        "loc": [part if isinstance(part, int) else redact(str(part)).text for part in loc],
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
