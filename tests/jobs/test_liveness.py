"""Telling a live job worker from a dead one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feedback_nlp.domain import JobRecord
from feedback_nlp.jobs.liveness import process_start, this_worker, worker_alive

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STALE = timedelta(seconds=120)
JOB = JobRecord(
    id="j1",
    workspace_id=1,
    kind="mine",
    params={},
    state="running",
    progress=0.2,
    stage="embed",
    error=None,
    attempts=1,
    cancel_requested=False,
    result=None,
    created_at=NOW,
    started_at=NOW,
    finished_at=None,
    heartbeat_at=NOW,
)


def _claimed_by(worker: str | None, heartbeat_age_s: float = 0.0) -> JobRecord:
    return replace(JOB, worker=worker, heartbeat_at=NOW - timedelta(seconds=heartbeat_age_s))


def _exited_process() -> tuple[int, str]:
    """The pid and start time of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    start = process_start(child.pid)
    assert start is not None
    child.communicate(b"")
    return child.pid, start


def test_this_worker_names_host_pid_and_start() -> None:
    host, pid, start = this_worker().split(":")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    assert start == process_start(os.getpid())
    assert worker_alive(_claimed_by(this_worker()), now=NOW, stale_after=STALE)


def test_a_worker_on_this_host_is_dead_once_its_process_is_gone() -> None:
    pid, start = _exited_process()
    assert process_start(pid) is None
    host = socket.gethostname()
    # Alive or dead by the process, whatever the heartbeat says.
    assert not worker_alive(_claimed_by(f"{host}:{pid}:{start}"), now=NOW, stale_after=STALE)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="start times come from /proc")
def test_a_reused_process_id_is_not_the_worker() -> None:
    host, pid, start = this_worker().split(":")
    other_start = str(int(start) + 1)
    job = _claimed_by(f"{host}:{pid}:{other_start}")
    assert not worker_alive(job, now=NOW, stale_after=STALE)


def test_a_worker_on_another_host_lives_while_its_heartbeat_is_fresh() -> None:
    remote = "another-host.example:4242:123456"
    assert worker_alive(_claimed_by(remote, heartbeat_age_s=30), now=NOW, stale_after=STALE)
    assert not worker_alive(_claimed_by(remote, heartbeat_age_s=121), now=NOW, stale_after=STALE)


def test_a_job_without_a_recorded_worker_counts_as_abandoned() -> None:
    assert not worker_alive(_claimed_by(None), now=NOW, stale_after=STALE)


def test_a_worker_on_another_host_with_a_lease_is_left_to_the_lease() -> None:
    remote = "another-host.example:4242:123456"
    leased = replace(_claimed_by(remote, heartbeat_age_s=3600), lease_expires_at=NOW)
    # However old its heartbeat: the claim's lease (timed by the database) decides.
    assert worker_alive(leased, now=NOW, stale_after=STALE)
    pid, start = _exited_process()
    local = replace(_claimed_by(f"{socket.gethostname()}:{pid}:{start}"), lease_expires_at=NOW)
    assert not worker_alive(local, now=NOW, stale_after=STALE)  # a dead local process: at once
    assert not worker_alive(replace(leased, worker=None), now=NOW, stale_after=STALE)
