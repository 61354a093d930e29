"""The worker's state machine with the real mine runner (on inputs that end it early)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import insert, update

from feedback_nlp.jobs import JobContext, JobWorker
from feedback_nlp.jobs.liveness import process_start, this_worker
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
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


def test_worker_leaves_the_job_of_a_live_process_and_recovers_it_once_that_is_gone(
    store: Store,
) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "ticket"})
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    try:
        start = process_start(other.pid)
        # Another process (say `feedback-nlp mine`) claimed the job and is running it.
        claimed = store.claim_next_job(f"{socket.gethostname()}:{other.pid}:{start}")
        assert claimed is not None
        assert claimed.worker == f"{socket.gethostname()}:{other.pid}:{start}"
        worker = _worker(store)
        assert worker.reap() == []  # a server starting now leaves it alone
        assert store.get_job(ws, job.id).state == "running"
    finally:
        other.communicate(b"")  # ... then that process dies
    assert worker.reap() == [job.id]
    assert store.get_job(ws, job.id).state == "queued"


def test_worker_claims_jobs_as_its_own_process(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "ticket"})  # no item matches: fails fast
    worker = _worker(store)
    assert worker.worker_id == this_worker()
    assert worker.run_once() is not None
    assert store.get_job(ws, job.id).worker == this_worker()


def test_worker_thread_reaps_dead_workers_jobs_while_it_runs(store: Store) -> None:
    ws = store.create_workspace("acme").id
    worker = JobWorker(store, Settings(), poll_s=0.05, heartbeat_s=0.05, reap_s=0.1)
    worker.start()
    try:
        assert worker.recovered == []
        # A job that a process on another host claimed and then died with (no heartbeat since),
        # written as it stands, so this worker never saw it queued.
        now = utcnow()
        job_id = "00000000-0000-0000-0000-00000000dead"
        with store.engine.begin() as connection:
            connection.execute(
                insert(jobs).values(
                    id=job_id, workspace_id=ws, kind="mine", params={"source": "ticket"},
                    state="running", progress=0.3, stage="embed", error=None, attempts=1,
                    cancel_requested=False, result=None, created_at=now, started_at=now,
                    finished_at=None, heartbeat_at=now - timedelta(hours=1),
                    worker="gone-host.example:1:1",
                )
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while (state := store.get_job(ws, job_id)).state in {"queued", "running"}:
            assert time.monotonic() < deadline, "the dead worker's job was not recovered and rerun"
            time.sleep(0.05)
    finally:
        assert worker.stop(timeout=5.0) is True
    assert (state.state, state.attempts, state.worker) == ("failed", 2, this_worker())
