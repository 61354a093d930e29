"""Helpers of the API tests: settings for a temporary store, problem checks; servers and keys.

The servers, keys and HTTP helpers are the shared harness of :mod:`feedback_nlp.testing.servers`
(re-exported here for the tests that import them from this module).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from feedback_nlp.settings import ApiSettings, DatabaseSettings, ModelSettings, Settings
from feedback_nlp.testing.servers import (
    CLI,
    REPO_ROOT,
    Server,
    bearer,
    cli_create_key,
    fetch_all_ids,
    free_port,
    postgres_database,
    running_server,
    server_env,
    start_server,
    wait_for_job,
)

__all__ = [
    "CLI",
    "FAST_EMBEDDER",
    "REPO_ROOT",
    "HttpAnswer",
    "Server",
    "assert_problem",
    "bearer",
    "cli_create_key",
    "fetch_all_ids",
    "free_port",
    "make_settings",
    "postgres_database",
    "running_server",
    "server_env",
    "start_server",
    "unique_name",
    "wait_for_job",
]

FAST_EMBEDDER = "minilm-l6-en"


def make_settings(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    worker: bool = False,
    embedder: str = FAST_EMBEDDER,
    **api: Any,
) -> Settings:
    """Settings of an app over a fresh SQLite file in ``tmp_path`` (or ``database_url``)."""
    url = database_url or f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    return Settings(
        var_dir=tmp_path,
        database=DatabaseSettings(url=url),
        models=ModelSettings(embedder=embedder),
        api=ApiSettings(embedded_worker=worker, **api),
    )


def unique_name(prefix: str = "ws") -> str:
    """A workspace name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class HttpAnswer(Protocol):
    """A response of httpx or of Starlette's TestClient (httpx2): what the checks read."""

    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def assert_problem(response: HttpAnswer, status: int) -> dict[str, Any]:
    """Check an RFC 9457 problem response of ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail", "instance"):
        assert isinstance(body[member], str), member
        assert body[member], member
    return body
