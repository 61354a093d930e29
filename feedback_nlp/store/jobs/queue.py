"""Jobs as the API and the CLI see them: queue one, read them, count them by state, cancel one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update

from feedback_nlp.domain import JOB_KINDS, JOB_STATES, JobRecord
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.jobs.records import job_record
from feedback_nlp.store.schema import jobs

__all__ = ["JobQueueStore"]


class JobQueueStore(StoreBase):
    """Queued jobs, their reads, and cancels."""

    def create_job(self, workspace_id: int, kind: str, params: Mapping[str, Any]) -> JobRecord:
        """Queue a job of ``kind`` with JSON ``params``.

        Raises:
            InvalidInputError: If the kind is unknown.
        """
        if kind not in JOB_KINDS:
            raise InvalidInputError(
                f"The job kind must be one of {', '.join(JOB_KINDS)}. Got {kind!r}."
            )
        values = {
            "id": str(uuid.uuid4()),
            "workspace_id": workspace_id,
            "kind": kind,
            "params": dict(params),
            "state": "queued",
            "progress": 0.0,
            "attempts": 0,
            "cancel_requested": False,
            "created_at": utcnow(),
        }
        with self._write() as connection:
            row = connection.execute(jobs.insert().values(values).returning(jobs)).one()
        return job_record(row)

    def get_job(self, workspace_id: int, job_id: str) -> JobRecord:
        """Return a job of this workspace.

        Raises:
            NotFoundError: If the workspace has no such job.
        """
        with self._read() as connection:
            row = connection.execute(
                select(jobs).where(jobs.c.id == job_id, jobs.c.workspace_id == workspace_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"No job has the id {job_id!r}.")
        return job_record(row)

    def list_jobs(self, workspace_id: int, limit: int = 50) -> list[JobRecord]:
        """The workspace's most recent jobs, newest first."""
        with self._read() as connection:
            rows = connection.execute(
                select(jobs)
                .where(jobs.c.workspace_id == workspace_id)
                .order_by(jobs.c.created_at.desc(), jobs.c.id)
                .limit(limit)
            ).all()
        return [job_record(row) for row in rows]

    def count_jobs_by_state(self) -> dict[str, int]:
        """Jobs per state, over all workspaces (every state present, zeros included)."""
        counts: dict[str, int] = dict.fromkeys(JOB_STATES, 0)
        with self._read() as connection:
            for state, count in connection.execute(
                select(jobs.c.state, func.count()).group_by(jobs.c.state)
            ):
                counts[state] = int(count)
        return counts

    def cancel_job(self, workspace_id: int, job_id: str) -> JobRecord:
        """Cancel a job: a queued one at once; a running one at its next stage boundary.

        A finished job is returned unchanged.

        Raises:
            NotFoundError: If the workspace has no such job.
        """
        with self._write() as connection:
            row = connection.execute(
                select(jobs).where(jobs.c.id == job_id, jobs.c.workspace_id == workspace_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"No job has the id {job_id!r}.")
            if row.state == "queued":
                values: dict[str, Any] = {"state": "cancelled", "finished_at": utcnow()}
            elif row.state == "running":
                values = {"cancel_requested": True}
            else:
                return job_record(row)
            row = connection.execute(
                update(jobs).where(jobs.c.id == job_id).values(values).returning(jobs)
            ).one()
        return job_record(row)
