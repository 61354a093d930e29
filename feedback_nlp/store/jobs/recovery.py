"""Recovering jobs left ``running`` by a worker that died: cancelled, queued again, or failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from feedback_nlp.domain import JobRecord
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.jobs.leases import DEFAULT_MAX_ATTEMPTS
from feedback_nlp.store.jobs.records import interrupted, job_record
from feedback_nlp.store.schema import jobs

__all__ = ["JobRecoveryStore"]


class JobRecoveryStore(StoreBase):
    """The recovery of jobs whose worker is gone."""

    def recover_jobs(
        self,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        *,
        alive: Callable[[JobRecord], bool] | None = None,
    ) -> list[str]:
        """Deal with jobs left ``running`` by a worker that died; returns their ids.

        A job that was asked to cancel becomes ``cancelled``; one with fewer than
        ``max_attempts`` attempts is queued again; the others become ``failed`` with a reason.
        (A job whose lease ended is also taken over by the next claim; this is the way for jobs
        whose worker is known to be gone before that, and for jobs claimed without a lease.)

        Args:
            max_attempts: Claims a job may have had and still be queued again.
            alive: Whether the worker running a job is still alive (those jobs are left alone);
                ``None`` treats every running job as abandoned, which is right only when no
                other worker can be running (see :mod:`feedback_nlp.jobs.liveness`).
        """
        # Liveness is judged outside the write transaction (it may read /proc for every job), and
        # the write lock is taken only when a job is to be recovered: a worker calls this often.
        with self._read() as connection:
            found = connection.execute(select(jobs).where(jobs.c.state == "running")).all()
        judged = {
            row.id: row.attempts for row in found if alive is None or not alive(job_record(row))
        }
        recovered: list[str] = []
        if not judged:
            return recovered
        with self._write() as connection:
            rows = connection.execute(
                select(jobs).where(jobs.c.id.in_(judged), jobs.c.state == "running")
            ).all()
            now = utcnow()
            for row in rows:
                if row.attempts != judged[row.id]:
                    continue  # claimed again since it was judged: not the same run any more
                values: dict[str, Any] = {"lease_expires_at": None}
                if row.cancel_requested:
                    values |= {"state": "cancelled", "finished_at": now}
                elif row.attempts < max_attempts:
                    values |= {"state": "queued", "progress": 0.0, "stage": None}
                else:
                    values |= {
                        "state": "failed",
                        "finished_at": now,
                        "error": interrupted(
                            row, max_attempts, "the worker stopped while the job ran"
                        ),
                    }
                done = connection.execute(
                    update(jobs)
                    .where(
                        jobs.c.id == row.id,
                        jobs.c.state == "running",
                        jobs.c.attempts == row.attempts,
                    )
                    .values(values)
                )
                if done.rowcount:
                    recovered.append(row.id)
        return recovered
