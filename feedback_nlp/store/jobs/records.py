"""Job rows as :class:`~feedback_nlp.domain.JobRecord`, and the reason an interrupted job gives."""

from __future__ import annotations

from typing import Any

from feedback_nlp.domain import JobRecord

__all__ = ["interrupted", "job_record"]


def job_record(row: Any) -> JobRecord:
    """The record of a row of ``jobs``."""
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


def interrupted(row: Any, max_attempts: int, how: str) -> str:
    """The error of a job that failed because its worker stopped (``how``) one time too many."""
    return (
        f"interrupted: {how} (stage {row.stage or 'start'!r}, attempt {row.attempts} of "
        f"{max_attempts}); not retried again. Check the server log, then submit a new job."
    )
