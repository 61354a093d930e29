"""What a running job reports to, and how it learns to stop.

A runner calls :meth:`JobContext.stage` as each stage starts (and inside long stages, between
batches). The call records the progress in the database, then raises :class:`JobCancelled` when
a cancel was asked for, or :class:`JobInterrupted` when the worker is shutting down; the worker
turns these into the job's final state. Nothing else ever stops a runner halfway through a
stage, so a stage's writes are never half done.
"""

from __future__ import annotations

from collections.abc import Callable

from feedback_nlp.domain import JobRecord
from feedback_nlp.store import Store

__all__ = ["JobCancelled", "JobContext", "JobInterrupted"]


class JobCancelled(Exception):
    """The job was cancelled; it ends as ``cancelled``."""


class JobInterrupted(Exception):
    """The worker is stopping; the job goes back to the queue."""


class JobContext:
    """Progress reporting and stop checks for one running job.

    Args:
        store: Where the job's state lives.
        job: The running job.
        should_stop: Returns ``True`` once the worker wants to shut down.
    """

    def __init__(
        self, store: Store, job: JobRecord, should_stop: Callable[[], bool] | None = None
    ) -> None:
        self.store = store
        self.job = job
        self.should_stop = should_stop or (lambda: False)
        self.stages: list[tuple[str, float]] = []

    def stage(self, progress: float, name: str) -> None:
        """Record ``progress`` (0..1) in stage ``name``; stop here if asked to.

        Raises:
            JobCancelled: If a cancel was requested.
            JobInterrupted: If the worker is stopping.
        """
        self.store.update_job_progress(self.job.id, progress, name)
        self.stages.append((name, progress))
        if self.store.is_cancel_requested(self.job.id):
            raise JobCancelled(name)
        if self.should_stop():
            raise JobInterrupted(name)
