"""When a workspace's alert rules are evaluated: marked due by ingest and mining, claimed once.

:meth:`AlertScheduleStore.mark_alerts_due` is what ingest and mining call: one ``UPDATE`` of the
workspace's ``alert_schedule`` row, which exists only while the workspace has rules (so a
workspace without rules pays a no-op). :meth:`AlertScheduleStore.claim_alert_evaluation` lets
one evaluator at a time in (a compare-and-set on ``evaluated_at``,
:mod:`feedback_nlp.store.claims`), at most once per debounce interval
(:meth:`AlertScheduleStore.alerts_due`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.claims import unchanged
from feedback_nlp.store.schema import alert_schedule

__all__ = ["AlertScheduleStore"]


class AlertScheduleStore(StoreBase):
    """The alert evaluation schedule of every workspace."""

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
            claimed = connection.execute(
                update(alert_schedule)
                .where(
                    schedule.workspace_id == workspace_id,
                    unchanged(schedule.evaluated_at, seen.evaluated_at),
                )
                .values(evaluated_at=now)
            ).rowcount
        return bool(claimed)
