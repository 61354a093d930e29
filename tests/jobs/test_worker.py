"""The worker's state machine with the real mine runner (on inputs that end it early)."""

from __future__ import annotations

import time

from sqlalchemy import update

from feedback_nlp.jobs import JobContext, JobWorker
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.store.schema import jobs
from tests.store.factory import item


def _worker(store: Store) -> JobWorker:
    return JobWorker(store, Settings(), poll_s=0.05, heartbeat_s=0.05)


def test_worker_fails_a_job_with_a_reason(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "review"})  # no item matches
    done = _worker(store).run_once()
    assert done is not None
    assert done.id == job.id
    assert done.state == "failed"
    assert "No feedback matches" in (done.error or "")
    assert done.finished_at is not None
    bad = store.create_job(ws, "mine", {"colour": "red"})
    assert _worker(store).run_once().error.startswith("[E100] A mine job has no parameter")  # type: ignore[union-attr]
    assert store.get_job(ws, bad.id).state == "failed"


def test_worker_cancels_between_stages(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a")])
    job = store.create_job(ws, "mine", {})
    claimed = store.claim_next_job()
    assert claimed is not None
    store.cancel_job(ws, job.id)  # asked while running: honoured at the next stage
    worker = _worker(store)
    worker._run(claimed)
    cancelled = store.get_job(ws, job.id)
    assert cancelled.state == "cancelled"
    assert cancelled.stage == "load"


def test_worker_stopping_releases_the_running_job(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a")])
    job = store.create_job(ws, "mine", {})
    claimed = store.claim_next_job()
    assert claimed is not None
    worker = _worker(store)
    worker._stop.set()
    worker._run(claimed)
    released = store.get_job(ws, job.id)
    assert (released.state, released.attempts) == ("queued", 0)


def test_worker_start_recovers_a_crashed_job_and_runs_it(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "ticket"})
    assert store.claim_next_job() is not None  # a worker took it ... and the process died
    with store.engine.begin() as connection:
        connection.execute(update(jobs).where(jobs.c.id == job.id).values(stage="embed"))
    worker = _worker(store)
    worker.start()
    try:
        assert worker.recovered == [job.id]
        deadline = time.monotonic() + 20
        while store.get_job(ws, job.id).state in {"queued", "running"}:
            assert time.monotonic() < deadline, "the recovered job was not run"
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        assert worker.stop(timeout=5.0) is True
        assert time.monotonic() - started < 5.0
    finished = store.get_job(ws, job.id)
    assert finished.attempts == 2  # claimed again after the crash
    assert finished.state == "failed"
    assert "No feedback matches" in (finished.error or "")


def test_worker_context_records_progress(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.create_job(ws, "mine", {})
    job = store.claim_next_job()
    assert job is not None
    context = JobContext(store, job)
    context.stage(0.25, "split")
    now = store.get_job(ws, job.id)
    assert (now.progress, now.stage) == (0.25, "split")
    assert context.stages == [("split", 0.25)]
