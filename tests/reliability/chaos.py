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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.api.api_support import CLI, REPO_ROOT, Server, bearer, start_server
from tests.reliability.backends import DbProbe, JobRow, create_key, reliability_env
from tests.reliability.texts import stable_texts, versioned

__all__ = ["MODES", "ChaosConfig", "ChaosReport", "RoundReport", "run_chaos"]

WORKSPACE = "chaos"
MODES = ("ingest", "ingest+mine", "worker", "mine")
JOB_STAGES = {
    "load": 0.02,
    "split": 0.10,
    "embed": 0.15,
    "mine": 0.65,
    "register": 0.90,
    "save": 0.95,
}
"""The stages of a mine job and the progress each starts at (feedback_nlp.jobs.runner)."""
MAX_ATTEMPTS = 3  # JobWorker's default: a job interrupted this many times fails
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    """How long and how hard a chaos run is.

    Attributes:
        rounds: Server kills (one per round).
        seed: Seed of every random choice (delays, updated items, mined rounds).
        posters: Client threads posting during the ingest modes.
        batch: Items per posted batch (``updates`` of them new versions of earlier items).
        updates: Items per batch that are new versions of the poster's earlier items.
        max_batches: Batches a poster sends in one round at most (bounds the data per round).
        kill_after_s: The server is killed a uniform random time in this range after the round's
            traffic starts (``mine`` rounds aim at a random stage of the job instead).
        stage_jitter_s: The most a kill aimed at a stage comes after the stage is seen.
        modes: The modes the rounds cycle through (a mine job needs an earlier round's items).
        final_timeout_s: Seconds the end of the run may wait for every job to finish.
    """

    rounds: int
    seed: int = 0
    posters: int = 2
    batch: int = 50
    updates: int = 5
    max_batches: int = 40
    kill_after_s: tuple[float, float] = (0.5, 8.0)
    stage_jitter_s: float = 0.2
    modes: tuple[str, ...] = MODES

    def __post_init__(self) -> None:
        unknown = sorted(set(self.modes) - set(MODES))
        if unknown or not self.modes:
            raise ValueError(f"modes must be some of {MODES}. Got {self.modes!r}.")

    final_timeout_s: float = 900.0


@dataclass(slots=True)
class RoundReport:
    """What one round did and found."""

    round: int
    mode: str
    kill_after_s: float
    kill_at_stage: str | None = None
    acked_batches: int = 0
    inflight_batches: int = 0
    inflight_landed: int = 0
    job_submitted: bool = False
    killed_jobs: list[str] = field(default_factory=list)  # "stage@progress" of each running job
    worker_kill_at_stage: str | None = None
    worker_kill_after_s: float | None = None
    worker_outcome: str | None = None  # "killed in stage ...", "finished before the kill", ...
    recovered: int = 0
    restart_s: float = 0.0


@dataclass(slots=True)
class ChaosReport:
    """The outcome of a chaos run (every check passed when it is returned)."""

    backend_url: str
    config: ChaosConfig
    rounds: list[RoundReport] = field(default_factory=list)
    items_acked: int = 0
    items_stored: int = 0
    jobs: dict[str, int] = field(default_factory=dict)  # final state -> count
    repost: dict[str, int] = field(default_factory=dict)
    final_mine_s: float = 0.0
    final_themes: int = 0
    wall_s: float = 0.0

    def killed_stages(self) -> dict[str, int]:
        """How many running jobs each stage had killed under it (server and worker kills)."""
        counts: dict[str, int] = {}
        for report in self.rounds:
            for killed in report.killed_jobs:
                stage = killed.split("@", 1)[0]
                counts[stage] = counts.get(stage, 0) + 1
        return dict(sorted(counts.items()))


@dataclass(slots=True)
class _Version:
    text: str
    acked: bool = False


class _Ledger:
    """Every version of every item sent, in order, and whether it was acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[str, list[_Version]] = {}
        self.segments: dict[str, dict[str, str]] = {}
        self.by_round: dict[int, list[str]] = {}

    def attempt(self, items: list[dict[str, Any]], round_: int) -> None:
        with self.lock:
            for item in items:
                if item["id"] not in self.versions:
                    self.versions[item["id"]] = []
                    self.segments[item["id"]] = item["segments"]
                    self.by_round.setdefault(round_, []).append(item["id"])
                self.versions[item["id"]].append(_Version(item["text"]))

    def ack(self, items: list[dict[str, Any]]) -> None:
        with self.lock:
            for item in items:
                self.versions[item["id"]][-1].acked = True

    def acked_rounds(self) -> list[int]:
        with self.lock:
            return [
                r
                for r, ids in self.by_round.items()
                if any(v.acked for i in ids for v in self.versions[i])
            ]

    def latest_items(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"id": i, "text": versions[-1].text, "segments": self.segments[i]}
                for i, versions in self.versions.items()
            ]


class _Poster(threading.Thread):
    """Posts batches until the server dies or ``max_batches`` are sent."""

    def __init__(
        self,
        url: str,
        key: str,
        number: int,
        round_: int,
        ledger: _Ledger,
        config: ChaosConfig,
        rng: random.Random,
        own: list[str],
    ) -> None:
        super().__init__(name=f"chaos-poster-{number}", daemon=True)
        self.url, self.key, self.number, self.round = url, key, number, round_
        self.ledger, self.config, self.rng, self.own = ledger, config, rng, own
        self.acked = 0
        self.inflight: list[dict[str, Any]] | None = None
        self.failure: str | None = None

    def _batch(self, n: int, texts: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:
        """Batch ``n``: new items first, then new versions of earlier ones; and how many new."""
        fresh = self.config.batch - min(self.config.updates, len(self.own))
        items = []
        for k in range(fresh):
            item_id = f"r{self.round:02d}-p{self.number}-{n * self.config.batch + k:05d}"
            base = texts[self.rng.randrange(len(texts))]
            segments = {"round": str(self.round), "poster": str(self.number)}
            items.append({"id": item_id, "text": versioned(base, 1), "segments": segments})
        for item_id in self.rng.sample(self.own, self.config.batch - fresh):
            with self.ledger.lock:
                version = len(self.ledger.versions[item_id]) + 1
                segments = self.ledger.segments[item_id]
            base = texts[self.rng.randrange(len(texts))]
            items.append({"id": item_id, "text": versioned(base, version), "segments": segments})
        return items, fresh

    def run(self) -> None:
        texts = stable_texts()
        with httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=120) as client:
            for n in range(self.config.max_batches):
                items, fresh = self._batch(n, texts)
                self.ledger.attempt(items, self.round)
                try:
                    response = client.post("/v1/feedback", json={"items": items})
                except httpx.HTTPError:
                    self.inflight = items
                    return
                body = response.json() if response.status_code == 200 else None
                counted = body and body["created"] + body["updated"] + body["unchanged"]
                if body is None or body["rejected"] or counted != len(items):
                    self.failure = f"batch {n}: {response.status_code} {response.text[:500]}"
                    self.inflight = items  # not acknowledged: either outcome is allowed
                    return
                self.ledger.ack(items)
                self.acked += 1
                self.own.extend(item["id"] for item in items[:fresh])


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
        self.ledger = _Ledger()
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

    def round(self, server: Server, number: int) -> tuple[RoundReport, list[_Poster]]:
        mode = self.config.modes[number % len(self.config.modes)]
        low, high = self.config.kill_after_s
        report = RoundReport(round=number, mode=mode, kill_after_s=self.rng.uniform(low, high))
        posters: list[_Poster] = []
        if mode != "mine":
            posters = [
                _Poster(
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

    def check_items(self, posters: list[_Poster], report: RoundReport | None) -> int:
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
