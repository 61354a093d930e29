"""New feedback between mining runs: queueing its assignment, reading it, writing its units.

Ingest calls :meth:`AssignmentStore.queue_assignment` after each batch that created or changed
items: when the workspace was mined and no ``assign`` job of it is queued yet, one is queued (so
the batches of a bulk ingest coalesce into the job that waits, the debounce of the alert
schedule's marks without a table of its own). The job worker runs it
(:mod:`feedback_nlp.jobs.assign`) under the job lease, never at the same time as a mining run of
the workspace (one job per workspace). The job reads :meth:`AssignmentStore.assignment_items`
(items of the latest run's filters, written since it started, without units) and writes their
units with :meth:`AssignmentStore.insert_assigned_units` in the transaction that replays the
taxonomy on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import FeedbackFilter, MinedUnit, MiningItem
from feedback_nlp.store.base import StoreBase, chunks, utcnow
from feedback_nlp.store.mining import insert_units, mining_items_query, read_mining_items
from feedback_nlp.store.schema import feedback_items, jobs, mining_runs, opinion_units, themes

__all__ = ["ASSIGN_KIND", "AssignmentStore", "LatestRun"]

ASSIGN_KIND = "assign"
"""The job kind that assigns new feedback to the latest run's themes."""


@dataclass(frozen=True, slots=True)
class LatestRun:
    """The latest mining run of a workspace, as an assignment pass needs it.

    Attributes:
        run_id: Its id.
        embedder: The embedder it used (new units are embedded with the same one).
        config: Its recorded configuration (``params``: the job's parameters and filters).
        started_at: When it started: items written since may lack units.
    """

    run_id: int
    embedder: str
    config: dict[str, Any]
    started_at: datetime


class AssignmentStore(StoreBase):
    """Queueing and writing the assignment of new feedback to the latest run's themes."""

    def latest_mining_run(self, workspace_id: int) -> LatestRun | None:
        """The workspace's latest mining run (``None``: never mined)."""
        with self._read() as connection:
            return self._latest_run(connection, workspace_id)

    def _latest_run(self, connection: Connection, workspace_id: int) -> LatestRun | None:
        run = mining_runs.c
        row = connection.execute(
            select(run.id, run.embedder, run.config, run.started_at)
            .where(run.workspace_id == workspace_id)
            .order_by(run.id.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            return None
        return LatestRun(int(row.id), str(row.embedder), dict(row.config or {}), row.started_at)

    def queue_assignment(self, workspace_id: int) -> bool:
        """Queue an ``assign`` job unless the workspace was never mined or one is queued already.

        Looked up in a read transaction first, so the batches that find a job waiting (most of
        a bulk load) take no write lock.

        Returns:
            Whether a job was queued.
        """
        with self._read() as connection:
            if not self._assignment_wanted(connection, workspace_id):
                return False
        with self._write() as connection:
            if not self._assignment_wanted(connection, workspace_id):
                return False
            connection.execute(
                jobs.insert().values(
                    id=str(uuid.uuid4()),
                    workspace_id=workspace_id,
                    kind=ASSIGN_KIND,
                    params={},
                    state="queued",
                    progress=0.0,
                    attempts=0,
                    cancel_requested=False,
                    created_at=utcnow(),
                )
            )
        return True

    def _assignment_wanted(self, connection: Connection, workspace_id: int) -> bool:
        """Whether the workspace was mined and has no ``assign`` job waiting."""
        mined = connection.execute(
            select(mining_runs.c.id).where(mining_runs.c.workspace_id == workspace_id).limit(1)
        ).first()
        if mined is None:
            return False
        waiting = connection.execute(
            select(jobs.c.id)
            .where(
                jobs.c.workspace_id == workspace_id,
                jobs.c.kind == ASSIGN_KIND,
                jobs.c.state == "queued",
            )
            .limit(1)
        ).first()
        return waiting is None

    def assignment_items(
        self, workspace_id: int, run: LatestRun, filters: FeedbackFilter
    ) -> list[MiningItem]:
        """Items of ``filters`` (the run's) written since ``run`` started that have no units."""
        items = feedback_items.c
        has_units = select(opinion_units.c.id).where(opinion_units.c.item_id == items.id).exists()
        query = (
            mining_items_query(workspace_id, filters)
            .where(items.updated_at >= run.started_at, ~has_units)
            .order_by(items.id)
        )
        with self._read() as connection:
            return read_mining_items(connection, query)

    def insert_assigned_units(
        self, connection: Connection, workspace_id: int, run_id: int, units: Sequence[MinedUnit]
    ) -> list[MinedUnit]:
        """Write new units into run ``run_id`` (their themes as given), in the caller's transaction.

        Units of an item that has units by now, or whose text changed since it was read, are
        left out (the next pass, or the next mine, splits it again). The items written get a new
        ``updated_at``, so the incremental analytics state reads them again with their units.

        Returns:
            The units written.
        """
        wanted = sorted({unit.item_id for unit in units})
        current: dict[int, str] = {}
        taken: set[int] = set()
        for part in chunks(wanted):
            for row in connection.execute(
                select(feedback_items.c.id, feedback_items.c.text_hash).where(
                    feedback_items.c.workspace_id == workspace_id, feedback_items.c.id.in_(part)
                )
            ):
                current[int(row.id)] = str(row.text_hash)
            taken.update(
                int(item_id)
                for (item_id,) in connection.execute(
                    select(opinion_units.c.item_id).where(opinion_units.c.item_id.in_(part))
                )
            )
        kept = [
            unit
            for unit in units
            if unit.item_id not in taken and current.get(unit.item_id) == unit.text_hash
        ]
        insert_units(connection, workspace_id, run_id, kept)
        now = utcnow()
        for ids in chunks(sorted({u.item_id for u in kept})):
            connection.execute(
                update(feedback_items)
                .where(feedback_items.c.workspace_id == workspace_id, feedback_items.c.id.in_(ids))
                .values(updated_at=now)
            )
        return kept

    def add_theme_members(
        self,
        connection: Connection,
        workspace_id: int,
        members: dict[str, tuple[int, dict[str, int]]],
    ) -> None:
        """Set each theme's ``size`` and ``languages`` (``theme -> (size, {lang: count})``).

        In the caller's transaction, as an assignment pass without edits to replay leaves
        them: its ``updated_at`` stays, since no unit changed theme (the analytics state reads
        the new units through their items' ``updated_at``).
        """
        for theme_id, (size, languages) in members.items():
            connection.execute(
                update(themes)
                .where(themes.c.workspace_id == workspace_id, themes.c.theme_id == theme_id)
                .values(size=size, languages=languages)
            )

    def run_theme_ids(self, workspace_id: int, run_id: int) -> set[str]:
        """The themes run ``run_id`` found (as mined: merged or ignored since, they still count).

        The registry's ``active`` flag is not that: a theme merged away is stored inactive.
        """
        t = themes.c
        with self._read() as connection:
            rows = connection.execute(
                select(t.theme_id).where(
                    t.workspace_id == workspace_id,
                    t.level == 0,
                    t.origin == "mined",
                    t.last_seen_run == run_id,
                )
            ).all()
        return {str(row.theme_id) for row in rows}

    def latest_run_in(self, connection: Connection, workspace_id: int) -> int | None:
        """The latest mining run's id, read in the caller's transaction."""
        run = self._latest_run(connection, workspace_id)
        return None if run is None else run.run_id
