"""Run a queued job in the calling process, reporting its progress; Ctrl-C cancels it.

``feedback-nlp mine`` queues a job and then calls :func:`run_in_foreground`: a
:class:`~feedback_nlp.jobs.worker.JobWorker` in a background thread claims queued jobs, one at a
time, until the job is finished, while the calling thread reads the job's progress and stage from
the database and hands them to ``on_update``. The worker never calls ``recover_jobs``: jobs it
claims carry this process's identity, so a server's worker leaves them alone while this process
runs and re-queues them if it is killed (:mod:`feedback_nlp.jobs.liveness`). Should a server's
worker claim the job first, this function only watches it. Jobs queued earlier are claimed first,
as on a server, and while another worker runs a job of the same workspace the job waits for it
(:class:`~feedback_nlp.jobs.worker.JobWorker` runs one job per workspace at a time).

A ``KeyboardInterrupt`` in the calling thread cancels the job (a queued job at once, a running
one at its next stage boundary, so no stage is left half written) and tells the worker to stop; the
function then waits for the job to end and returns it. A second interrupt leaves at once: the job
is marked for cancellation, so the next worker start finishes it as ``cancelled``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from feedback_nlp.domain import TERMINAL_JOB_STATES, JobRecord
from feedback_nlp.embed.base import Embedder
from feedback_nlp.engines import Engine
from feedback_nlp.jobs.worker import JobWorker
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store

__all__ = ["run_in_foreground"]


def run_in_foreground(
    store: Store,
    settings: Settings,
    job: JobRecord,
    on_update: Callable[[JobRecord], None] | None = None,
    *,
    poll_s: float = 0.25,
    embedder: Embedder | None = None,
    on_cancel: Callable[[], None] | None = None,
    engine: Engine | None = None,
) -> JobRecord:
    """Run ``job`` (queued) to its end in this process.

    Args:
        store: The store holding the job.
        settings: Passed to the job's runner (embedder name, limits).
        job: The queued job.
        on_update: Called with the job as it stands, every ``poll_s`` seconds.
        poll_s: Seconds between progress reads.
        embedder: A loaded embedder (default: the runner loads ``settings.models.embedder``).
        on_cancel: Called once when an interrupt cancels the job.
        engine: Where the job embeds and mines (default: this process).

    Returns:
        The job in its final state (``succeeded``, ``failed`` or ``cancelled``).
    """
    worker = JobWorker(store, settings, poll_s=poll_s, embedder=embedder, engine=engine)
    finished = threading.Event()  # the caller gives up: the worker thread stops looping
    ended = threading.Event()  # the worker thread is done (Thread.is_alive() is not used: a
    # join() interrupted by Ctrl-C can leave it reporting False while the thread still runs)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            while not finished.is_set():
                if store.get_job(job.workspace_id, job.id).state in TERMINAL_JOB_STATES:
                    return
                if worker.run_once() is None:  # another worker has it, or it is not queued yet
                    finished.wait(poll_s)
        except BaseException as error:  # reported to the calling thread
            failure.append(error)
        finally:
            ended.set()

    thread = threading.Thread(target=work, name="feedback-nlp-foreground-job", daemon=True)
    thread.start()
    try:
        _watch(store, job, ended, on_update, poll_s)
    except KeyboardInterrupt:
        store.cancel_job(job.workspace_id, job.id)
        worker.stop(timeout=0)  # another job it holds goes back to the queue at its next stage
        if on_cancel is not None:
            on_cancel()
        _watch(store, job, ended, on_update, poll_s)
    finally:
        finished.set()
    if failure:
        raise failure[0]
    return store.get_job(job.workspace_id, job.id)


def _watch(
    store: Store,
    job: JobRecord,
    ended: threading.Event,
    on_update: Callable[[JobRecord], None] | None,
    poll_s: float,
) -> None:
    while not ended.is_set():
        ended.wait(poll_s)
        if on_update is not None:
            on_update(store.get_job(job.workspace_id, job.id))
