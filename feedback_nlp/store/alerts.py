"""Alerts in the database: rules and their firings (once per rule and key).

* **Firings and their deliveries in one transaction.** :meth:`AlertStore.record_signals` inserts
  each signal's firing unless the rule fired for that ``dedup_key`` already (the unique key
  ``(rule_id, dedup_key)``, ``ON CONFLICT DO NOTHING``) and, in the same transaction, the
  delivery of a new firing of a rule with a webhook. A firing is never without its delivery,
  and a crash loses neither.
* **The outbox** (deliveries, their claims and attempts) is
  :mod:`feedback_nlp.store.alert_outbox`; **the schedule** (marked due by ingest and mining,
  claimed by one evaluator at a time) is :mod:`feedback_nlp.store.alert_schedule`.
  :class:`AlertStore` is all three.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update

from feedback_nlp.alert_records import AlertRule, Firing, Signal
from feedback_nlp.errors import NotFoundError
from feedback_nlp.store.alert_outbox import DELIVERED, FAILED, PENDING, AlertOutboxStore
from feedback_nlp.store.alert_schedule import AlertScheduleStore
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.schema import (
    alert_attempts,
    alert_deliveries,
    alert_firings,
    alert_rules,
    alert_schedule,
    workspaces,
)

__all__ = ["DELIVERED", "FAILED", "PENDING", "AlertStore"]


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


class AlertStore(AlertOutboxStore, AlertScheduleStore):
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
                f"The workspace has no alert rule {rule_id}. List its alert rules for their ids."
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

    def workspace_name(self, workspace_id: int) -> str:
        """The workspace's name (for the payloads)."""
        with self._read() as connection:
            name = connection.execute(
                select(workspaces.c.name).where(workspaces.c.id == workspace_id)
            ).scalar_one_or_none()
        if name is None:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        return str(name)
