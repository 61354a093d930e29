"""POST one webhook body and report what came back: a status code, or why none did.

Standard library only (:mod:`http.client`). Redirects are not followed (a 3xx is an answer that
is not 2xx: retried, never turned into a GET), and at most 64 KiB of the answer is read.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["PostAnswer", "post"]

_MAX_ANSWER_BYTES = 64 * 1024
_MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class PostAnswer:
    """The outcome of one POST.

    Attributes:
        status_code: The receiver's HTTP status, ``None`` when it did not answer.
        error: Why it failed (connection refused, a timeout, a non-2xx status), else ``None``.
        duration_ms: How long it took.
    """

    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout_s: float) -> PostAnswer:
    """POST ``body`` to ``url`` (http or https) with ``headers``; network errors are answers."""
    started = time.perf_counter()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.hostname or "", parts.port, timeout=timeout_s)
    try:
        connection.request("POST", path, body=body, headers={**headers, "Connection": "close"})
        answer = connection.getresponse()
        answer.read(_MAX_ANSWER_BYTES)
        status: int | None = answer.status
        error = None if 200 <= answer.status < 300 else f"HTTP {answer.status} {answer.reason}"
    except (OSError, http.client.HTTPException) as failure:
        status = None
        error = f"{type(failure).__name__}: {failure}"[:_MAX_ERROR_CHARS]
    finally:
        connection.close()
    return PostAnswer(status, error, (time.perf_counter() - started) * 1000.0)
