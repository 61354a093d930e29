"""Job state in the database: create, claim, progress, cancel, finish, recover after a crash.

States: ``queued -> running -> succeeded | failed | cancelled`` (and ``queued -> cancelled``).
Any number of workers may share the database. A claim holds a job for a lease (``lease_s``
seconds, ``jobs.lease_expires_at``) that the worker renews with each heartbeat and progress
write; a claim takes the oldest job that is queued *or* running with a lease that has ended (a
takeover: its worker was killed or hangs), with one more attempt. A claim is atomic: on
PostgreSQL the row is picked with ``FOR UPDATE SKIP LOCKED`` (two claimers never wait on or get
the same row) and leases are timed by the database's clock; on SQLite the claim runs in a
``BEGIN IMMEDIATE`` transaction, which no other writer can interleave.

A claim is named by its job and attempt (``attempts`` grows with every claim and takeover, and a
released job's next claim has a higher one than any claim since). Every write of a running job
(progress, heartbeat, finish, release) can be made conditional on the claim
(``attempt=job.attempts``): once another worker took the job over, the old worker's writes are
refused (they return ``False``) and it stops. Every transition names the state it leaves, so a
late or duplicate call is a no-op.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, or_, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import JOB_KINDS, JOB_STATES, TERMINAL_JOB_STATES, JobRecord
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.claims import pick_one
from feedback_nlp.store.schema import jobs

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_MAX_ATTEMPTS", "JobStore"]

logger = logging.getLogger(__name__)

DEFAULT_LEASE_S = 120.0
"""Seconds a claim lasts unless renewed (the default of ``settings.jobs.lease_s``)."""

DEFAULT_MAX_ATTEMPTS = 3
"""Claims a job may have had and still be run again after its worker stopped."""

_CLAIM_PASSES = 20
"""Jobs one claim may settle or skip before it gives up for this call."""

_PG_CLAIM_LOCK = 0x6A6F6273  # "jobs": pg_try_advisory_xact_lock(key, workspace) while claiming


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
        lease_expires_at=row.lease_expires_at,
    )


def _interrupted(row: Any, max_attempts: int, how: str) -> str:
    return (
        f"interrupted: {how} (stage {row.stage or 'start'!r}, attempt {row.attempts} of "
        f"{max_attempts}); not retried again. Check the server log, then submit a new job."
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

    def _now(self) -> ColumnElement[datetime] | datetime:
        """The instant leases are timed by.

        The database's clock on PostgreSQL (workers on other hosts share it), this process's on
        SQLite (the processes that share a file share its host).
        """
        if self.dialect == "postgresql":
            return func.now()
        return utcnow()

    def _lease_until(self, lease_s: float) -> ColumnElement[datetime] | datetime:
        if self.dialect == "postgresql":
            return func.now() + literal(timedelta(seconds=lease_s))
        return utcnow() + timedelta(seconds=lease_s)

    def claim_next_job(
        self,
        worker: str | None = None,
        *,
        lease_s: float = DEFAULT_LEASE_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        one_per_workspace: bool = False,
        alive: Callable[[JobRecord], bool] | None = None,
    ) -> JobRecord | None:
        """Atomically claim the oldest job that is queued or whose lease ended; return it running.

        A running job whose lease ended (its worker stopped renewing it) is taken over with one
        more attempt; when it was asked to cancel it ends as ``cancelled`` instead, and when it has
        had ``max_attempts`` claims it ends as ``failed`` (with an ``interrupted`` reason), and
        the claim goes on to the next job.

        Args:
            worker: Identifies the claiming process (stored with the job for
                :meth:`recover_jobs`).
            lease_s: Seconds the claim lasts unless renewed (:meth:`heartbeat`).
            max_attempts: Claims a job may have had and still be taken over.
            one_per_workspace: Skip the jobs of a workspace while another of its jobs runs under
                a lease that has not ended (what job workers do: a workspace's mining runs
                must not overlap). On PostgreSQL a transaction-level advisory lock per workspace
                keeps two claimers from each taking one of a workspace's jobs at once.
            alive: With ``one_per_workspace``: whether the worker of a running job is still
                alive; a running job whose worker is not does not hold its workspace back (it
                waits for :meth:`recover_jobs`).

        Returns:
            The claimed job (``running``, its ``attempts`` naming this claim), or ``None`` when
            no job is there to claim.
        """
        gone: list[str] = []
        if one_per_workspace and alive is not None:
            with self._read() as connection:
                running = connection.execute(select(jobs).where(jobs.c.state == "running")).all()
            gone = [row.id for row in running if not alive(_job(row))]
        skipped: set[int] = set()  # workspaces held back in this claim
        with self._write() as connection:
            for _ in range(_CLAIM_PASSES):
                now = self._now()
                expired = and_(jobs.c.state == "running", jobs.c.lease_expires_at < now)
                pick = select(jobs).where(or_(jobs.c.state == "queued", expired))
                if one_per_workspace:
                    pick = pick.where(~self._held_back(jobs.c, now, gone))
                if skipped:
                    pick = pick.where(jobs.c.workspace_id.not_in(skipped))
                pick = pick_one(pick.order_by(jobs.c.created_at, jobs.c.id), self.dialect)
                row = connection.execute(pick).one_or_none()
                if row is None:
                    return None
                if one_per_workspace and self.dialect == "postgresql":
                    # The pick read a snapshot: another claimer may have claimed one of this
                    # workspace's jobs since. Take the workspace's lock, then look again.
                    key = (_PG_CLAIM_LOCK, int(row.workspace_id) % 2**31)
                    locked = connection.execute(
                        select(func.pg_try_advisory_xact_lock(*(cast(k, Integer) for k in key)))
                    ).scalar_one()
                    if not locked or self._is_held_back(connection, row, gone):
                        skipped.add(row.workspace_id)
                        continue
                if row.state == "queued":
                    claimable = jobs.c.state == "queued"
                    ended: dict[str, Any] | None = None
                else:
                    claimable = and_(expired, jobs.c.attempts == row.attempts)
                    ended = self._lease_ended(row, max_attempts)
                if ended is not None:
                    connection.execute(
                        update(jobs).where(jobs.c.id == row.id, claimable).values(ended)
                    )
                    logger.warning(
                        "job %s: the lease of worker %s ended (attempt %d); now %s",
                        row.id,
                        row.worker,
                        row.attempts,
                        ended["state"],
                    )
                    continue
                started = utcnow()
                claimed = connection.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, claimable)
                    .values(
                        state="running",
                        attempts=jobs.c.attempts + 1,
                        started_at=started,
                        heartbeat_at=started,
                        lease_expires_at=self._lease_until(lease_s),
                        progress=0.0,
                        stage=None,
                        error=None,
                        worker=worker,
                    )
                    .returning(jobs)
                ).one_or_none()
                if claimed is None:
                    return None  # not possible under the row lock / write lock; never a claim
                if row.state == "running":
                    logger.warning(
                        "job %s: taken over from worker %s, whose lease ended (attempt %d)",
                        row.id,
                        row.worker,
                        claimed.attempts,
                    )
                return _job(claimed)
        return None

    @staticmethod
    def _held_back(
        job: Any, now: ColumnElement[datetime] | datetime, gone: list[str]
    ) -> ColumnElement[bool]:
        """Whether another job of ``job``'s workspace runs under a lease that has not ended.

        ``job`` is the columns of ``jobs`` (in a query over it) or a row read before.
        """
        other = jobs.alias("other")
        return (
            select(other.c.id)
            .where(
                other.c.workspace_id == job.workspace_id,
                other.c.id != job.id,
                other.c.state == "running",
                or_(other.c.lease_expires_at.is_(None), other.c.lease_expires_at >= now),
                other.c.id.not_in(gone),
            )
            .exists()
        )

    def _is_held_back(self, connection: Connection, row: Any, gone: list[str]) -> bool:
        held = select(literal(1)).where(self._held_back(row, self._now(), gone))
        return connection.execute(held).first() is not None

    @staticmethod
    def _lease_ended(row: Any, max_attempts: int) -> dict[str, Any] | None:
        """How a running job whose lease ended ends instead of being taken over (``None``: not)."""
        if row.cancel_requested:
            return {"state": "cancelled", "finished_at": utcnow(), "lease_expires_at": None}
        if row.attempts >= max_attempts:
            return {
                "state": "failed",
                "finished_at": utcnow(),
                "lease_expires_at": None,
                "error": _interrupted(
                    row, max_attempts, "the worker's lease ended while the job ran"
                ),
            }
        return None

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
                values: dict[str, Any] = {"lease_expires_at": None}
                if row.cancel_requested:
                    values |= {"state": "cancelled", "finished_at": now}
                elif row.attempts < max_attempts:
                    values |= {"state": "queued", "progress": 0.0, "stage": None}
                else:
                    values |= {
                        "state": "failed",
                        "finished_at": now,
                        "error": _interrupted(
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
