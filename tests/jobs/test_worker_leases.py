"""A worker whose job was taken over (its lease ran out) notices and writes nothing more."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, update

from feedback_nlp.domain import JobRecord
from feedback_nlp.jobs import JobContext, JobWorker
from feedback_nlp.settings import JobSettings, Settings
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.schema import jobs, mining_runs


def _end_lease_and_take_over(store: Store, job_id: str, worker: str) -> JobRecord:
    """Another worker takes the job over once its lease has run out."""
    deadline = time.monotonic() + 10
    while True:
        with store.engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(lease_expires_at=utcnow() - timedelta(minutes=5))
            )
        taken = store.claim_next_job(worker, lease_s=60)
        if taken is not None:
            assert taken.id == job_id
            return taken
        # the holder's heartbeat renewed the lease in between: end it again
        assert time.monotonic() < deadline, "the job was never taken over"


def test_a_worker_that_lost_its_claim_records_nothing(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "ticket"})  # no item matches: fails at load
    first = store.claim_next_job("host-a:1:1", lease_s=60)
    assert first is not None
    second = _end_lease_and_take_over(store, job.id, "host-b:2:2")
    stale = JobWorker(store, Settings(), poll_s=0.05, heartbeat_s=0.05)
    stale._run(first)  # the real mine runner: its first progress write is refused
    now = store.get_job(ws, job.id)
    assert (now.state, now.attempts, now.worker, now.stage, now.error) == (
        "running", 2, "host-b:2:2", None, None,
    )  # fmt: skip
    holder = JobWorker(store, Settings(), poll_s=0.05, heartbeat_s=0.05)
    holder._run(second)
    done = store.get_job(ws, job.id)
    assert (done.state, done.attempts) == ("failed", 2)
    assert "No feedback matches" in (done.error or "")
    with store.engine.connect() as connection:
        runs = connection.execute(select(func.count()).select_from(mining_runs)).scalar_one()
    assert runs == 0


def test_the_heartbeat_notices_a_takeover_and_the_job_stops(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    worker = JobWorker(store, Settings(), poll_s=0.05, heartbeat_s=0.05, lease_s=60)
    seen: dict[str, Any] = {}
    started = threading.Event()

    def slow(_job: JobRecord, context: JobContext) -> dict[str, Any]:
        # A long stage that never reports progress: only the heartbeat can learn of the takeover.
        started.set()
        seen["lost"] = context.lost.wait(20)
        context.stage(0.5, "mine")  # refused: raises JobLost
        seen["went on"] = True
        return {}

    worker.runners["mine"] = slow
    result: list[JobRecord | None] = []
    thread = threading.Thread(target=lambda: result.append(worker.run_once()))
    thread.start()
    assert started.wait(20)
    taken = _end_lease_and_take_over(store, job.id, "host-b:2:2")
    thread.join(30)
    assert not thread.is_alive()
    assert seen == {"lost": True}
    (after,) = result
    assert after is not None
    assert (after.state, after.attempts, after.worker) == ("running", 2, "host-b:2:2")
    assert after.stage is None  # the lost worker's progress write did not land
    assert store.finish_job(job.id, "succeeded", result={}, attempt=taken.attempts) is True


def test_worker_timings_come_from_the_jobs_settings(store: Store) -> None:
    settings = Settings(jobs=JobSettings(lease_s=9.0, heartbeat_s=2.0, reap_s=7.0))
    worker = JobWorker(store, settings)
    assert (worker.lease_s, worker.heartbeat_s, worker.reap_s) == (9.0, 2.0, 7.0)
    ws = store.create_workspace("acme").id
    store.create_job(ws, "mine", {"source": "ticket"})
    before = utcnow()
    ran = worker.run_once()
    assert ran is not None
    assert ran.state == "failed"  # finished: the lease is gone
    assert ran.lease_expires_at is None
    assert ran.started_at is not None
    assert ran.started_at >= before - timedelta(seconds=1)
    assert JobSettings().model_dump() == {"lease_s": 120.0, "heartbeat_s": 10.0, "reap_s": 30.0}


def test_a_heartbeat_longer_than_half_the_lease_is_refused() -> None:
    with pytest.raises(ValidationError, match="heartbeat_s must be at most half"):
        JobSettings(lease_s=10.0, heartbeat_s=6.0)
    assert JobSettings(lease_s=3.0, heartbeat_s=0.5).lease_s == 3.0
