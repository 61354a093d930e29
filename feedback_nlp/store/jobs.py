"""Job state in the database: create, claim, progress, cancel, finish, recover after a crash.

States: ``queued -> running -> succeeded | failed | cancelled`` (and ``queued -> cancelled``).
A claim is atomic: on PostgreSQL the oldest queued row is locked with ``FOR UPDATE SKIP LOCKED``;
on SQLite the claim runs in a ``BEGIN IMMEDIATE`` transaction, which no other writer can
interleave. Every transition names the state it leaves, so a late or duplicate call is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import JOB_KINDS, JOB_STATES, TERMINAL_JOB_STATES, JobRecord
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.schema import jobs

__all__ = ["JobStore"]


def _job(row: Any) -> JobRecord:
    return JobRecord(
        id=row.id,
        workspace_id=row.workspace_id,
        kind=row.kind,
        params=dict(row.params),
        state=row.state,
        progress=float(row.progress),
        stage=row.stage,
        error=row.error,
        attempts=int(row.attempts),
        cancel_requested=bool(row.cancel_requested),
        result=None if row.result is None else dict(row.result),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at,
        worker=row.worker,
    )


class JobStore(StoreBase):
    """Jobs and their state machine."""

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
        return _job(row)

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
        return _job(row)

    def list_jobs(self, workspace_id: int, limit: int = 50) -> list[JobRecord]:
        """The workspace's most recent jobs, newest first."""
        with self._read() as connection:
            rows = connection.execute(
                select(jobs)
                .where(jobs.c.workspace_id == workspace_id)
                .order_by(jobs.c.created_at.desc(), jobs.c.id)
                .limit(limit)
            ).all()
        return [_job(row) for row in rows]

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
                return _job(row)
            row = connection.execute(
                update(jobs).where(jobs.c.id == job_id).values(values).returning(jobs)
            ).one()
        return _job(row)

    def claim_next_job(self, worker: str | None = None) -> JobRecord | None:
        """Atomically move the oldest queued job (any workspace) to ``running`` and return it.

        Args:
            worker: Identifies the claiming process (stored with the job for
                :meth:`recover_jobs`).
        """
        with self._write() as connection:
            pick = (
                select(jobs.c.id)
                .where(jobs.c.state == "queued")
                .order_by(jobs.c.created_at, jobs.c.id)
                .limit(1)
            )
            if self.dialect == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            job_id = connection.execute(pick).scalar_one_or_none()
            if job_id is None:
                return None
            now = utcnow()
            row = connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.state == "queued")
                .values(
                    state="running",
                    attempts=jobs.c.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    progress=0.0,
                    stage=None,
                    error=None,
                    worker=worker,
                )
                .returning(jobs)
            ).one_or_none()
        return None if row is None else _job(row)

    def _update_running(self, connection: Connection, job_id: str, **values: Any) -> bool:
        done = connection.execute(
            update(jobs).where(jobs.c.id == job_id, jobs.c.state == "running").values(**values)
        )
        return bool(done.rowcount)

    def update_job_progress(self, job_id: str, progress: float, stage: str) -> None:
        """Record that a running job reached ``progress`` (0..1) in ``stage``."""
        value = min(1.0, max(0.0, float(progress)))
        with self._write() as connection:
            self._update_running(
                connection, job_id, progress=value, stage=stage, heartbeat_at=utcnow()
            )

    def heartbeat(self, job_id: str) -> None:
        """Record that the worker running the job is alive."""
        with self._write() as connection:
            self._update_running(connection, job_id, heartbeat_at=utcnow())

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
    ) -> bool:
        """Move a running job to a terminal state; returns whether it was running.

        Raises:
            InvalidInputError: If ``state`` is not terminal.
        """
        if state not in TERMINAL_JOB_STATES:
            raise InvalidInputError(
                f"A job finishes as one of {', '.join(sorted(TERMINAL_JOB_STATES))}. Got {state!r}."
            )
        values: dict[str, Any] = {"state": state, "error": error, "finished_at": utcnow()}
        if state == "succeeded":
            values |= {"progress": 1.0, "stage": "done"}
        if result is not None:
            values["result"] = dict(result)
        with self._write() as connection:
            return self._update_running(connection, job_id, **values)

    def release_job(self, job_id: str) -> bool:
        """Put a running job back in the queue without counting the attempt (graceful stop)."""
        with self._write() as connection:
            return self._update_running(
                connection,
                job_id,
                state="queued",
                attempts=jobs.c.attempts - 1,
                progress=0.0,
                stage=None,
                started_at=None,
                heartbeat_at=None,
                worker=None,
            )

    def recover_jobs(
        self, max_attempts: int = 3, *, alive: Callable[[JobRecord], bool] | None = None
    ) -> list[str]:
        """Deal with jobs left ``running`` by a worker that died; returns their ids.

        A job that was asked to cancel becomes ``cancelled``; one with fewer than
        ``max_attempts`` attempts is queued again; the others become ``failed`` with a reason.

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
        judged = {row.id: row.attempts for row in found if alive is None or not alive(_job(row))}
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
                if row.cancel_requested:
                    values: dict[str, Any] = {"state": "cancelled", "finished_at": now}
                elif row.attempts < max_attempts:
                    values = {"state": "queued", "progress": 0.0, "stage": None}
                else:
                    values = {
                        "state": "failed",
                        "finished_at": now,
                        "error": (
                            f"interrupted: the worker stopped while the job ran (stage "
                            f"{row.stage or 'start'!r}, attempt {row.attempts} of {max_attempts}); "
                            "not retried again. Check the server log, then submit a new job."
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
