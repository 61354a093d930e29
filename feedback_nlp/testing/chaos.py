"""Random SIGKILL of the server and of a foreground worker; after each kill, nothing is lost.

One run is a chain of rounds over one database. Each round drives a live ``feedback-nlp serve``
(embedded worker on) and SIGKILLs it after a random delay drawn from a seeded RNG; the server
started after the kill is the next round's server. Rounds cycle through four modes (by default in
this order, so a run of four rounds or more covers each):

``ingest``
    ``posters`` client threads post batches of new items (plus new versions of some of their
    earlier items) until the kill.
``ingest+mine``
    the same, with a mine job over an earlier round's items queued at the start (in a first
    round, over the round's own items once a batch is acknowledged).
``worker``
    the posters, and once the server is dead, ``feedback-nlp mine`` (the foreground worker) is run
    over an earlier round's items and SIGKILLed a random time after its job starts running.
``mine``
    only a mine job (or the job a kill left queued).

In ``mine`` rounds, and for the foreground worker, the kill aims at a stage of the job drawn at
random (load, split, embed, mine, register, save): it comes a random 0-0.2 s after the database
shows the job in that stage (or past it), so over a run kills land in every stage, the short ones
(register, save: one transaction) included.

An item is *acknowledged* when the ``POST /v1/feedback`` carrying it was answered 200. After every
restart (the server is healthy only once its worker has recovered the jobs it found running):

* every acknowledged item is stored exactly once, with the text of its last acknowledged version
  or of the version in flight at the kill; no item is stored that was never sent;
* each batch in flight at the kill landed whole or not at all (one transaction);
* every job left ``running`` by the kill was recovered as documented
  (:meth:`~feedback_nlp.store.Store.recover_jobs`): queued again while it has attempts left (it
  may already be running again, with one more attempt, or finished), else ``failed`` with an
  ``interrupted`` reason; the server log names how many it recovered.

At the end (the re-run) every job reaches a final state, no job is ``queued`` or ``running``,
reposting every item's latest version stores each one once (the counts of created / updated /
unchanged match the database before the repost exactly), and a mine job over the whole
workspace succeeds.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from feedback_nlp.testing.backends import DbProbe, JobRow, create_key, reliability_env
from feedback_nlp.testing.chaos_posters import Ledger, Poster
from feedback_nlp.testing.chaos_records import (
    JOB_STAGES,
    MAX_ATTEMPTS,
    MODES,
    TERMINAL,
    WORKSPACE,
    ChaosConfig,
    ChaosReport,
    RoundReport,
)
from feedback_nlp.testing.servers import CLI, REPO_ROOT, Server, start_server

__all__ = ["MODES", "ChaosConfig", "ChaosReport", "RoundReport", "run_chaos"]


def _log_since(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


def _killed(job: JobRow) -> str:
    return f"{job.stage or 'claimed'}@{job.progress:.2f}"


class _Run:
    """State of one chaos run."""

    def __init__(
        self, database_url: str, work: Path, config: ChaosConfig, say: Callable[[str], None]
    ) -> None:
        self.database_url, self.work, self.config, self.say = database_url, work, config, say
        self.rng = random.Random(config.seed)
        self.env = reliability_env(database_url, work / "var")
        self.key = create_key(database_url, WORKSPACE)
        self.probe = DbProbe(database_url)
        self.ledger = Ledger()
        self.own: list[list[str]] = [[] for _ in range(config.posters)]
        self.log = work / "server.log"
        self.report = ChaosReport(backend_url=database_url, config=config)

    # --- one round ---------------------------------------------------------------------------

    def _mine_filters(self) -> dict[str, Any] | None:
        rounds = self.ledger.acked_rounds()
        if not rounds:
            return None
        return {"segments": {"round": str(self.rng.choice(rounds))}}

    def _submit_mine(self, client: httpx.Client) -> bool:
        busy = any(job.state in {"queued", "running"} for job in self.probe.jobs().values())
        filters = self._mine_filters()
        if busy or filters is None:  # a queued or re-queued job is this round's mining load
            return False
        response = client.post("/v1/jobs", json={"filters": filters, "n_resamples": 0})
        if response.status_code != 202:
            raise AssertionError(f"POST /v1/jobs answered {response.status_code}: {response.text}")
        return True

    def round(self, server: Server, number: int) -> tuple[RoundReport, list[Poster]]:
        mode = self.config.modes[number % len(self.config.modes)]
        low, high = self.config.kill_after_s
        report = RoundReport(round=number, mode=mode, kill_after_s=self.rng.uniform(low, high))
        posters: list[Poster] = []
        if mode != "mine":
            posters = [
                Poster(
                    server.url,
                    self.key,
                    p,
                    number,
                    self.ledger,
                    self.config,
                    random.Random(self.rng.random()),
                    self.own[p],
                )
                for p in range(self.config.posters)
            ]
        with server.client(self.key) as client:
            started = time.monotonic()
            mining = mode in {"ingest+mine", "mine"}
            if mining and self.ledger.acked_rounds():
                report.job_submitted = self._submit_mine(client)
                mining = False
            for poster in posters:
                poster.start()
            if mining and posters:  # nothing stored before this round: mine its first batches
                while time.monotonic() - started < report.kill_after_s:
                    if self.ledger.acked_rounds():
                        report.job_submitted = self._submit_mine(client)
                        break
                    time.sleep(0.02)
            if mode == "mine":
                report.kill_at_stage = self.rng.choice(list(JOB_STAGES))
                self._wait_for_stage(report.kill_at_stage, set())
                time.sleep(self.rng.uniform(0.0, self.config.stage_jitter_s))
                report.kill_after_s = time.monotonic() - started
            time.sleep(max(0.0, report.kill_after_s - (time.monotonic() - started)))
        server.kill()
        for poster in posters:
            poster.join(timeout=180)
            assert not poster.is_alive(), f"poster {poster.number} hangs after the kill"
            assert poster.failure is None, poster.failure
        report.acked_batches = sum(p.acked for p in posters)
        report.inflight_batches = sum(p.inflight is not None for p in posters)
        return report, posters

    def _wait_for_stage(
        self, stage: str, ignore: set[str], done: Callable[[], bool] = lambda: False
    ) -> None:
        """Return once a running job is in ``stage`` or past it, or no job is left to run.

        Jobs in ``ignore`` do not count; ``done`` returning true stops the wait too.
        """
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not done():
            jobs = [j for j in self.probe.jobs().values() if j.id not in ignore]
            running = [j for j in jobs if j.state == "running"]
            if any(j.stage == stage or j.progress >= JOB_STAGES[stage] for j in running):
                return
            if not running and not any(j.state == "queued" for j in jobs):
                return
            time.sleep(0.01)

    def kill_foreground_worker(self, report: RoundReport, dead: set[str]) -> list[JobRow]:
        """Run ``feedback-nlp mine`` while the server is down; SIGKILL it mid-job.

        Args:
            report: Where the delay and the outcome are recorded.
            dead: Jobs the server kill left ``running`` (not the worker's doing).

        Returns:
            The jobs the worker left ``running``.
        """
        filters = self._mine_filters()
        if filters is None:
            report.worker_outcome = "skipped: nothing stored yet"
            return []
        (round_,) = filters["segments"].values()
        before = set(self.probe.jobs())
        report.worker_kill_at_stage = self.rng.choice(list(JOB_STAGES))
        command = [*CLI, "mine", "--workspace", WORKSPACE, "--segment", f"round:{round_}"]
        command += ["--n-resamples", "0", "--json"]
        with (self.work / "worker.log").open("ab") as log:
            process = subprocess.Popen(
                command, env=self.env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + 180
            seen_running = None
            while seen_running is None and process.poll() is None:
                polled = self.probe.jobs().values()
                if any(j.state == "running" and j.id not in dead for j in polled):
                    seen_running = time.monotonic()
                assert time.monotonic() < deadline, "feedback-nlp mine never started its job"
                time.sleep(0.05)
            if seen_running is not None:
                alive = process.poll
                self._wait_for_stage(report.worker_kill_at_stage, dead, lambda: alive() is not None)
                time.sleep(self.rng.uniform(0.0, self.config.stage_jitter_s))
                report.worker_kill_after_s = time.monotonic() - seen_running
        finally:
            process.kill()
            process.wait(timeout=60)
        jobs = self.probe.jobs()
        running = [j for j in jobs.values() if j.state == "running" and j.id not in dead]
        if running:
            report.worker_outcome = "killed in " + ", ".join(_killed(j) for j in running)
        elif any(jobs[j].state in TERMINAL for j in set(jobs) - before):
            report.worker_outcome = f"finished before the kill (exit {process.returncode})"
        else:
            report.worker_outcome = f"killed before its job ran (exit {process.returncode})"
        return running

    # --- checks -------------------------------------------------------------------------------

    def check_items(self, posters: list[Poster], report: RoundReport | None) -> int:
        stored = self.probe.items(WORKSPACE)
        with self.ledger.lock:
            versions = {i: list(v) for i, v in self.ledger.versions.items()}
        unknown = set(stored) - set(versions)
        assert not unknown, f"stored items never sent: {sorted(unknown)[:5]}"
        acked = 0
        for item_id, sent in versions.items():
            got = stored.get(item_id)
            assert got is None or got.copies == 1, f"{item_id} stored {got.copies} times"
            last_acked = max((n for n, v in enumerate(sent) if v.acked), default=None)
            allowed = {sent[n].text for n in range(last_acked or 0, len(sent))}
            if last_acked is None:
                assert got is None or got.text == sent[-1].text, (item_id, got, sent)
                continue
            acked += 1
            assert got is not None, f"acknowledged item {item_id} lost"
            assert got.text in allowed, f"{item_id}: stored {got.text!r}, sent {sent}"
            assert dict(got.segments) == self.ledger.segments[item_id], item_id
        for poster in posters:
            if poster.inflight is None:
                continue
            landed = [
                stored.get(item["id"]) is not None and stored[item["id"]].text == item["text"]
                for item in poster.inflight
            ]
            assert all(landed) or not any(landed), f"a batch landed in part: {landed}"
            if report is not None:
                report.inflight_landed += all(landed)
        return acked

    def check_recovery(self, interrupted: dict[str, JobRow], log: str, report: RoundReport) -> None:
        now = self.probe.jobs()
        for job_id, before in interrupted.items():
            after = now[job_id]
            if before.attempts >= MAX_ATTEMPTS:
                assert after.state == "failed", (before, after)
                assert after.error is not None, after
                assert "interrupted" in after.error, after
            else:
                still = after.state == "running" and after.attempts == before.attempts
                assert not still, f"job {job_id} still running after recovery: {after}"
                assert after.state != "failed" or "interrupted" not in (after.error or ""), after
        report.recovered = len(interrupted)
        if interrupted:
            assert f"recovered {len(interrupted)} interrupted job(s)" in log, log[-3000:]
        else:
            assert "interrupted job(s)" not in log, log[-3000:]

    # --- the run ------------------------------------------------------------------------------

    def restart(self) -> tuple[Server, str, float]:
        offset = self.log.stat().st_size if self.log.exists() else 0
        started = time.monotonic()
        server = start_server(self.env, self.log)
        return server, _log_since(self.log, offset), time.monotonic() - started

    def run(self) -> ChaosReport:
        began = time.monotonic()
        server, _, _ = self.restart()
        try:
            for number in range(self.config.rounds):
                report, posters = self.round(server, number)
                interrupted = {j.id: j for j in self.probe.jobs().values() if j.state == "running"}
                report.killed_jobs = [_killed(j) for j in interrupted.values()]
                if report.mode == "worker":
                    for job in self.kill_foreground_worker(report, set(interrupted)):
                        interrupted[job.id] = job
                        report.killed_jobs.append(_killed(job))
                server, log, report.restart_s = self.restart()
                self.check_recovery(interrupted, log, report)
                self.report.items_acked = self.check_items(posters, report)
                self.report.rounds.append(report)
                self.say(_describe(report))
            self.finish(server)
        finally:
            server.stop()
            self.probe.close()
        self.report.wall_s = time.monotonic() - began
        return self.report

    def finish(self, server: Server) -> None:
        deadline = time.monotonic() + self.config.final_timeout_s
        while True:
            jobs = self.probe.jobs()
            if all(job.state in TERMINAL for job in jobs.values()):
                break
            assert time.monotonic() < deadline, f"jobs not finished: {jobs}"
            time.sleep(0.5)
        for job in jobs.values():
            assert job.state != "failed" or "interrupted" in (job.error or ""), job
        stored = self.probe.items(WORKSPACE)
        latest = self.ledger.latest_items()
        expected = {
            "created": sum(item["id"] not in stored for item in latest),
            "updated": sum(
                item["id"] in stored and stored[item["id"]].text != item["text"] for item in latest
            ),
        }
        expected["unchanged"] = len(latest) - expected["created"] - expected["updated"]
        counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
        with server.client(self.key) as client:
            for start in range(0, len(latest), 1000):
                body = client.post("/v1/feedback", json={"items": latest[start : start + 1000]})
                assert body.status_code == 200, body.text
                for name in counts:
                    counts[name] += body.json()[name]
            assert counts == expected | {"rejected": 0}, (counts, expected)
            self.ledger.ack(latest)
            self.report.items_acked = self.check_items([], None)
            self.report.items_stored = len(self.probe.items(WORKSPACE))
            assert self.report.items_stored == len(latest)
            started = time.monotonic()
            job = client.post("/v1/jobs", json={"n_resamples": 0}).raise_for_status().json()
            while job["state"] not in TERMINAL:
                assert time.monotonic() < deadline, f"final mine job not finished: {job}"
                time.sleep(0.5)
                job = client.get(f"/v1/jobs/{job['id']}").raise_for_status().json()
            self.report.final_mine_s = time.monotonic() - started
            assert job["state"] == "succeeded", job
            self.report.final_themes = len(client.get("/v1/themes").raise_for_status().json())
            assert self.report.final_themes > 0
        states = [job.state for job in self.probe.jobs().values()]
        assert not {"queued", "running"} & set(states), states
        self.report.jobs = {state: states.count(state) for state in sorted(set(states))}
        self.report.repost = counts


def _describe(report: RoundReport) -> str:
    aim = "" if report.kill_at_stage is None else f" (aim {report.kill_at_stage})"
    parts = [
        f"round {report.round:2d} {report.mode:<11} kill after {report.kill_after_s:5.2f} s{aim}:",
        f"{report.acked_batches} batches acked, {report.inflight_batches} in flight",
        f"({report.inflight_landed} landed)",
    ]
    if report.job_submitted:
        parts.append("mine job queued;")
    if report.worker_outcome:
        aimed = f"aim {report.worker_kill_at_stage}, +{report.worker_kill_after_s or 0:.2f} s"
        parts.append(f"worker ({aimed}) {report.worker_outcome};")
    parts.append(f"running at kill: {report.killed_jobs or 'none'};")
    parts.append(f"recovered {report.recovered}; restart {report.restart_s:.1f} s")
    return " ".join(parts)


def run_chaos(
    database_url: str,
    work: Path,
    config: ChaosConfig,
    say: Callable[[str], None] = lambda _line: None,
) -> ChaosReport:
    """Run ``config.rounds`` kill-and-restart rounds over an empty database; raise on a failure.

    Args:
        database_url: A fresh database (SQLite file or PostgreSQL), migrated here.
        work: A folder for the server's var dir and logs (``server.log``, ``worker.log``).
        config: Rounds, seed, load and delays.
        say: Called with one line per round.

    Returns:
        What each round did, and the final counts.

    Raises:
        AssertionError: When a check fails (the message names the item, batch or job).
    """
    return _Run(database_url, work, config, say).run()
