"""How a store claims a row that several processes compete for: one pick, one conditional write.

Jobs (:meth:`~feedback_nlp.store.jobs.JobStore.claim_next_job`), webhook deliveries
(:meth:`~feedback_nlp.store.alert_outbox.AlertOutboxStore.claim_delivery`) and alert evaluations
(:meth:`~feedback_nlp.store.alert_schedule.AlertScheduleStore.claim_alert_evaluation`) are all
claimed the same way, inside one write transaction:

* :func:`pick_one` -- the first claimable row; on PostgreSQL locked ``FOR UPDATE SKIP LOCKED``, so
  concurrent claimers each get a different row instead of queueing on the same one (SQLite's
  ``BEGIN IMMEDIATE`` already lets one writer in at a time);
* :func:`lease_free` -- a row no live lease holds (never leased, or its lease has ended);
* :func:`unchanged` -- the compare-and-set condition of the write that makes the claim (or
  settles it): the row still has the value the claimer read, so a claimer that lost the row
  meanwhile changes nothing (its ``rowcount`` is 0).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_

__all__ = ["lease_free", "pick_one", "unchanged"]

S = TypeVar("S", bound=Select[Any])


def pick_one(query: S, dialect: str) -> S:
    """``query`` limited to its first row, which PostgreSQL locks, skipping rows held by others."""
    picked = query.limit(1)
    if dialect == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    return picked


def lease_free(lease_until: ColumnElement[Any], now: datetime) -> ColumnElement[bool]:
    """Whether no live lease holds the row: none was taken, or it ended by ``now``."""
    return or_(lease_until.is_(None), lease_until <= now)


def unchanged(column: ColumnElement[Any], seen: object) -> ColumnElement[bool]:
    """Whether ``column`` still holds ``seen`` (``NULL`` compared as ``IS NULL``)."""
    return column.is_(None) if seen is None else column == seen
