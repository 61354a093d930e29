"""POST one webhook body and report what came back: a status code, or why none did.

Standard library only (:mod:`http.client`). Redirects are not followed (a 3xx is an answer that
is not 2xx: retried, never turned into a GET), and at most 64 KiB of the answer is read. The host
is resolved here, its addresses vetted by the target policy
(:class:`~feedback_nlp.alerts.targets.WebhookTargets`), and the connection made to those vetted
addresses only (the ``Host`` header, TLS name and certificate check still use the URL's host), so
a second resolution cannot swap in an internal address.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from feedback_nlp.alerts.targets import WebhookTargets, resolve

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
        refused: Whether the target policy refused the host (nothing was sent).
    """

    status_code: int | None
    error: str | None
    duration_ms: float
    refused: bool = False

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    targets: WebhookTargets,
) -> PostAnswer:
    """POST ``body`` to ``url`` (http or https) if ``targets`` allows its host's addresses now.

    Network errors and a refused target are answers, not exceptions.
    """
    started = time.perf_counter()
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as failure:
        return _failed(f"{type(failure).__name__}: {failure}", started)
    refusal = targets.vet(host, addresses)
    if refusal is not None:
        return _failed(f"Refused by the webhook allow-list: {refusal}", started, refused=True)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(host, port, timeout=timeout_s)
    # http.client connects through this attribute: pin it to the vetted addresses.
    setattr(connection, "_create_connection", _pinned(addresses))  # noqa: B010
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


def _failed(error: str, started: float, *, refused: bool = False) -> PostAnswer:
    elapsed = (time.perf_counter() - started) * 1000.0
    return PostAnswer(None, error[:_MAX_ERROR_CHARS], elapsed, refused=refused)


def _pinned(addresses: Sequence[str]) -> Callable[..., socket.socket]:
    """A ``socket.create_connection`` that connects to ``addresses`` only, in order."""

    def connect(
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        failure: OSError = OSError(f"no address to connect to for {address[0]!r}")
        for vetted in addresses:
            try:
                return socket.create_connection((vetted, address[1]), timeout, source_address)
            except OSError as error:
                failure = error
        raise failure

    return connect
