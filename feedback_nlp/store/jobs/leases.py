"""Job leases: their defaults, and the clock they are timed by.

A claim holds a job until ``jobs.lease_expires_at``; a worker renews it with each heartbeat and
progress write. :class:`JobLeaseStore` gives the instant leases are compared with and the
instant a new or renewed lease ends: the database's clock on PostgreSQL, this process's on
SQLite. Claims (:mod:`~feedback_nlp.store.jobs.claiming`) and the writes of a running job
(:mod:`~feedback_nlp.store.jobs.running`) build on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, literal

from feedback_nlp.store.base import StoreBase, utcnow

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_MAX_ATTEMPTS", "JobLeaseStore"]

DEFAULT_LEASE_S = 120.0
"""Seconds a claim lasts unless renewed (the default of ``settings.jobs.lease_s``)."""

DEFAULT_MAX_ATTEMPTS = 3
"""Claims a job may have had and still be run again after its worker stopped."""


class JobLeaseStore(StoreBase):
    """The clock of job leases, in this store's dialect."""

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
