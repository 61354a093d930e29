from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.schema import jobs


def test_job_create_get_and_isolation(store: Store) -> None:
    acme = store.create_workspace("acme").id
    globex = store.create_workspace("globex").id
    job = store.create_job(acme, "mine", {"seed": 1})
    assert (job.state, job.progress, job.attempts, job.params) == ("queued", 0.0, 0, {"seed": 1})
    assert store.get_job(acme, job.id) == job
    with pytest.raises(NotFoundError):
        store.get_job(globex, job.id)
    with pytest.raises(NotFoundError):
        store.cancel_job(globex, job.id)
    assert [j.id for j in store.list_jobs(acme)] == [job.id]
    assert store.list_jobs(globex) == []


def test_job_unknown_kind_is_rejected(store: Store) -> None:
    ws = store.create_workspace("acme").id
    with pytest.raises(InvalidInputError, match="kind"):
        store.create_job(ws, "reindex", {})


def test_job_lifecycle_progress_and_finish(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    claimed = store.claim_next_job()
    assert claimed is not None
    assert (claimed.id, claimed.state, claimed.attempts) == (job.id, "running", 1)
    assert claimed.started_at is not None
    assert store.claim_next_job() is None
    store.update_job_progress(job.id, 0.4, "embed")
    mid = store.get_job(ws, job.id)
    assert (mid.progress, mid.stage) == (0.4, "embed")
    assert store.finish_job(job.id, "succeeded", result={"run_id": 1}) is True
    done = store.get_job(ws, job.id)
    assert (done.state, done.progress, done.result) == ("succeeded", 1.0, {"run_id": 1})
    assert store.finish_job(job.id, "failed", error="late") is False  # not running any more
    assert store.get_job(ws, job.id).state == "succeeded"
    assert store.count_jobs_by_state() == {
        "queued": 0,
        "running": 0,
        "succeeded": 1,
        "failed": 0,
        "cancelled": 0,
    }


def test_job_claim_takes_oldest_first(store: Store) -> None:
    ws = store.create_workspace("acme").id
    ids = [store.create_job(ws, "mine", {"n": n}).id for n in range(3)]
    claimed = [store.claim_next_job() for _ in range(3)]
    assert [job.id for job in claimed if job] == ids


def test_job_claim_is_atomic_across_threads(store: Store, database_url: str) -> None:
    ws = store.create_workspace("acme").id
    created = {store.create_job(ws, "mine", {"n": n}).id for n in range(40)}
    claimed: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker() -> None:
        own = open_store(database_url, migrate=False)
        barrier.wait()
        while (job := own.claim_next_job()) is not None:
            with lock:
                claimed.append(job.id)
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(created)  # every job claimed, none twice


def test_job_cancel_queued_is_immediate_running_is_requested(store: Store) -> None:
    ws = store.create_workspace("acme").id
    queued = store.create_job(ws, "mine", {})
    cancelled = store.cancel_job(ws, queued.id)
    assert cancelled.state == "cancelled"
    assert cancelled.finished_at is not None
    running = store.create_job(ws, "mine", {})
    assert store.claim_next_job() is not None
    assert store.is_cancel_requested(running.id) is False
    requested = store.cancel_job(ws, running.id)
    assert (requested.state, requested.cancel_requested) == ("running", True)
    assert store.is_cancel_requested(running.id) is True
    store.finish_job(running.id, "cancelled")
    assert store.cancel_job(ws, running.id).state == "cancelled"  # finished: unchanged


def test_recover_jobs_after_a_crash(store: Store) -> None:
    ws = store.create_workspace("acme").id
    retry = store.create_job(ws, "mine", {"n": 1})
    exhausted = store.create_job(ws, "mine", {"n": 2})
    stopping = store.create_job(ws, "mine", {"n": 3})
    untouched = store.create_job(ws, "mine", {"n": 4})
    for _ in range(3):
        store.claim_next_job()
    store.update_job_progress(exhausted.id, 0.5, "embed")
    store.cancel_job(ws, stopping.id)
    # The worker "crashed": three rows are left 'running'; one has used all its attempts.
    with store.engine.begin() as connection:
        connection.execute(update(jobs).where(jobs.c.id == exhausted.id).values(attempts=3))
    recovered = store.recover_jobs(max_attempts=3)
    assert sorted(recovered) == sorted([retry.id, exhausted.id, stopping.id])
    assert store.get_job(ws, retry.id).state == "queued"
    failed = store.get_job(ws, exhausted.id)
    assert failed.state == "failed"
    assert failed.error is not None
    assert failed.error.startswith("interrupted")
    assert "'embed'" in failed.error
    assert store.get_job(ws, stopping.id).state == "cancelled"
    assert store.get_job(ws, untouched.id).state == "queued"
    again = store.claim_next_job()
    assert again is not None
    assert (again.id, again.attempts) == (retry.id, 2)
    assert store.recover_jobs() == [retry.id]


def test_release_job_requeues_without_counting_the_attempt(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    store.claim_next_job()
    assert store.release_job(job.id) is True
    released = store.get_job(ws, job.id)
    assert (released.state, released.attempts, released.started_at) == ("queued", 0, None)


def test_recover_jobs_leaves_the_jobs_of_live_workers(store: Store) -> None:
    ws = store.create_workspace("acme").id
    live = store.create_job(ws, "mine", {"n": 1})
    dead = store.create_job(ws, "mine", {"n": 2})
    assert store.claim_next_job("host-a:10:100") is not None
    assert store.claim_next_job("host-a:11:100") is not None
    assert store.get_job(ws, live.id).worker == "host-a:10:100"
    recovered = store.recover_jobs(alive=lambda job: job.worker == "host-a:10:100")
    assert recovered == [dead.id]
    assert store.get_job(ws, live.id).state == "running"
    requeued = store.get_job(ws, dead.id)
    assert requeued.state == "queued"
    again = store.claim_next_job("host-b:12:100")
    assert again is not None
    assert (again.id, again.worker, again.attempts) == (dead.id, "host-b:12:100", 2)
    store.release_job(again.id)
    assert store.get_job(ws, dead.id).worker is None
