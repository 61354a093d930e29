"""Two real ``feedback-nlp serve`` processes on one database share its mining jobs safely.

Both servers run their embedded worker with a short lease (``FEEDBACK_NLP_JOBS__LEASE_S``) and the
same-host reaper effectively off (``FEEDBACK_NLP_JOBS__REAP_S``), so that only the lease can hand a
job on. First several jobs of two workspaces are queued through both servers: both workers take
jobs, every job runs exactly once (one claim, one mining run), and one workspace's runs never
overlap. Then one server is SIGKILLed while it runs a job: the other takes the job over once the
dead server's lease has run out (not before), runs it to the end with a second attempt, and the
job has one mining run, the survivor's.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from feedback_nlp.store.engine import make_engine
from feedback_nlp.store.schema import jobs, mining_runs
from feedback_nlp.testing.texts import stable_texts, versioned
from tests.api.api_support import Server, bearer, start_server
from tests.reliability.backends import POSTGRES_URL_ENV, create_key, fresh_database, reliability_env

pytestmark = pytest.mark.slow

WORKSPACES = ("north", "south")
LEASE_S = 4.0
HEARTBEAT_S = 0.5
ITEMS = 400  # per workspace
JOBS = 6
TERMINAL = {"succeeded", "failed", "cancelled"}


class _Jobs:
    """Direct reads of the jobs and mining runs both servers write."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def rows(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            return {row.id: row for row in connection.execute(select(jobs)).all()}

    def runs_per_job(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            found = connection.execute(select(mining_runs.c.job_id)).scalars().all()
        counts: dict[str, int] = {}
        for job_id in found:
            counts[job_id] = counts.get(job_id, 0) + 1
        return counts

    def wait(self, ids: set[str], timeout: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows()
            if all(rows[job_id].state in TERMINAL for job_id in ids):
                return rows
            assert time.monotonic() < deadline, {i: rows[i].state for i in ids}
            time.sleep(0.1)


def _pid(worker: str | None) -> int:
    assert worker is not None
    return int(worker.split(":")[1])


def _queue(server: Server, key: str, **options: Any) -> str:
    with httpx.Client(base_url=server.url, headers=bearer(key), timeout=60) as client:
        answer = client.post("/v1/jobs", json={"kind": "mine", **options}).raise_for_status()
    job_id: str = answer.json()["id"]
    return job_id


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_two_servers_run_each_job_once_and_take_over_a_killed_servers_job(
    backend: str, tmp_path: Path
) -> None:
    if backend == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (a PostgreSQL server URL)")
    with fresh_database(backend, tmp_path) as url:
        keys = [create_key(url, name) for name in WORKSPACES]
        timing = {
            "FEEDBACK_NLP_JOBS__LEASE_S": str(LEASE_S),
            "FEEDBACK_NLP_JOBS__HEARTBEAT_S": str(HEARTBEAT_S),
            "FEEDBACK_NLP_JOBS__REAP_S": "3600",
        }

        def start(name: str) -> Server:
            (tmp_path / name).mkdir()
            env = reliability_env(url, tmp_path / name, **timing)
            return start_server(env, tmp_path / f"{name}.log")

        with ThreadPoolExecutor(2) as pool:
            started = [pool.submit(start, name) for name in ("a", "b")]
        servers = [future.result() for future in started]
        probe = _Jobs(url)
        try:
            texts = stable_texts()
            for number, (server, key) in enumerate(zip(servers, keys, strict=True)):
                items = [
                    {"id": f"i{n:05d}", "text": versioned(texts[n % len(texts)], number)}
                    for n in range(ITEMS)
                ]
                with httpx.Client(base_url=server.url, headers=bearer(key), timeout=120) as c:
                    body = c.post("/v1/feedback", json={"items": items}).raise_for_status()
                    assert body.json()["created"] == ITEMS

            # Jobs of both workspaces, queued through both servers: each runs exactly once.
            queued = {_queue(servers[n % 2], keys[n // 2 % 2], n_resamples=0) for n in range(JOBS)}
            rows = probe.wait(queued)
            assert {rows[i].state for i in queued} == {"succeeded"}
            assert {rows[i].attempts for i in queued} == {1}
            runs = probe.runs_per_job()
            assert {i: runs.get(i, 0) for i in queued} == dict.fromkeys(queued, 1)
            pids = {server.process.pid for server in servers}
            assert {_pid(rows[i].worker) for i in queued} == pids  # both workers took jobs
            for workspace in {rows[i].workspace_id for i in queued}:
                ran = sorted((rows[i].started_at, rows[i].finished_at) for i in queued
                             if rows[i].workspace_id == workspace)  # fmt: skip
                assert all(ran[n][0] >= ran[n - 1][1] for n in range(1, len(ran))), ran

            # A server is killed mid-job: the other takes the job over once the lease ran out.
            job_id = _queue(servers[0], keys[0])  # with confidence resamples: a longer job
            deadline = time.monotonic() + 120
            while (row := probe.rows()[job_id]).state != "running":
                assert row.state == "queued", f"the job ended before the kill: {row}"
                assert time.monotonic() < deadline, f"the job never ran: {row}"
                time.sleep(0.005)
            (holder,) = [s for s in servers if s.process.pid == _pid(row.worker)]
            (survivor,) = [s for s in servers if s is not holder]
            holder.kill()
            killed_at = time.monotonic()
            dead = probe.rows()[job_id]
            assert dead.state == "running", f"the job ended before the kill: {dead}"
            assert dead.attempts == 1
            lease_end = dead.lease_expires_at
            assert lease_end is not None
            done = probe.wait({job_id}, timeout=300)[job_id]
            assert done.state == "succeeded", done
            assert done.attempts == 2
            assert _pid(done.worker) == survivor.process.pid
            assert done.started_at >= lease_end - timedelta(seconds=0.2)  # not before it ran out
            assert time.monotonic() - killed_at < LEASE_S + 120
            assert probe.runs_per_job()[job_id] == 1  # the dead server's run was never saved
            log = survivor.log_tail(200_000)
            assert f"job {job_id}: taken over from worker {dead.worker}" in log, log[-3000:]
            assert "interrupted job(s)" not in log  # the lease did it, not the reaper
        finally:
            for server in servers:
                server.stop()
            probe.engine.dispose()
