"""The webhook outbox in the database: deliveries, their claims and their attempt logs.

A firing of a rule with a webhook gets a delivery in the transaction that stores the firing
(:meth:`~feedback_nlp.store.alerts.AlertStore.record_signals`), holding the exact body to send.
:meth:`AlertOutboxStore.claim_delivery` hands a due, pending delivery to one deliverer with a
lease (:mod:`feedback_nlp.store.claims`: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite); another deliverer may take it only once the lease has ended.
:meth:`AlertOutboxStore.finish_attempt` logs the attempt and, on a 2xx, marks it delivered: a
delivered row is never claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from feedback_nlp.alert_records import Attempt, ClaimedDelivery, Delivery
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.claims import lease_free, pick_one, unchanged
from feedback_nlp.store.schema import alert_attempts, alert_deliveries, alert_rules

__all__ = ["DELIVERED", "FAILED", "PENDING", "AlertOutboxStore"]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _delivery(row: Any, log: Sequence[Attempt] = ()) -> Delivery:
    return Delivery(
        id=row.id,
        workspace_id=int(row.workspace_id),
        firing_id=int(row.firing_id),
        rule_id=int(row.rule_id),
        url=row.url,
        status=row.status,
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        log=tuple(log),
    )


class AlertOutboxStore(StoreBase):
    """The webhook deliveries of every workspace: listings, claims, attempts."""

    def list_alert_deliveries(
        self,
        workspace_id: int,
        *,
        rule_id: int | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """The workspace's deliveries, newest first, each with its attempt log."""
        query = select(alert_deliveries).where(alert_deliveries.c.workspace_id == workspace_id)
        if rule_id is not None:
            query = query.where(alert_deliveries.c.rule_id == rule_id)
        if status is not None:
            query = query.where(alert_deliveries.c.status == status)
        query = query.order_by(alert_deliveries.c.created_at.desc(), alert_deliveries.c.id)
        with self._read() as connection:
            rows = connection.execute(query.limit(limit)).all()
            logs: dict[str, list[Attempt]] = {row.id: [] for row in rows}
            if logs:
                attempts = connection.execute(
                    select(alert_attempts)
                    .where(alert_attempts.c.delivery_id.in_(list(logs)))
                    .order_by(alert_attempts.c.delivery_id, alert_attempts.c.attempt)
                )
                for a in attempts:
                    logs[a.delivery_id].append(
                        Attempt(a.attempt, a.at, a.status_code, a.error, float(a.duration_ms))
                    )
        return [_delivery(row, logs[row.id]) for row in rows]

    def claim_delivery(
        self, lease_s: float, *, now: datetime | None = None
    ) -> ClaimedDelivery | None:
        """Take the most overdue pending delivery that no live lease holds, for ``lease_s``.

        Returns:
            The delivery, or ``None`` when nothing is due.
        """
        now = now or utcnow()
        lease_until = now + timedelta(seconds=lease_s)
        with self._write() as connection:
            pick = pick_one(
                select(alert_deliveries.c.id)
                .where(
                    alert_deliveries.c.status == PENDING,
                    alert_deliveries.c.next_attempt_at <= now,
                    lease_free(alert_deliveries.c.lease_until, now),
                )
                .order_by(alert_deliveries.c.next_attempt_at, alert_deliveries.c.id),
                self.dialect,
            )
            delivery_id = connection.execute(pick).scalar_one_or_none()
            if delivery_id is None:
                return None
            connection.execute(
                update(alert_deliveries)
                .where(alert_deliveries.c.id == delivery_id)
                .values(lease_until=lease_until)
            )
            row = connection.execute(
                select(
                    alert_deliveries.c.id,
                    alert_deliveries.c.workspace_id,
                    alert_deliveries.c.url,
                    alert_deliveries.c.body,
                    alert_deliveries.c.attempts,
                    alert_rules.c.secret,
                )
                .join(alert_rules, alert_rules.c.id == alert_deliveries.c.rule_id)
                .where(alert_deliveries.c.id == delivery_id)
            ).one()
        return ClaimedDelivery(
            id=row.id,
            workspace_id=int(row.workspace_id),
            url=row.url,
            body=row.body,
            secret=row.secret or "",
            attempts=int(row.attempts),
            lease_until=lease_until,
        )

    def finish_attempt(
        self,
        claimed: ClaimedDelivery,
        *,
        at: datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        retry_at: datetime | None,
    ) -> bool:
        """Log one attempt of a claimed delivery and settle it.

        A 2xx ``status_code`` marks it delivered; otherwise it is due again at ``retry_at``, or
        failed for good when ``retry_at`` is ``None``.

        Returns:
            Whether the claim still held (``False``: its lease ended and another deliverer took
            it over; only the attempt is logged then).
        """
        delivered = status_code is not None and 200 <= status_code < 300
        attempt = claimed.attempts + 1
        with self._write() as connection:
            connection.execute(
                alert_attempts.insert().values(
                    delivery_id=claimed.id,
                    workspace_id=claimed.workspace_id,
                    attempt=attempt,
                    at=at,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            values: dict[str, Any] = {
                "attempts": attempt,
                "lease_until": None,
                "last_status_code": status_code,
                "last_error": error,
            }
            if delivered:
                values.update(status=DELIVERED, delivered_at=at)
            elif retry_at is None:
                values.update(status=FAILED)
            else:
                values.update(next_attempt_at=retry_at)
            held = connection.execute(
                update(alert_deliveries)
                .where(
                    alert_deliveries.c.id == claimed.id,
                    alert_deliveries.c.status == PENDING,
                    unchanged(alert_deliveries.c.lease_until, claimed.lease_until),
                )
                .values(**values)
            ).rowcount
        return bool(held)
