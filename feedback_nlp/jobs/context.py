"""What a running job reports to, and how it learns to stop.

A runner calls :meth:`JobContext.stage` as each stage starts (and inside long stages, between
batches). The call records the progress in the database (renewing the worker's lease on the job),
then raises :class:`JobLost` when the claim no longer holds (another worker took the job over
after the lease ended), :class:`JobCancelled` when a cancel was asked for, or
:class:`JobInterrupted` when the worker is shutting down; the worker turns these into the job's
final state. Nothing else ever stops a runner halfway through a stage, so a stage's writes are
never half done. A runner writes its result in a transaction that starts with
:meth:`JobContext.hold`, so a worker that lost its claim writes no result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.engine import Connection

from feedback_nlp.domain import JobRecord
from feedback_nlp.store import Store
from feedback_nlp.store.jobs.leases import DEFAULT_LEASE_S

__all__ = ["JobCancelled", "JobContext", "JobInterrupted", "JobLost"]


class JobCancelled(Exception):
    """The job was cancelled; it ends as ``cancelled``."""


class JobInterrupted(Exception):
    """The worker is stopping; the job goes back to the queue."""


class JobLost(Exception):
    """The worker's claim on the job ended (another worker took it over): it writes nothing more."""


class JobContext:
    """Progress reporting and stop checks for one running job.

    Args:
        store: Where the job's state lives.
        job: The running job, as claimed (its ``attempts`` names the claim).
        should_stop: Returns ``True`` once the worker wants to shut down.
        lease_s: Seconds each progress write renews the lease for.
        lost: Set (by the worker's heartbeat) once the claim is known to be lost.
    """

    def __init__(
        self,
        store: Store,
        job: JobRecord,
        should_stop: Callable[[], bool] | None = None,
        *,
        lease_s: float = DEFAULT_LEASE_S,
        lost: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.job = job
        self.should_stop = should_stop or (lambda: False)
        self.lease_s = lease_s
        self.lost = lost or threading.Event()
        self.stages: list[tuple[str, float]] = []

    def stage(self, progress: float, name: str) -> None:
        """Record ``progress`` (0..1) in stage ``name``; stop here if asked to.

        Raises:
            JobLost: If the claim on the job no longer holds.
            JobCancelled: If a cancel was requested.
            JobInterrupted: If the worker is stopping.
        """
        if self.lost.is_set() or not self.store.update_job_progress(
            self.job.id, progress, name, attempt=self.job.attempts, lease_s=self.lease_s
        ):
            self._lose(name)
        self.stages.append((name, progress))
        if self.store.is_cancel_requested(self.job.id):
            raise JobCancelled(name)
        if self.should_stop():
            raise JobInterrupted(name)

    def hold(self, connection: Connection) -> None:
        """In a write transaction (the one that writes the job's result): renew the claim.

        Raises:
            JobLost: If the claim no longer holds (the transaction is then rolled back).
        """
        if not self.store.hold_job(connection, self.job.id, self.job.attempts, self.lease_s):
            self._lose("save")

    def _lose(self, stage: str) -> None:
        self.lost.set()
        raise JobLost(stage)
