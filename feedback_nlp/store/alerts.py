"""Alerts in the database: rules, firings (once per rule and key), webhook outbox, schedule.

* **Firings and their deliveries in one transaction.** :meth:`AlertStore.record_signals` inserts
  each signal's firing unless the rule fired for that ``dedup_key`` already (the unique key
  ``(rule_id, dedup_key)``, ``ON CONFLICT DO NOTHING``) and, in the same transaction, the
  delivery of a new firing of a rule with a webhook. A firing is never without its delivery,
  and a crash loses neither.
* **Claims.** :meth:`AlertStore.claim_delivery` hands a due, pending delivery to one deliverer
  with a lease (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE``); another
  deliverer may take it only once the lease has ended. :meth:`AlertStore.finish_attempt` logs the
  attempt and, on a 2xx, marks it delivered: a delivered row is never claimed again.
* **The schedule.** :meth:`AlertStore.mark_alerts_due` is what ingest and mining call: one
  ``UPDATE`` of the workspace's ``alert_schedule`` row, which exists only while the workspace
  has rules (so a workspace without rules pays a no-op). :meth:`AlertStore.claim_alert_evaluation`
  lets one evaluator at a time in, at most once per debounce interval.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.alerts.records import Attempt, ClaimedDelivery, Delivery, Firing, Signal
from feedback_nlp.alerts.rules import AlertRule
from feedback_nlp.errors import NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.schema import (
    alert_attempts,
    alert_deliveries,
    alert_firings,
    alert_rules,
    alert_schedule,
    workspaces,
)

__all__ = ["DELIVERED", "FAILED", "PENDING", "AlertStore"]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def _rule(row: Any) -> AlertRule:
    return AlertRule(
        id=int(row.id),
        workspace_id=int(row.workspace_id),
        name=row.name,
        kind=row.kind,
        params=dict(row.params),
        webhook_url=row.webhook_url,
        secret=row.secret,
        enabled=bool(row.enabled),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _firing(row: Any) -> Firing:
    return Firing(
        id=int(row.id),
        workspace_id=int(row.workspace_id),
        rule_id=int(row.rule_id),
        dedup_key=row.dedup_key,
        subject=row.subject,
        period=row.period,
        message=row.message,
        details=dict(row.details),
        fired_at=row.fired_at,
    )


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


class AlertStore(StoreBase):
    """Rules, firings, deliveries and the evaluation schedule of every workspace."""

    # --- rules -------------------------------------------------------------------------------

    def create_alert_rule(
        self,
        workspace_id: int,
        *,
        name: str,
        kind: str,
        params: dict[str, Any],
        webhook_url: str | None,
        secret: str | None,
        enabled: bool = True,
        created_by: str | None = None,
    ) -> AlertRule:
        """Store a rule (checked by the caller) and put the workspace on the schedule."""
        now = utcnow()
        with self._write() as connection:
            rule_id = connection.execute(
                alert_rules.insert()
                .values(
                    workspace_id=workspace_id,
                    name=name,
                    kind=kind,
                    params=params,
                    webhook_url=webhook_url,
                    secret=secret,
                    enabled=enabled,
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                )
                .returning(alert_rules.c.id)
            ).scalar_one()
            # Due at once: a new rule looks at the data that is already there.
            connection.execute(
                self._insert(alert_schedule)
                .values(workspace_id=workspace_id, marked_at=now, evaluated_at=None)
                .on_conflict_do_update(index_elements=["workspace_id"], set_={"marked_at": now})
            )
        return self.get_alert_rule(workspace_id, int(rule_id))

    def get_alert_rule(self, workspace_id: int, rule_id: int) -> AlertRule:
        """One rule of the workspace.

        Raises:
            NotFoundError: If the workspace has no rule with this id.
        """
        with self._read() as connection:
            row = connection.execute(
                select(alert_rules).where(
                    alert_rules.c.workspace_id == workspace_id, alert_rules.c.id == rule_id
                )
            ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"The workspace has no alert rule {rule_id}. List them with GET /v1/alerts/rules."
            )
        return _rule(row)

    def list_alert_rules(self, workspace_id: int, *, enabled_only: bool = False) -> list[AlertRule]:
        """The workspace's rules, oldest first."""
        query = select(alert_rules).where(alert_rules.c.workspace_id == workspace_id)
        if enabled_only:
            query = query.where(alert_rules.c.enabled.is_(True))
        with self._read() as connection:
            rows = connection.execute(query.order_by(alert_rules.c.id)).all()
        return [_rule(row) for row in rows]

    def update_alert_rule(self, workspace_id: int, rule_id: int, **values: Any) -> AlertRule:
        """Change a rule's columns (checked by the caller); due again when it stays enabled.

        Raises:
            NotFoundError: If the workspace has no rule with this id.
        """
        now = utcnow()
        with self._write() as connection:
            changed = connection.execute(
                update(alert_rules)
                .where(alert_rules.c.workspace_id == workspace_id, alert_rules.c.id == rule_id)
                .values(**values, updated_at=now)
            ).rowcount
            if changed:
                self._mark(connection, workspace_id, now)
        if not changed:
            self.get_alert_rule(workspace_id, rule_id)  # raises NotFoundError
        return self.get_alert_rule(workspace_id, rule_id)

    def delete_alert_rule(self, workspace_id: int, rule_id: int) -> None:
        """Delete a rule with its firings and deliveries (pending ones are not sent).

        Raises:
            NotFoundError: If the workspace has no rule with this id.
        """
        with self._write() as connection:
            firing_ids = select(alert_firings.c.id).where(alert_firings.c.rule_id == rule_id)
            delivery_ids = select(alert_deliveries.c.id).where(
                alert_deliveries.c.firing_id.in_(firing_ids)
            )
            gone = connection.execute(
                delete(alert_rules).where(
                    alert_rules.c.workspace_id == workspace_id, alert_rules.c.id == rule_id
                )
            ).rowcount
            if gone:  # explicit, not only the cascade: SQLite files made without FKs too
                connection.execute(
                    delete(alert_attempts).where(alert_attempts.c.delivery_id.in_(delivery_ids))
                )
                connection.execute(
                    delete(alert_deliveries).where(alert_deliveries.c.firing_id.in_(firing_ids))
                )
                connection.execute(delete(alert_firings).where(alert_firings.c.rule_id == rule_id))
                left = connection.execute(
                    select(func.count())
                    .select_from(alert_rules)
                    .where(alert_rules.c.workspace_id == workspace_id)
                ).scalar_one()
                if not left:
                    connection.execute(
                        delete(alert_schedule).where(alert_schedule.c.workspace_id == workspace_id)
                    )
        if not gone:
            self.get_alert_rule(workspace_id, rule_id)  # raises NotFoundError

    # --- firings -----------------------------------------------------------------------------

    def record_signals(
        self,
        workspace_id: int,
        signals: Sequence[Signal],
        payload: Callable[[AlertRule, Firing, str], bytes],
    ) -> list[Firing]:
        """Store the signals that are new as firings, with their webhook deliveries.

        Args:
            workspace_id: The workspace evaluated.
            signals: From :func:`~feedback_nlp.alerts.evaluate.evaluate_rules`.
            payload: ``payload(rule, firing, delivery_id) -> bytes``, the JSON body of a
                delivery (built here, inside the transaction, so the outbox holds its bytes).

        Returns:
            The firings made now (signals of a rule and key that fired before are skipped).
        """
        if not signals:
            return []
        now = utcnow()
        made: list[Firing] = []
        with self._write() as connection:
            rules = {
                rule.id: rule
                for rule in (
                    _rule(row)
                    for row in connection.execute(
                        select(alert_rules).where(alert_rules.c.workspace_id == workspace_id)
                    )
                )
            }
            for signal in signals:
                rule = rules.get(signal.rule_id)
                if rule is None:  # deleted meanwhile
                    continue
                firing_id = connection.execute(
                    self._insert(alert_firings)
                    .values(
                        workspace_id=workspace_id,
                        rule_id=signal.rule_id,
                        dedup_key=signal.dedup_key[:300],
                        subject=signal.subject[:200],
                        period=signal.period,
                        message=signal.message,
                        details=signal.values,
                        fired_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["rule_id", "dedup_key"])
                    .returning(alert_firings.c.id)
                ).scalar_one_or_none()
                if firing_id is None:
                    continue  # fired before
                firing = Firing(
                    id=int(firing_id),
                    workspace_id=workspace_id,
                    rule_id=rule.id,
                    dedup_key=signal.dedup_key[:300],
                    subject=signal.subject[:200],
                    period=signal.period,
                    message=signal.message,
                    details=dict(signal.values),
                    fired_at=now,
                )
                made.append(firing)
                if rule.webhook_url:
                    delivery_id = str(uuid.uuid4())
                    body: bytes = payload(rule, firing, delivery_id)
                    connection.execute(
                        alert_deliveries.insert().values(
                            id=delivery_id,
                            workspace_id=workspace_id,
                            firing_id=firing.id,
                            rule_id=rule.id,
                            url=rule.webhook_url,
                            body=body.decode("utf-8"),
                            status=PENDING,
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
        return made

    def list_alert_firings(
        self, workspace_id: int, *, rule_id: int | None = None, limit: int = 100
    ) -> list[Firing]:
        """The workspace's firings, newest first."""
        query = select(alert_firings).where(alert_firings.c.workspace_id == workspace_id)
        if rule_id is not None:
            query = query.where(alert_firings.c.rule_id == rule_id)
        query = query.order_by(alert_firings.c.id.desc()).limit(limit)
        with self._read() as connection:
            return [_firing(row) for row in connection.execute(query)]

    # --- deliveries --------------------------------------------------------------------------

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
            pick = (
                select(alert_deliveries.c.id)
                .where(
                    alert_deliveries.c.status == PENDING,
                    alert_deliveries.c.next_attempt_at <= now,
                    or_(
                        alert_deliveries.c.lease_until.is_(None),
                        alert_deliveries.c.lease_until <= now,
                    ),
                )
                .order_by(alert_deliveries.c.next_attempt_at, alert_deliveries.c.id)
                .limit(1)
            )
            if self.dialect == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
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
                    alert_deliveries.c.lease_until == claimed.lease_until,
                )
                .values(**values)
            ).rowcount
        return bool(held)

    # --- schedule ----------------------------------------------------------------------------

    def mark_alerts_due(self, workspace_id: int) -> None:
        """Note that the workspace's data changed (a no-op for a workspace without rules)."""
        with self._write() as connection:
            self._mark(connection, workspace_id, utcnow())

    def _mark(self, connection: Connection, workspace_id: int, now: datetime) -> None:
        connection.execute(
            update(alert_schedule)
            .where(alert_schedule.c.workspace_id == workspace_id)
            .values(marked_at=now)
        )

    def alerts_due(self, debounce_s: float, *, now: datetime | None = None) -> list[int]:
        """Workspaces marked since their last evaluation began, and not evaluated lately.

        Args:
            debounce_s: A workspace is evaluated at most once per this many seconds.
            now: The current instant (default: the clock).
        """
        now = now or utcnow()
        quiet = now - timedelta(seconds=debounce_s)
        schedule = alert_schedule.c
        with self._read() as connection:
            rows = connection.execute(
                select(schedule.workspace_id)
                .where(
                    schedule.marked_at.is_not(None),
                    or_(
                        schedule.evaluated_at.is_(None),
                        (schedule.marked_at >= schedule.evaluated_at)
                        & (schedule.evaluated_at <= quiet),
                    ),
                )
                .order_by(schedule.workspace_id)
            ).all()
        return [int(row.workspace_id) for row in rows]

    def claim_alert_evaluation(self, workspace_id: int, *, now: datetime | None = None) -> bool:
        """Start an evaluation of the workspace's rules, unless another one started meanwhile.

        The evaluation's start becomes ``evaluated_at``: a mark made while it runs is later,
        so the workspace is due again afterwards and nothing written meanwhile is missed.
        """
        now = now or utcnow()
        schedule = alert_schedule.c
        with self._write() as connection:
            seen = connection.execute(
                select(schedule.evaluated_at).where(schedule.workspace_id == workspace_id)
            ).one_or_none()
            if seen is None:
                return False
            match = (
                schedule.evaluated_at.is_(None)
                if seen.evaluated_at is None
                else schedule.evaluated_at == seen.evaluated_at
            )
            claimed = connection.execute(
                update(alert_schedule)
                .where(schedule.workspace_id == workspace_id, match)
                .values(evaluated_at=now)
            ).rowcount
        return bool(claimed)

    def workspace_name(self, workspace_id: int) -> str:
        """The workspace's name (for the payloads)."""
        with self._read() as connection:
            name = connection.execute(
                select(workspaces.c.name).where(workspaces.c.id == workspace_id)
            ).scalar_one_or_none()
        if name is None:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        return str(name)
