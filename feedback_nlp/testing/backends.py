"""What the reliability checks run against: a fresh database, its settings, direct DB reads.

Used by the CI tests in ``tests/reliability/`` and by the long runs in ``bench/``
(``chaos_kill.py``, ``concurrency_ingest.py``, ``bench_load.py``), so both exercise the same code.
The server over the database is a ``feedback-nlp serve`` subprocess
(:func:`~feedback_nlp.testing.servers.start_server`) or, in the tests, uvicorn in a thread
(``tests/reliability/backends.py``). Every check reads the database directly, not through the
API it is checking.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from feedback_nlp.settings import ApiSettings, DatabaseSettings, ModelSettings, Settings
from feedback_nlp.store import open_store
from feedback_nlp.store.engine import make_engine
from feedback_nlp.store.schema import feedback_items, feedback_segments, jobs, workspaces
from feedback_nlp.testing.servers import postgres_database, server_env

__all__ = [
    "BACKENDS",
    "EMBEDDER",
    "POSTGRES_URL_ENV",
    "DbProbe",
    "JobRow",
    "StoredItem",
    "create_key",
    "fresh_database",
    "percentile",
    "reliability_env",
    "reliability_settings",
]

EMBEDDER = "e5-small-static"
"""The fast static embedder: mining jobs of a few thousand items take seconds."""

BACKENDS = ("sqlite", "postgres")
POSTGRES_URL_ENV = "FEEDBACK_NLP_TEST_POSTGRES_URL"


def _api_overrides() -> dict[str, Any]:
    # The per-key rate limiter (0: off) would throttle the load these checks generate on purpose.
    # Set only where the setting exists: ApiSettings forbids unknown fields.
    return (
        {"rate_limit_per_minute": 0} if "rate_limit_per_minute" in ApiSettings.model_fields else {}
    )


def reliability_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``feedback-nlp`` subprocess: fast embedder, no rate limit."""
    limits = {f"FEEDBACK_NLP_API__{k.upper()}": str(v) for k, v in _api_overrides().items()}
    return server_env(
        database_url, var_dir, FEEDBACK_NLP_MODELS__EMBEDDER=EMBEDDER, **limits, **extra
    )


def reliability_settings(database_url: str, var_dir: Path, *, worker: bool = True) -> Settings:
    """Settings of an in-process server: the same choices as :func:`reliability_env`."""
    return Settings(
        var_dir=var_dir,
        database=DatabaseSettings(url=database_url),
        models=ModelSettings(embedder=EMBEDDER),
        api=ApiSettings(embedded_worker=worker, **_api_overrides()),
    )


@contextlib.contextmanager
def fresh_database(backend: str, work: Path) -> Iterator[str]:
    """The URL of a new, empty database: an SQLite file in ``work`` or a new PostgreSQL database.

    Raises:
        RuntimeError: If ``backend`` is ``postgres`` and no server URL is set.
    """
    if backend == "sqlite":
        yield f"sqlite:///{work / 'reliability.sqlite3'}"
        return
    if backend != "postgres":
        raise ValueError(f"backend must be one of {BACKENDS}. Got {backend!r}.")
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        raise RuntimeError(f"set {POSTGRES_URL_ENV} to a PostgreSQL server URL")
    with postgres_database(base) as url:
        yield url


def create_key(database_url: str, workspace: str) -> str:
    """Migrate the database and create an API key of ``workspace`` (created when new)."""
    store = open_store(database_url)
    try:
        return store.create_api_key(workspace)
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item as the database holds it."""

    text: str
    segments: Mapping[str, str]
    copies: int


@dataclass(frozen=True, slots=True)
class JobRow:
    """One job as the database holds it."""

    id: str
    state: str
    stage: str | None
    progress: float
    attempts: int
    error: str | None


class DbProbe:
    """Direct reads of the database the server writes (its own engine, read-only use)."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)

    def close(self) -> None:
        """Dispose of the engine."""
        self.engine.dispose()

    def workspace_id(self, name: str) -> int:
        """The id of workspace ``name``."""
        with self.engine.connect() as connection:
            found = connection.execute(
                select(workspaces.c.id).where(workspaces.c.name == name)
            ).scalar_one()
        return int(found)

    def items(self, workspace: str) -> dict[str, StoredItem]:
        """Every item of ``workspace`` by external id, with how many rows carry that id."""
        ws = self.workspace_id(workspace)
        with self.engine.connect() as connection:
            copies: dict[str, int] = dict(
                connection.execute(
                    select(feedback_items.c.external_id, func.count())
                    .where(feedback_items.c.workspace_id == ws)
                    .group_by(feedback_items.c.external_id)
                ).all()
            )
            rows = connection.execute(
                select(
                    feedback_items.c.external_id, feedback_items.c.text, feedback_items.c.segments
                ).where(feedback_items.c.workspace_id == ws)
            ).all()
        return {
            row.external_id: StoredItem(
                text=row.text, segments=dict(row.segments), copies=int(copies[row.external_id])
            )
            for row in rows
        }

    def segment_rows(self, workspace: str) -> int:
        """Rows of the segment index of ``workspace``."""
        ws = self.workspace_id(workspace)
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count())
                .select_from(feedback_segments)
                .where(feedback_segments.c.workspace_id == ws)
            ).scalar_one()
        return int(count)

    def jobs(self) -> dict[str, JobRow]:
        """Every job of the database by id."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(jobs)).all()
        return {
            row.id: JobRow(
                id=row.id,
                state=row.state,
                stage=row.stage,
                progress=float(row.progress),
                attempts=int(row.attempts),
                error=row.error,
            )
            for row in rows
        }


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by the nearest-rank method (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]
