"""Taxonomy edits in the database: the operation log, the base a replay reads, what it writes.

Every write of a workspace's taxonomy (an edit, an undo, the replay after a mining run) runs in
one write transaction that first takes the workspace's taxonomy lock (:meth:`TaxonomyStore.
lock_taxonomy`: on PostgreSQL a transaction-level advisory lock per workspace; SQLite's
``BEGIN IMMEDIATE`` already lets one writer in at a time), reads the base and the operations,
replays them and writes only what changed. Two edits of the same workspace are so serialised:
the second one reads the first one's result. Unit assignments are written as they change; theme
rows that changed get a new ``updated_at``, which is what tells the analytics state
(:mod:`feedback_nlp.analytics.state`) to reload the units' themes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Connection

from feedback_nlp.store.base import StoreBase, chunks, utcnow
from feedback_nlp.store.schema import (
    feedback_items,
    mining_runs,
    opinion_units,
    taxonomy_operations,
    theme_history,
    themes,
)
from feedback_nlp.taxonomy_records import (
    Operation,
    ReplayResult,
    TaxonomyBase,
    ThemeState,
    UnitTable,
    unit_key,
)
from feedback_nlp.themes.cluster import auto_min_theme_size

__all__ = ["TAXONOMY_LOCK", "TaxonomyStore"]

TAXONOMY_LOCK = 0x74617879  # "taxy": pg_advisory_xact_lock(TAXONOMY_LOCK, workspace_id)
_EVENTS = {
    "merge": "merged",
    "split": "split",
    "move": "moved",
    "ignore": "ignored",
    "seed": "seeded",
    "rename": "renamed",
}
_DEFAULT_SHARE = 0.002
_DEFAULT_FLOOR = 5


def _operation(row: Any) -> Operation:
    return Operation(
        seq=int(row.seq),
        kind=row.kind,
        params=dict(row.params),
        actor=row.actor,
        created_at=row.created_at,
        status=row.status,
        effect=dict(row.effect or {}),
        note=row.note,
        run_id=row.run_id,
        undone_at=row.undone_at,
        undone_by=row.undone_by,
    )


def _theme_state(row: Any) -> ThemeState:
    quotes = [dict(q) for q in row.quotes]
    return ThemeState(
        theme_id=row.theme_id,
        level=int(row.level),
        label=dict(row.label),
        keyphrases={lang: list(p) for lang, p in row.keyphrases.items()},
        quotes=quotes,
        mined_quotes=quotes if row.mined_quotes is None else [dict(q) for q in row.mined_quotes],
        languages={lang: int(n) for lang, n in row.languages.items()},
        parent_id=row.parent_id,
        size=int(row.size),
        confidence=row.confidence,
        active=bool(row.active),
        custom_label=row.custom_label,
        origin=row.origin,
        ignored=bool(row.ignored),
        created_by_op=row.created_by_op,
        retired_by_op=row.retired_by_op,
        first_seen_run=row.first_seen_run,
        last_seen_run=row.last_seen_run,
        accept_similarity=row.accept_similarity,
    )


def min_theme_size_of(config: dict[str, Any], n_units: int) -> int:
    """The smallest theme size a mining run used, from its stored config."""
    params = config.get("params") or {}
    if params.get("min_theme_size"):
        return int(params["min_theme_size"])
    clusterer = (config.get("miner") or {}).get("clusterer") or {}
    if clusterer.get("min_theme_size"):
        return int(clusterer["min_theme_size"])
    share = float(clusterer.get("min_theme_share", _DEFAULT_SHARE))
    return auto_min_theme_size(n_units, share=share, floor=_DEFAULT_FLOOR)


class TaxonomyStore(StoreBase):
    """The operation log and the rows the taxonomy replay reads and writes."""

    # --- transactions ------------------------------------------------------------------------

    @contextmanager
    def taxonomy_write(self, workspace_id: int) -> Iterator[Connection]:
        """A write transaction holding the workspace's taxonomy lock."""
        with self._write() as connection:
            self.lock_taxonomy(connection, workspace_id)
            yield connection

    @contextmanager
    def taxonomy_read(self) -> Iterator[Connection]:
        """A read transaction (previews: nothing is written)."""
        with self._read() as connection:
            yield connection

    def lock_taxonomy(self, connection: Connection, workspace_id: int) -> None:
        """Serialise taxonomy writes of one workspace until the transaction ends."""
        if self.dialect == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, :workspace)"),
                {"key": TAXONOMY_LOCK, "workspace": workspace_id},
            )

    def workspace_embedder(self, workspace_id: int) -> str | None:
        """The embedder of the workspace's latest mining run (``None``: never mined)."""
        with self._read() as connection:
            name = connection.execute(
                select(mining_runs.c.embedder)
                .where(mining_runs.c.workspace_id == workspace_id)
                .order_by(mining_runs.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return None if name is None else str(name)

    # --- operations --------------------------------------------------------------------------

    def list_operations(self, workspace_id: int) -> list[Operation]:
        """The workspace's taxonomy operations, in order (undone ones included)."""
        with self._read() as connection:
            return self.read_operations(connection, workspace_id)

    def read_operations(self, connection: Connection, workspace_id: int) -> list[Operation]:
        """The operations, in ``seq`` order, inside a transaction."""
        rows = connection.execute(
            select(taxonomy_operations)
            .where(taxonomy_operations.c.workspace_id == workspace_id)
            .order_by(taxonomy_operations.c.seq)
        )
        return [_operation(row) for row in rows]

    def next_seq(self, connection: Connection, workspace_id: int) -> int:
        """The ``seq`` of the next operation (hold the lock)."""
        last = connection.execute(
            select(func.max(taxonomy_operations.c.seq)).where(
                taxonomy_operations.c.workspace_id == workspace_id
            )
        ).scalar_one()
        return int(last or 0) + 1

    def insert_operation(
        self, connection: Connection, workspace_id: int, op: Operation, history: Sequence[str]
    ) -> None:
        """Record a new operation, and an event in the history of each theme it names."""
        connection.execute(
            taxonomy_operations.insert().values(
                workspace_id=workspace_id,
                seq=op.seq,
                kind=op.kind,
                params=op.params,
                effect=op.effect,
                status=op.status,
                note=op.note,
                run_id=op.run_id,
                actor=op.actor,
                created_at=op.created_at,
            )
        )
        self._taxonomy_history(connection, workspace_id, history, op.kind, op.created_at, op.seq)

    def mark_undone(
        self,
        connection: Connection,
        workspace_id: int,
        op: Operation,
        actor: str | None,
        history: Sequence[str],
    ) -> datetime:
        """Mark ``op`` undone; returns when."""
        now = utcnow()
        connection.execute(
            update(taxonomy_operations)
            .where(
                taxonomy_operations.c.workspace_id == workspace_id,
                taxonomy_operations.c.seq == op.seq,
            )
            .values(undone_at=now, undone_by=actor, status="undone", note=None)
        )
        self._taxonomy_history(connection, workspace_id, history, "undone", now, op.seq)
        return now

    def _taxonomy_history(
        self,
        connection: Connection,
        workspace_id: int,
        theme_ids: Sequence[str],
        kind: str,
        at: datetime,
        seq: int,
    ) -> None:
        """One history event per theme: the operation's kind as a past participle, its seq."""
        event = _EVENTS.get(kind, kind)
        rows = [
            {
                "workspace_id": workspace_id,
                "theme_id": theme_id,
                "event": event,
                "label": {"operation": seq},
                "at": at,
            }
            for theme_id in dict.fromkeys(theme_ids)
        ]
        if rows:
            connection.execute(theme_history.insert(), rows)

    # --- the base ----------------------------------------------------------------------------

    def read_base(
        self, connection: Connection, workspace_id: int, *, with_units: bool = True
    ) -> TaxonomyBase:
        """The latest run's units (unless told not to) and every theme row, in a transaction."""
        run = connection.execute(
            select(mining_runs.c.id, mining_runs.c.config, mining_runs.c.n_units)
            .where(mining_runs.c.workspace_id == workspace_id)
            .order_by(mining_runs.c.id.desc())
            .limit(1)
        ).one_or_none()
        listed = [c for c in themes.c if c.name not in ("centroid", "members")]
        theme_rows = connection.execute(
            select(*listed).where(themes.c.workspace_id == workspace_id)
        ).all()
        states = {row.theme_id: _theme_state(row) for row in theme_rows}
        if run is None:
            return TaxonomyBase(None, UnitTable.empty(), states, _DEFAULT_FLOOR)
        units = (
            self._read_units(connection, workspace_id, int(run.id))
            if with_units
            else UnitTable.empty()
        )
        return TaxonomyBase(
            run_id=int(run.id),
            units=units,
            themes=states,
            min_theme_size=min_theme_size_of(dict(run.config or {}), int(run.n_units)),
        )

    def _read_units(self, connection: Connection, workspace_id: int, run_id: int) -> UnitTable:
        u, items = opinion_units.c, feedback_items.c
        rows = connection.execute(
            select(
                u.id,
                u.item_id,
                u.unit_index,
                items.external_id,
                u.text_hash,
                u.text,
                u.lang,
                u.mined_theme_id,
                u.theme_id,
            )
            .join(feedback_items, feedback_items.c.id == u.item_id)
            .where(u.workspace_id == workspace_id, u.run_id == run_id)
            .order_by(u.item_id, u.unit_index)
        ).all()
        if not rows:
            return UnitTable.empty()
        return UnitTable(
            row_ids=np.array([r.id for r in rows], dtype=np.int64),
            keys=tuple(unit_key(int(r.item_id), int(r.unit_index)) for r in rows),
            external_ids=tuple(r.external_id for r in rows),
            text_hashes=tuple(r.text_hash for r in rows),
            texts=tuple(r.text for r in rows),
            langs=tuple(r.lang for r in rows),
            mined=tuple(r.mined_theme_id for r in rows),
            current=tuple(r.theme_id for r in rows),
        )

    # --- writing a replay --------------------------------------------------------------------

    def write_replay(
        self,
        connection: Connection,
        workspace_id: int,
        base: TaxonomyBase,
        result: ReplayResult,
        operations: Sequence[Operation],
    ) -> int:
        """Write what the replay changed (units, themes, operations); returns units moved."""
        now = utcnow()
        touched, n_moved = self._write_taxonomy_units(connection, base, result)
        for theme_id in result.removed:
            connection.execute(
                delete(themes).where(
                    themes.c.workspace_id == workspace_id, themes.c.theme_id == theme_id
                )
            )
        for theme_id, theme in result.themes.items():
            before = base.themes.get(theme_id)
            if before is None:
                connection.execute(themes.insert().values(_new_row(workspace_id, theme, now)))
                continue
            changed = {k: v for k, v in theme.written().items() if before.written()[k] != v}
            if changed or theme_id in touched:
                connection.execute(
                    update(themes)
                    .where(themes.c.workspace_id == workspace_id, themes.c.theme_id == theme_id)
                    .values(**changed, updated_at=now)
                )
        self._write_taxonomy_statuses(connection, workspace_id, result, operations, base.run_id)
        return n_moved

    def _write_taxonomy_units(
        self, connection: Connection, base: TaxonomyBase, result: ReplayResult
    ) -> tuple[set[str], int]:
        """Update the units whose theme changed.

        Returns:
            The themes they left or joined, and how many units changed.
        """
        moved: dict[str | None, list[int]] = {}
        touched: set[str] = set()
        row_ids = base.units.row_ids.tolist()
        for row, (after, before) in enumerate(
            zip(result.assigned, base.units.current, strict=True)
        ):
            if after != before:
                moved.setdefault(after, []).append(row_ids[row])
                touched.update(t for t in (after, before) if t is not None)
        for theme_id, ids in moved.items():
            for part in chunks(ids):
                connection.execute(
                    update(opinion_units)
                    .where(opinion_units.c.id.in_(list(part)))
                    .values(theme_id=theme_id)
                )
        return touched, sum(len(ids) for ids in moved.values())

    def _write_taxonomy_statuses(
        self,
        connection: Connection,
        workspace_id: int,
        result: ReplayResult,
        operations: Sequence[Operation],
        run_id: int | None,
    ) -> None:
        for op in operations:
            done = result.applications.get(op.seq)
            if done is None or not op.in_force:
                continue
            if (done.status, done.note, done.effect, run_id) == (
                op.status,
                op.note,
                op.effect,
                op.run_id,
            ):
                continue
            connection.execute(
                update(taxonomy_operations)
                .where(
                    taxonomy_operations.c.workspace_id == workspace_id,
                    taxonomy_operations.c.seq == op.seq,
                )
                .values(status=done.status, note=done.note, effect=done.effect, run_id=run_id)
            )


def _new_row(workspace_id: int, theme: ThemeState, now: datetime) -> dict[str, Any]:
    """The full row of a theme made by an edit."""
    return theme.written() | {
        "workspace_id": workspace_id,
        "theme_id": theme.theme_id,
        "level": theme.level,
        "confidence": theme.confidence,
        "first_seen_run": theme.first_seen_run,
        "mined_quotes": [],
        "updated_at": now,
    }
