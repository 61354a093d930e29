"""The writes of a running job's worker: progress, heartbeats, the claim held, finish, release.

Every write can be made conditional on the claim (``attempt=job.attempts``): once another worker
took the job over, the old worker's writes are refused (they return ``False``) and it stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import TERMINAL_JOB_STATES
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.jobs.leases import JobLeaseStore
from feedback_nlp.store.schema import jobs

__all__ = ["RunningJobStore"]


class RunningJobStore(JobLeaseStore):
    """What the worker holding a job writes while it runs it, and how it lets go."""

    def _update_running(
        self, connection: Connection, job_id: str, attempt: int | None, **values: Any
    ) -> bool:
        held = [jobs.c.id == job_id, jobs.c.state == "running"]
        if attempt is not None:
            held.append(jobs.c.attempts == attempt)
        done = connection.execute(update(jobs).where(*held).values(**values))
        return bool(done.rowcount)

    def _beat(self, lease_s: float | None) -> dict[str, Any]:
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if lease_s is not None:
            values["lease_expires_at"] = self._lease_until(lease_s)
        return values

    def update_job_progress(
        self,
        job_id: str,
        progress: float,
        stage: str,
        *,
        attempt: int | None = None,
        lease_s: float | None = None,
    ) -> bool:
        """Record that a running job reached ``progress`` (0..1) in ``stage``.

        Args:
            job_id: The job.
            progress: 0..1 (clipped).
            stage: The stage's name.
            attempt: Write only while this claim holds the job (``None``: any claim).
            lease_s: Renew the lease for this many seconds as well.

        Returns:
            Whether the job is running (under the claim ``attempt``): ``False`` tells a worker
            that the job was taken over, cancelled or finished elsewhere.
        """
        value = min(1.0, max(0.0, float(progress)))
        with self._write() as connection:
            return self._update_running(
                connection, job_id, attempt, progress=value, stage=stage, **self._beat(lease_s)
            )

    def heartbeat(
        self, job_id: str, *, attempt: int | None = None, lease_s: float | None = None
    ) -> bool:
        """Record that the worker running the job is alive; renew its lease when ``lease_s``.

        Returns:
            Whether the job is still running under the claim ``attempt`` (see
            :meth:`update_job_progress`).
        """
        with self._write() as connection:
            return self._update_running(connection, job_id, attempt, **self._beat(lease_s))

    def hold_job(self, connection: Connection, job_id: str, attempt: int, lease_s: float) -> bool:
        """In the caller's write transaction: renew the claim ``attempt`` on a running job.

        A result written in the same transaction lands only while the claim holds: on
        PostgreSQL the renewal locks the job's row until the commit (a takeover skips it), and
        on SQLite the transaction holds the write lock.

        Returns:
            Whether the claim still holds (when not, roll the transaction back).
        """
        return self._update_running(connection, job_id, attempt, **self._beat(lease_s))

    def is_cancel_requested(self, job_id: str) -> bool:
        """Whether a cancel was asked for the (running) job."""
        with self._read() as connection:
            value = connection.execute(
                select(jobs.c.cancel_requested).where(jobs.c.id == job_id)
            ).scalar_one_or_none()
        return bool(value)

    def finish_job(
        self,
        job_id: str,
        state: str,
        error: str | None = None,
        result: Mapping[str, Any] | None = None,
        *,
        attempt: int | None = None,
    ) -> bool:
        """Move a running job to a terminal state; returns whether it was running.

        Args:
            job_id: The job.
            state: ``succeeded``, ``failed`` or ``cancelled``.
            error: Why it failed.
            result: What it produced.
            attempt: Finish only while this claim holds the job (``None``: any claim); a
                worker whose job was taken over gets ``False`` and the job is left alone.

        Raises:
            InvalidInputError: If ``state`` is not terminal.
        """
        if state not in TERMINAL_JOB_STATES:
            raise InvalidInputError(
                f"A job finishes as one of {', '.join(sorted(TERMINAL_JOB_STATES))}. Got {state!r}."
            )
        values: dict[str, Any] = {
            "state": state,
            "error": error,
            "finished_at": utcnow(),
            "lease_expires_at": None,
        }
        if state == "succeeded":
            values |= {"progress": 1.0, "stage": "done"}
        if result is not None:
            values["result"] = dict(result)
        with self._write() as connection:
            return self._update_running(connection, job_id, attempt, **values)

    def release_job(self, job_id: str, *, attempt: int | None = None) -> bool:
        """Put a running job back in the queue without counting the attempt (graceful stop).

        Args:
            job_id: The job.
            attempt: Release only while this claim holds the job (``None``: any claim).
        """
        with self._write() as connection:
            return self._update_running(
                connection,
                job_id,
                attempt,
                state="queued",
                attempts=jobs.c.attempts - 1,
                progress=0.0,
                stage=None,
                started_at=None,
                heartbeat_at=None,
                lease_expires_at=None,
                worker=None,
            )
