"""Leases on running jobs: any number of workers share a database and each job has one holder.

Every test runs on SQLite and PostgreSQL (``postgres``). Leases are ended by hand (an ``UPDATE``
of ``lease_expires_at``) except in the one test that waits for a short lease to run out.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from feedback_nlp.domain import FeedbackFilter, JobRecord, MinedUnit, MiningOutcome
from feedback_nlp.jobs import JobContext
from feedback_nlp.jobs.context import JobLost
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.schema import jobs, mining_runs
from feedback_nlp.themes.registry import ThemeRegistry
from tests.conftest import REPO_ROOT
from tests.store.factory import item


def _end_lease(store: Store, job_id: str) -> None:
    """The lease of the job's claim ran out (its worker stopped renewing it a while ago)."""
    with store.engine.begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(lease_expires_at=utcnow() - timedelta(minutes=5))
        )


def _runs_of(store: Store, job_id: str) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(mining_runs).where(mining_runs.c.job_id == job_id)
            ).scalar_one()
        )


def _outcome(store: Store, workspace_id: int, job_id: str) -> MiningOutcome:
    """A one-unit mining run made by hand (no model)."""
    (found,) = store.mining_items(workspace_id, FeedbackFilter())
    unit = MinedUnit(
        item_id=found.item_id, unit_index=0, start=0, end=len(found.text), text=found.text,
        lang="en", text_hash=found.text_hash, theme_id=None, sentiment_label=None,
        sentiment_score=None,
    )  # fmt: skip
    return MiningOutcome(
        job_id=job_id, embedder="hand", started_at=utcnow(), item_ids=[found.item_id],
        units=[unit], themes=[], registry=ThemeRegistry(), n_unassigned=1, config={},
    )  # fmt: skip


def test_a_claim_holds_a_lease_that_heartbeats_and_progress_renew(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    before = utcnow()
    claimed = store.claim_next_job("host-a:1:1", lease_s=60)
    assert claimed is not None
    assert claimed.lease_expires_at is not None
    lease = claimed.lease_expires_at - before
    assert timedelta(seconds=55) < lease < timedelta(seconds=65)
    assert store.claim_next_job("host-b:2:2") is None  # held: nobody else gets it
    assert store.heartbeat(job.id, attempt=1, lease_s=600) is True
    renewed = store.get_job(ws, job.id).lease_expires_at
    assert renewed is not None
    assert renewed - claimed.lease_expires_at > timedelta(seconds=500)
    assert store.update_job_progress(job.id, 0.3, "embed", attempt=1, lease_s=60) is True
    shortened = store.get_job(ws, job.id).lease_expires_at
    assert shortened is not None
    assert shortened < renewed
    assert store.finish_job(job.id, "succeeded", result={}, attempt=1) is True
    assert store.get_job(ws, job.id).lease_expires_at is None


def test_a_job_whose_lease_ran_out_is_taken_over_and_the_old_claim_refused(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    first = store.claim_next_job("host-a:1:1", lease_s=0.5)
    assert first is not None
    assert store.claim_next_job("host-b:2:2", lease_s=30) is None
    time.sleep(1.0)  # host-a hangs: no heartbeat
    second = store.claim_next_job("host-b:2:2", lease_s=30)
    assert second is not None
    assert (second.id, second.attempts, second.worker) == (job.id, 2, "host-b:2:2")
    assert (second.progress, second.stage) == (0.0, None)
    # host-a comes back: every write of its claim (attempt 1) is refused, and changes nothing.
    assert store.heartbeat(job.id, attempt=1, lease_s=30) is False
    assert store.update_job_progress(job.id, 0.9, "save", attempt=1, lease_s=30) is False
    assert store.finish_job(job.id, "succeeded", result={"run_id": 1}, attempt=1) is False
    assert store.release_job(job.id, attempt=1) is False
    now = store.get_job(ws, job.id)
    assert (now.state, now.attempts, now.worker, now.stage) == ("running", 2, "host-b:2:2", None)
    assert now.lease_expires_at == second.lease_expires_at
    assert store.update_job_progress(job.id, 0.5, "mine", attempt=2) is True
    assert store.finish_job(job.id, "succeeded", result={"run_id": 2}, attempt=2) is True
    done = store.get_job(ws, job.id)
    assert (done.state, done.result, done.attempts) == ("succeeded", {"run_id": 2}, 2)


def test_a_stale_workers_mining_run_is_not_saved(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a")])
    job = store.create_job(ws, "mine", {})
    first = store.claim_next_job("host-a:1:1")
    assert first is not None
    _end_lease(store, job.id)
    second = store.claim_next_job("host-b:2:2")
    assert second is not None
    assert second.attempts == 2
    stale = JobContext(store, first, lease_s=30)
    with pytest.raises(JobLost):
        store.save_mining(ws, _outcome(store, ws, job.id), guard=stale.hold)
    assert _runs_of(store, job.id) == 0  # rolled back whole
    with pytest.raises(JobLost):
        stale.stage(0.5, "embed")
    assert stale.lost.is_set()
    holder = JobContext(store, second, lease_s=30)
    holder.stage(0.95, "save")
    store.save_mining(ws, _outcome(store, ws, job.id), guard=holder.hold)
    assert _runs_of(store, job.id) == 1
    assert store.get_job(ws, job.id).stage == "save"


def test_a_lease_that_ran_out_ends_a_cancelled_or_exhausted_job_and_the_claim_goes_on(
    store: Store,
) -> None:
    ws = store.create_workspace("acme").id
    cancelled = store.create_job(ws, "mine", {"n": 1})
    exhausted = store.create_job(ws, "mine", {"n": 2})
    queued = store.create_job(ws, "mine", {"n": 3})
    assert store.claim_next_job("host-a:1:1") is not None
    assert store.claim_next_job("host-a:1:1") is not None
    store.cancel_job(ws, cancelled.id)
    store.update_job_progress(exhausted.id, 0.4, "embed")
    with store.engine.begin() as connection:
        connection.execute(update(jobs).where(jobs.c.id == exhausted.id).values(attempts=3))
    _end_lease(store, cancelled.id)
    _end_lease(store, exhausted.id)
    claimed = store.claim_next_job("host-b:2:2", max_attempts=3)
    assert claimed is not None
    assert claimed.id == queued.id  # the two older jobs were settled on the way
    assert store.get_job(ws, cancelled.id).state == "cancelled"
    failed = store.get_job(ws, exhausted.id)
    assert failed.state == "failed"
    assert failed.error is not None
    assert failed.error.startswith("interrupted: the worker's lease ended")
    assert "'embed'" in failed.error
    assert "attempt 3 of 3" in failed.error


def test_released_and_recovered_jobs_carry_no_lease(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {})
    first = store.claim_next_job("host-a:1:1")
    assert first is not None
    assert store.release_job(job.id, attempt=first.attempts) is True
    assert store.get_job(ws, job.id).lease_expires_at is None
    again = store.claim_next_job("host-a:1:1")
    assert again is not None
    assert again.attempts == 1  # the release did not count
    assert store.recover_jobs(alive=lambda _: False) == [job.id]
    recovered = store.get_job(ws, job.id)
    assert (recovered.state, recovered.lease_expires_at) == ("queued", None)
    assert store.claim_next_job("host-a:1:1") is not None  # attempt 2: the next claim's


def test_concurrent_claims_take_each_job_once_takeovers_included(
    store: Store, database_url: str
) -> None:
    ws = store.create_workspace("acme").id
    created = [store.create_job(ws, "mine", {"n": n}).id for n in range(40)]
    abandoned = set(created[:10])
    for _ in abandoned:
        assert store.claim_next_job("gone-host:1:1") is not None
    for job_id in abandoned:
        _end_lease(store, job_id)
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker(number: int) -> None:
        own = open_store(database_url, migrate=False)
        barrier.wait()
        while (job := own.claim_next_job(f"host-{number}:1:1", lease_s=60)) is not None:
            with lock:
                claimed.append((job.id, job.attempts))
        own.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job_id for job_id, _ in claimed) == sorted(created)  # each once
    assert {job_id for job_id, attempts in claimed if attempts == 2} == abandoned


_CLAIMER = """
import sys
from feedback_nlp.store import open_store
store = open_store(sys.argv[1], migrate=False)
store.count_jobs_by_state()  # connected
print("ready", flush=True)
sys.stdin.readline()  # every claimer starts at once
while (job := store.claim_next_job(sys.argv[2], lease_s=60)) is not None:
    print(job.id, job.attempts, flush=True)
store.close()
"""


def test_claims_from_separate_processes_take_each_job_once(store: Store, database_url: str) -> None:
    ws = store.create_workspace("acme").id
    created = [store.create_job(ws, "mine", {"n": n}).id for n in range(60)]
    for _ in range(15):
        assert store.claim_next_job("gone-host:1:1") is not None
    for job_id in created[:15]:
        _end_lease(store, job_id)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, database_url, f"proc-{n}:1:1"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0]
    claims = [line.split() for output in outputs for line in output.splitlines()]
    assert sorted(job_id for job_id, _ in claims) == sorted(created)  # each job once
    assert sorted(job_id for job_id, attempts in claims if attempts == "2") == sorted(created[:15])
    holders = {store.get_job(ws, job_id).worker for job_id in created}
    assert holders <= {f"proc-{n}:1:1" for n in range(4)}


def test_one_job_per_workspace_runs_at_a_time(store: Store) -> None:
    north = store.create_workspace("north").id
    south = store.create_workspace("south").id
    n1 = store.create_job(north, "mine", {"n": 1})
    n2 = store.create_job(north, "mine", {"n": 2})
    s1 = store.create_job(south, "mine", {"n": 3})

    def claim(alive: Any = None) -> str | None:
        job = store.claim_next_job("host-a:1:1", one_per_workspace=True, alive=alive)
        return None if job is None else job.id

    assert claim() == n1.id
    assert claim() == s1.id  # n2 waits for n1
    assert claim() is None
    assert store.finish_job(n1.id, "succeeded", result={}) is True
    assert claim() == n2.id
    # A running job whose worker is gone does not hold its workspace back.
    s2 = store.create_job(south, "mine", {"n": 4})
    assert claim(alive=lambda _: True) is None
    assert claim(alive=lambda job: job.id != s1.id) == s2.id
    # Nor does one whose lease ran out: it is the one taken over (the older job), then the next
    # waits for it.
    n3 = store.create_job(north, "mine", {"n": 5})
    _end_lease(store, n2.id)
    taken = store.claim_next_job("host-b:2:2", one_per_workspace=True)
    assert taken is not None
    assert (taken.id, taken.attempts) == (n2.id, 2)
    assert claim() is None
    assert store.get_job(north, n3.id).state == "queued"


def _claim_at_once(clients: list[Store]) -> list[JobRecord]:
    """Every client claims one job (one workspace at a time) at the same moment."""
    claimed: list[JobRecord] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def claim(own: Store) -> None:
        barrier.wait()
        job = own.claim_next_job("host-a:1:1", one_per_workspace=True)
        if job is not None:
            with lock:
                claimed.append(job)

    threads = [threading.Thread(target=claim, args=(own,)) for own in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claimed


def test_concurrent_claims_take_one_job_per_workspace(store: Store, database_url: str) -> None:
    spaces = [store.create_workspace(f"ws{n}").id for n in range(3)]
    for ws in spaces:
        for n in range(3):
            store.create_job(ws, "mine", {"n": n})
    clients = [open_store(database_url, migrate=False) for _ in range(8)]
    try:
        for _ in range(3):
            claimed = _claim_at_once(clients)
            assert sorted(job.workspace_id for job in claimed) == sorted(spaces)
            for job in claimed:
                assert store.finish_job(job.id, "succeeded", result={}, attempt=1) is True
        assert store.count_jobs_by_state()["succeeded"] == 9
    finally:
        for own in clients:
            own.close()
