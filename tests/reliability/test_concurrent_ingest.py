"""Eight clients post overlapping ids to one real server at once: 0 lost, 0 duplicated.

The CI size (1,000 items per client) of ``bench/concurrency_ingest.py`` (10,000 per client), on
SQLite and PostgreSQL; the checks live in :mod:`feedback_nlp.testing.concurrency`. The server is
uvicorn in a thread of the test process (real HTTP on 127.0.0.1, the embedded worker off); the
bench script runs ``feedback-nlp serve`` in a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedback_nlp.testing.concurrency import ConcurrencyConfig, run_concurrent_ingest
from tests.reliability.backends import (
    POSTGRES_URL_ENV,
    create_key,
    fresh_database,
    inprocess_server,
    reliability_settings,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_concurrent_ingest_of_overlapping_ids_loses_and_duplicates_nothing(
    backend: str, tmp_path: Path
) -> None:
    if backend == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (a PostgreSQL server URL)")
    config = ConcurrencyConfig(clients=8, per_client=1_000, batch=100, seed=3)
    with fresh_database(backend, tmp_path) as url:
        key = create_key(url, "concurrency")
        settings = reliability_settings(url, tmp_path / "var", worker=False)
        with inprocess_server(settings) as server:
            report = run_concurrent_ingest(server, key, url, "concurrency", config)
    assert report.posted == 8 * 1_000 + report.expected["unchanged"]
    assert report.counts == {
        "created": 500 + 8 * 500,
        "updated": 7 * 500,
        "unchanged": report.expected["unchanged"],
        "rejected": 0,
    }
    assert report.expected["unchanged"] > 0
