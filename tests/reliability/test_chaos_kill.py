"""Random SIGKILLs of the real server (and of ``feedback-nlp mine``): nothing acknowledged is lost.

The CI variant of ``bench/chaos_kill.py`` (20 rounds per backend; README "Reliability checks"),
bounded by the server's restart time (13-20 s: imports and lingua's models): three rounds on
SQLite (clients posting; clients posting while a mine job runs; clients posting, then
``feedback-nlp mine`` killed mid-job) and the first two on PostgreSQL. Each round ends with a
SIGKILL of the server at a seeded random time and a restart; the end re-posts everything and
mines again. The checks live in :mod:`feedback_nlp.testing.chaos`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedback_nlp.testing.chaos import ChaosConfig, run_chaos
from tests.reliability.backends import POSTGRES_URL_ENV, fresh_database

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("backend", "rounds"),
    [("sqlite", 3), pytest.param("postgres", 2, marks=pytest.mark.postgres)],
)
def test_chaos_kill_loses_no_acknowledged_item_and_recovers_every_job(
    backend: str, rounds: int, tmp_path: Path
) -> None:
    if backend == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (a PostgreSQL server URL)")
    config = ChaosConfig(rounds=rounds, seed=8, max_batches=20, kill_after_s=(3.0, 6.0))
    with fresh_database(backend, tmp_path) as url:
        report = run_chaos(url, tmp_path, config)
    assert [r.mode for r in report.rounds] == ["ingest", "ingest+mine", "worker"][:rounds]
    assert sum(r.acked_batches for r in report.rounds) > 0
    assert report.rounds[1].job_submitted
    assert report.items_stored == report.items_acked > 0
    assert report.repost["rejected"] == 0
    assert report.final_themes > 0
    assert set(report.jobs) <= {"succeeded", "failed", "cancelled"}
