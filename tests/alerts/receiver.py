"""A real webhook receiver for the tests: ``http.server`` on 127.0.0.1 in a thread.

It records every request (path, headers, raw body) and answers each with the next status of
``answers`` (then 200). It can be started late on a port chosen before (a receiver that is down).

The server refuses loopback targets by default (:mod:`feedback_nlp.alerts.targets`), so every
test that delivers to a receiver allows 127.0.0.1 explicitly: :data:`LOOPBACK_ALLOWED` in its
settings, :func:`loopback_targets` for an :class:`~feedback_nlp.alerts.service.AlertService`.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from feedback_nlp.alerts.targets import WebhookTargets

LOOPBACK_ALLOWED = ["127.0.0.1"]
"""``alerts.webhook_allow`` of the tests whose receiver listens on 127.0.0.1."""


def loopback_targets() -> WebhookTargets:
    """The target policy with 127.0.0.1 allowed (everything else as by default)."""
    return WebhookTargets.from_entries(LOOPBACK_ALLOWED)


@dataclass
class Received:
    """One request that reached the receiver."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local receiver; ``url`` is valid before :meth:`start` (the port is reserved by number)."""

    answers: list[int] = field(default_factory=list)
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        """The hook's URL."""
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        """Listen (in a daemon thread) until :meth:`stop`."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are then refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
