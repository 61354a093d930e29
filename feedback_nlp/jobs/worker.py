"""The embedded job worker: a background thread that runs queued jobs one at a time.

Any number of workers (servers, ``feedback-nlp mine``) may share one database. Each job is
claimed with this process's identity and a lease of ``lease_s`` seconds
(:meth:`~feedback_nlp.store.Store.claim_next_job`), one job per workspace at a time: the jobs of
a workspace whose job runs under a live worker wait, so that mining runs of one workspace never
overlap, while different workspaces' jobs run on different workers at once. While a job runs, a
heartbeat thread renews its lease every ``heartbeat_s`` seconds, and so does each progress write.
A job whose lease ended (its worker was killed, or hangs) is taken over by the next claim of any
worker, with one more attempt; the worker that lost it learns so at its next heartbeat or
progress write (the write is refused) and stops without writing anything more: its mining run is
saved only in a transaction that first renews its claim, and its finish is conditional on the
claim.

At start, and then every ``reap_s`` seconds, the worker also calls
:meth:`~feedback_nlp.store.Store.recover_jobs`: jobs left ``running`` by a worker process of this
host that is gone (a crashed server, a killed ``feedback-nlp mine``) are queued again (or failed
with a reason after ``max_attempts``) without waiting for their leases to end; jobs of live
workers are left alone (:mod:`feedback_nlp.jobs.liveness`). :meth:`JobWorker.stop` asks the
running job to stop at its next stage boundary (it then goes back to the queue, its attempt not
counted) and waits up to ``timeout`` seconds; the thread is a daemon, so a stage that outlasts the
wait never blocks the process from exiting, and the job it leaves ``running`` is recovered at the
next start (or taken over once its lease ends).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from feedback_nlp.background import BackgroundLoop
from feedback_nlp.domain import JobRecord
from feedback_nlp.embed.base import Embedder
from feedback_nlp.engines import Engine
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.jobs.assign import run_assign_job
from feedback_nlp.jobs.context import JobCancelled, JobContext, JobInterrupted, JobLost
from feedback_nlp.jobs.liveness import this_worker, worker_alive
from feedback_nlp.jobs.runner import SentimentHead, find_sentiment_head, run_mine_job
from feedback_nlp.models import load_model
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow

__all__ = ["JobWorker"]

logger = logging.getLogger(__name__)

Runner = Callable[..., dict[str, Any]]


class JobWorker:
    """Claims and runs jobs in a background thread.

    Args:
        store: The store holding the jobs.
        settings: Passed to the runners (embedder name, limits).
        poll_s: Seconds between looks at the queue when it is empty (:meth:`notify` wakes early).
        heartbeat_s: Seconds between heartbeats of a running job (default:
            ``settings.jobs.heartbeat_s``).
        lease_s: Seconds a claim lasts unless renewed (default: ``settings.jobs.lease_s``).
        reap_s: Seconds between looks for jobs of dead workers while the thread runs (default:
            ``settings.jobs.reap_s``).
        stale_after_s: A worker on another host that claimed a job without a lease (an older
            version) is dead once its heartbeat is this old.
        max_attempts: Claims a job may have before a crash makes it fail for good.
        embedder: A loaded embedder to use instead of loading ``settings.models.embedder``.
        engine: Where jobs embed and mine (default: this process, the model loaded once here).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        poll_s: float = 1.0,
        heartbeat_s: float | None = None,
        lease_s: float | None = None,
        reap_s: float | None = None,
        stale_after_s: float = 120.0,
        max_attempts: int = 3,
        embedder: Embedder | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.poll_s = poll_s
        self.heartbeat_s = settings.jobs.heartbeat_s if heartbeat_s is None else heartbeat_s
        self.lease_s = settings.jobs.lease_s if lease_s is None else lease_s
        self.reap_s = settings.jobs.reap_s if reap_s is None else reap_s
        self.stale_after = timedelta(seconds=stale_after_s)
        self.max_attempts = max_attempts
        self.worker_id = this_worker()
        self._embedder = embedder
        self.engine = engine
        self._loop = BackgroundLoop(
            "feedback-nlp-jobs",
            self._step,
            poll_s=poll_s,
            logger=logger,
            failure="job worker: could not claim or finish a job",
        )
        self._stop = self._loop.stop_event  # what a running job's context checks
        self._reaped_at = time.monotonic()
        self.recovered: list[str] = []
        self.runners: dict[str, Runner] = {"mine": self._run_mine, "assign": self._run_assign}
        self._models: dict[str, Embedder] = {}  # assign jobs: the runs' embedders, loaded once
        self._heads: dict[str, SentimentHead | None] = {}  # and their sentiment heads

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._loop.running

    def start(self) -> None:
        """Recover jobs interrupted by a crash, then start the background thread."""
        if self.running:
            return
        self.recovered = self.reap()
        self._reaped_at = time.monotonic()
        self._loop.start()

    def reap(self) -> list[str]:
        """Recover the jobs of worker processes that are gone; returns their ids."""
        recovered = self.store.recover_jobs(self.max_attempts, alive=self._alive)
        if recovered:
            logger.warning("recovered %d interrupted job(s): %s", len(recovered), recovered)
        return recovered

    def _alive(self, job: JobRecord) -> bool:
        return worker_alive(job, now=utcnow(), stale_after=self.stale_after)

    def notify(self) -> None:
        """Look at the queue now (call after queueing a job)."""
        self._loop.notify()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to stop and wait up to ``timeout`` seconds; returns whether it ended."""
        return self._loop.stop(timeout)

    def _step(self) -> bool:
        """One round of the background loop: reap when due, then run a job if one is queued."""
        if time.monotonic() - self._reaped_at >= self.reap_s:
            self._reaped_at = time.monotonic()
            self.reap()
        return self.run_once() is not None

    def run_once(self) -> JobRecord | None:
        """Claim one job (queued, or one whose lease ended) and run it to its end in this thread.

        Jobs of a workspace that has a job running under a live worker are not claimed.

        Returns:
            The job as it stands afterwards (``None``: nothing to claim).
        """
        job = self.store.claim_next_job(
            self.worker_id,
            lease_s=self.lease_s,
            max_attempts=self.max_attempts,
            one_per_workspace=True,
            alive=self._alive,
        )
        if job is None:
            return None
        beating, lost = threading.Event(), threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job, beating, lost), name="feedback-nlp-job-beat"
        )
        beat.daemon = True
        beat.start()
        try:
            self._run(job, lost)
        finally:
            beating.set()
            beat.join()
        return self.store.get_job(job.workspace_id, job.id)

    def _heartbeat(self, job: JobRecord, done: threading.Event, lost: threading.Event) -> None:
        while not done.wait(self.heartbeat_s):
            try:
                held = self.store.heartbeat(job.id, attempt=job.attempts, lease_s=self.lease_s)
            except Exception:
                logger.exception("job %s: heartbeat failed", job.id)
                continue
            if not held:  # finished, cancelled, or taken over by another worker: stop renewing
                lost.set()
                return

    def _run(self, job: JobRecord, lost: threading.Event | None = None) -> None:
        context = JobContext(self.store, job, self._stop.is_set, lease_s=self.lease_s, lost=lost)
        runner = self.runners.get(job.kind)
        attempt = job.attempts
        try:
            if runner is None:
                raise FeedbackNLPError(f"No runner for jobs of kind {job.kind!r}.")
            result = runner(job, context)
        except JobLost as stage:
            logger.warning(
                "job %s: this worker's claim (attempt %d) ended at stage %s (another worker took "
                "the job over after the lease ended); its work is dropped",
                job.id,
                attempt,
                stage,
            )
        except JobCancelled as stage:
            logger.info("job %s cancelled at stage %s", job.id, stage)
            self._finish(job, "cancelled")
        except JobInterrupted:
            logger.info("job %s released: the worker is stopping", job.id)
            self.store.release_job(job.id, attempt=attempt)
        except FeedbackNLPError as error:
            logger.warning("job %s failed: %s", job.id, error)
            self._finish(job, "failed", error=str(error))
        except Exception as error:
            logger.exception("job %s failed with an unexpected error", job.id)
            reason = f"internal error ({type(error).__name__}: {error}); see the server log"
            self._finish(job, "failed", error=reason)
        else:
            self._finish(job, "succeeded", result=result)

    def _finish(
        self,
        job: JobRecord,
        state: str,
        error: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        if not self.store.finish_job(job.id, state, error, result, attempt=job.attempts):
            logger.warning(
                "job %s: not recorded as %s: this worker's claim (attempt %d) no longer holds",
                job.id,
                state,
                job.attempts,
            )

    def _run_mine(self, job: JobRecord, context: JobContext) -> dict[str, Any]:
        if self._embedder is None and self.engine is None:  # loaded once, on the first job
            self._embedder = load_model(self.settings.models.embedder)
        return run_mine_job(
            self.store, job, self.settings, context, embedder=self._embedder, engine=self.engine
        )

    def _run_assign(self, job: JobRecord, context: JobContext) -> dict[str, Any]:
        return run_assign_job(
            self.store,
            job,
            context,
            embedder=self._embedder,
            load=self._model,
            head_of=self._head,
        )

    def _model(self, name: str) -> Embedder:
        """The embedder ``name`` (the worker's own, else loaded once)."""
        if self._embedder is not None and self._embedder.name == name:
            return self._embedder
        if name not in self._models:
            self._models[name] = load_model(name)
        return self._models[name]

    def _head(self, model: Embedder) -> SentimentHead | None:
        """The sentiment head of ``model`` (looked up once per embedder)."""
        if model.name not in self._heads:
            self._heads[model.name] = find_sentiment_head(model.name, model.dim)
        return self._heads[model.name]
