"""Claiming jobs: the oldest queued job, or a running one whose lease ended, for one worker.

A claim takes the oldest job that is queued *or* running with a lease that has ended (a
takeover: its worker was killed or hangs), with one more attempt; a job whose lease ended after
it was asked to cancel, or after its last allowed attempt, is settled instead and the claim goes
on. A claim is atomic: on PostgreSQL the row is picked with ``FOR UPDATE SKIP LOCKED``
(:mod:`feedback_nlp.store.claims`: two claimers never wait on or get the same row) and leases are
timed by the database's clock; on SQLite the claim runs in a ``BEGIN IMMEDIATE`` transaction,
which no other writer can interleave.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, or_, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import JobRecord
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.claims import pick_one
from feedback_nlp.store.jobs.leases import DEFAULT_LEASE_S, DEFAULT_MAX_ATTEMPTS, JobLeaseStore
from feedback_nlp.store.jobs.records import interrupted, job_record
from feedback_nlp.store.schema import jobs

__all__ = ["JobClaimStore"]

logger = logging.getLogger(__name__)

_CLAIM_PASSES = 20
"""Jobs one claim may settle or skip before it gives up for this call."""

_PG_CLAIM_LOCK = 0x6A6F6273  # "jobs": pg_try_advisory_xact_lock(key, workspace) while claiming


class JobClaimStore(JobLeaseStore):
    """Claims of jobs by workers, and takeovers of jobs whose lease ended."""

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
                :meth:`~feedback_nlp.store.jobs.JobStore.recover_jobs`).
            lease_s: Seconds the claim lasts unless renewed
                (:meth:`~feedback_nlp.store.jobs.JobStore.heartbeat`).
            max_attempts: Claims a job may have had and still be taken over.
            one_per_workspace: Skip the jobs of a workspace while another of its jobs runs under
                a lease that has not ended (what job workers do: a workspace's mining runs
                must not overlap). On PostgreSQL a transaction-level advisory lock per workspace
                keeps two claimers from each taking one of a workspace's jobs at once.
            alive: With ``one_per_workspace``: whether the worker of a running job is still
                alive; a running job whose worker is not does not hold its workspace back (it
                waits for :meth:`~feedback_nlp.store.jobs.JobStore.recover_jobs`).

        Returns:
            The claimed job (``running``, its ``attempts`` naming this claim), or ``None`` when
            no job is there to claim.
        """
        gone: list[str] = []
        if one_per_workspace and alive is not None:
            with self._read() as connection:
                running = connection.execute(select(jobs).where(jobs.c.state == "running")).all()
            gone = [row.id for row in running if not alive(job_record(row))]
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
                return job_record(claimed)
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
                "error": interrupted(
                    row, max_attempts, "the worker's lease ended while the job ran"
                ),
            }
        return None
