"""The in-process server of the reliability tests, and the harness they share with ``bench/``.

The databases, settings and probes live in :mod:`feedback_nlp.testing.backends`; this module adds
uvicorn in a thread of the test process (cheap to start once lingua's models are loaded; the CI
concurrency and load smoke tests use it), which the library may not import (it imports ``api``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from feedback_nlp.settings import Settings
from feedback_nlp.testing.backends import (
    BACKENDS,
    EMBEDDER,
    POSTGRES_URL_ENV,
    DbProbe,
    JobRow,
    StoredItem,
    create_key,
    fresh_database,
    percentile,
    reliability_env,
    reliability_settings,
)
from feedback_nlp.testing.servers import free_port

__all__ = [
    "BACKENDS",
    "EMBEDDER",
    "POSTGRES_URL_ENV",
    "DbProbe",
    "JobRow",
    "StoredItem",
    "create_key",
    "fresh_database",
    "inprocess_server",
    "percentile",
    "reliability_env",
    "reliability_settings",
]


@contextlib.contextmanager
def inprocess_server(settings: Settings, ready_timeout: float = 180.0) -> Iterator[str]:
    """Serve ``create_app(settings)`` with uvicorn in a thread on 127.0.0.1; yield its URL."""
    import uvicorn

    from api.main import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="reliability-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the in-process server stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the in-process server was not ready in {ready_timeout} s")
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=60)
