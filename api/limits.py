"""Request body size limit: a pure ASGI middleware answering 413 problem+json.

A declared ``Content-Length`` above the limit is refused before the app runs. A body sent without
one (chunked) is counted while it streams; the read that crosses the limit raises an
``HTTPException(413)``, which FastAPI passes through to the problem handlers.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TYPE_PREFIX, ContentTooLargeError
from feedback_nlp.text.pii import redact


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``max_body_bytes`` with 413."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a counting ``receive``, or answer 413 at once."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, send, declared)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, detail=self._detail(f"more than {received}"))
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self, size: str) -> str:
        return (
            f"The request body has {size} bytes; the limit is {self.max_body_bytes} "
            "(FEEDBACK_NLP_API__MAX_BODY_BYTES). Send smaller batches."
        )

    async def _refuse(self, scope: Scope, send: Send, declared: int) -> None:
        body = {
            "type": f"{TYPE_PREFIX}{ContentTooLargeError.code}",
            "title": ContentTooLargeError.title,
            "status": 413,
            "detail": self._detail(str(declared)),
            "instance": redact(str(scope.get("path", ""))).text,
            "code": ContentTooLargeError.code,
        }
        payload = json.dumps(body).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode("ascii")),
                    (b"content-length", str(len(payload)).encode("ascii")),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
