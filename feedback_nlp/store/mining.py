"""Writing a mining run, and the theme registry's state, in one transaction.

The :class:`~feedback_nlp.themes.registry.ThemeRegistry` (stable ids across re-mines) lives in
the database, not in files: each level-0 theme row carries the registry's per-theme state (its
centroid as float32 bytes, acceptance bars, member unit keys), and ``registry_states`` holds the
id counter, the parameters and the unassigned pool. :meth:`MiningWriter.load_registry` rebuilds
the registry from those rows; :meth:`MiningWriter.save_mining` writes them back with the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import FeedbackFilter, MinedTheme, MinedUnit, MiningItem, MiningOutcome
from feedback_nlp.store.base import StoreBase, chunks, utcnow
from feedback_nlp.store.listing import filtered_items
from feedback_nlp.store.schema import (
    feedback_items,
    mining_runs,
    opinion_units,
    registry_states,
    theme_history,
    themes,
)
from feedback_nlp.themes.registry import RegisteredTheme, ThemeRegistry

__all__ = [
    "MiningWriter",
    "insert_units",
    "mining_items_query",
    "read_mining_items",
]


def mining_items_query(workspace_id: int, filters: FeedbackFilter) -> Select[Any]:
    """The workspace's items of ``filters`` with the columns of :class:`MiningItem` (unordered)."""
    items = feedback_items.c
    return filtered_items(
        workspace_id, filters, items.id, items.external_id, items.text, items.lang, items.text_hash
    )


def read_mining_items(connection: Connection, query: Select[Any]) -> list[MiningItem]:
    """The rows of a :func:`mining_items_query` as :class:`MiningItem` records."""
    rows = connection.execute(query).all()
    return [MiningItem(r.id, r.external_id, r.text, r.lang, r.text_hash) for r in rows]


def insert_units(
    connection: Connection, workspace_id: int, run_id: int, units: Sequence[MinedUnit]
) -> None:
    """Insert ``units`` into run ``run_id``, each mined into the theme it is assigned to."""
    rows = [
        {
            "item_id": u.item_id,
            "workspace_id": workspace_id,
            "unit_index": u.unit_index,
            "start_offset": u.start,
            "end_offset": u.end,
            "text": u.text,
            "lang": u.lang,
            "text_hash": u.text_hash,
            "theme_id": u.theme_id,
            "mined_theme_id": u.theme_id,
            "sentiment_label": u.sentiment_label,
            "sentiment_score": u.sentiment_score,
            "run_id": run_id,
        }
        for u in units
    ]
    for part in chunks(rows):
        connection.execute(opinion_units.insert(), list(part))


def _registered(row: Any) -> RegisteredTheme:
    return RegisteredTheme(
        id=row.theme_id,
        label=dict(row.label),
        size=int(row.size),
        accept_similarity=float(row.accept_similarity),
        typical_similarity=float(row.typical_similarity),
        active=bool(row.active),
        members=frozenset(row.members),
        centroid=np.frombuffer(row.centroid, dtype=np.float32).copy(),
    )


class MiningWriter(StoreBase):
    """Mining runs, units with their themes, and the registry state."""

    def mining_items(self, workspace_id: int, filters: FeedbackFilter) -> list[MiningItem]:
        """The workspace's items that match ``filters``, in id order, as a mining run needs them."""
        query = mining_items_query(workspace_id, filters).order_by(feedback_items.c.id)
        with self._read() as connection:
            return read_mining_items(connection, query)

    def load_registry(self, workspace_id: int) -> ThemeRegistry | None:
        """Rebuild the workspace's theme registry; ``None`` before its first mining run."""
        with self._read() as connection:
            state = connection.execute(
                select(registry_states).where(registry_states.c.workspace_id == workspace_id)
            ).one_or_none()
            if state is None:
                return None
            rows = connection.execute(
                select(themes)
                .where(themes.c.workspace_id == workspace_id, themes.c.level == 0)
                .order_by(themes.c.active.desc(), themes.c.size.desc(), themes.c.theme_id)
            ).all()
            space = connection.execute(
                select(mining_runs.c.embedder)
                .where(mining_runs.c.workspace_id == workspace_id)
                .order_by(mining_runs.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        registry = ThemeRegistry(**state.config)
        registry.space_ = space
        registry.next_id_ = int(state.next_id)
        registry.themes_ = [_registered(row) for row in rows if row.members is not None]
        pool = np.frombuffer(state.pool_vectors, dtype=np.float32).copy()
        registry.pool_vectors_ = pool.reshape(-1, state.dim) if state.dim else pool.reshape(0, 0)
        registry.pool_keys_ = list(state.pool_keys)
        registry.pool_langs_ = list(state.pool_langs)
        return registry

    def save_mining(
        self,
        workspace_id: int,
        outcome: MiningOutcome[ThemeRegistry],
        *,
        guard: Callable[[Connection], None] | None = None,
        then: Callable[[Connection, int], object] | None = None,
    ) -> int:
        """Write a run (its row, units, themes, history, registry state); returns its id.

        Args:
            workspace_id: The workspace.
            outcome: What the run found.
            guard: Called first in the write transaction; what it raises rolls the run back
                (a job's worker checks there that it still holds the job).
            then: Called last in the same transaction with the run's id (the job replays the
                analysts' taxonomy edits there, so no reader sees the run without them).
        """

        def work(connection: Connection) -> int:
            if guard is not None:
                guard(connection)
            now = utcnow()
            run_id = int(
                connection.execute(
                    mining_runs.insert()
                    .values(
                        workspace_id=workspace_id,
                        job_id=outcome.job_id,
                        embedder=outcome.embedder,
                        n_items=len(outcome.item_ids),
                        n_units=len(outcome.units),
                        n_themes=sum(1 for t in outcome.themes if t.level == 0),
                        n_unassigned=outcome.n_unassigned,
                        config=outcome.config,
                        started_at=outcome.started_at,
                        finished_at=now,
                    )
                    .returning(mining_runs.c.id)
                ).scalar_one()
            )
            self._write_units(connection, workspace_id, outcome, run_id)
            self._write_themes(connection, workspace_id, outcome, run_id, now)
            self._write_registry_state(connection, workspace_id, outcome.registry, now)
            if then is not None:
                then(connection, run_id)
            return run_id

        return self._write_retrying(work)

    def _write_units(
        self,
        connection: Connection,
        workspace_id: int,
        outcome: MiningOutcome[ThemeRegistry],
        run_id: int,
    ) -> None:
        for ids in chunks(list(outcome.item_ids)):
            connection.execute(
                delete(opinion_units).where(
                    opinion_units.c.workspace_id == workspace_id,
                    opinion_units.c.item_id.in_(ids),
                )
            )
        insert_units(connection, workspace_id, run_id, outcome.units)
        # Units of items outside this run keep their text but lose themes of older runs.
        connection.execute(
            update(opinion_units)
            .where(
                opinion_units.c.workspace_id == workspace_id,
                opinion_units.c.theme_id.is_not(None) | opinion_units.c.mined_theme_id.is_not(None),
                (opinion_units.c.run_id != run_id) | opinion_units.c.run_id.is_(None),
            )
            .values(theme_id=None, mined_theme_id=None)
        )

    def _write_themes(
        self,
        connection: Connection,
        workspace_id: int,
        outcome: MiningOutcome[ThemeRegistry],
        run_id: int,
        now: datetime,
    ) -> None:
        old = {
            row.theme_id: row
            for row in connection.execute(
                select(themes).where(themes.c.workspace_id == workspace_id)
            )
        }
        found = {theme.theme_id: theme for theme in outcome.themes}
        registered = {theme.id: theme for theme in outcome.registry.themes_}
        rows, events = [], []
        for theme_id in sorted(set(old) | set(found) | set(registered)):
            previous, fresh, reg = old.get(theme_id), found.get(theme_id), registered.get(theme_id)
            row = self._theme_row(workspace_id, theme_id, previous, fresh, reg, run_id, now)
            if row is None:
                continue
            rows.append(row)
            event = _event(previous, fresh)
            if event is not None:
                size = fresh.size if fresh else None
                label = fresh.label if fresh else None
                events.append(
                    {
                        "workspace_id": workspace_id,
                        "theme_id": theme_id,
                        "run_id": run_id,
                        "event": event,
                        "size": size,
                        "label": label,
                        "at": now,
                    }
                )
        connection.execute(delete(themes).where(themes.c.workspace_id == workspace_id))
        # executemany takes its columns from the first row: give every row every column
        blank = dict.fromkeys(themes.c.keys())
        rows = [blank | row for row in rows]
        for part in chunks(rows, 100):
            connection.execute(themes.insert(), list(part))
        for part in chunks(events):
            connection.execute(theme_history.insert(), list(part))

    def _theme_row(
        self,
        workspace_id: int,
        theme_id: str,
        previous: Any,
        fresh: MinedTheme | None,
        reg: RegisteredTheme | None,
        run_id: int,
        now: datetime,
    ) -> dict[str, Any] | None:
        if previous is None and fresh is None:
            return None
        if fresh is None:  # known before, not found by this run: keep it, inactive
            kept: dict[str, Any] = dict(previous._mapping)
            return kept | {"active": False, "updated_at": now} | _registry_fields(reg)
        return {
            "workspace_id": workspace_id,
            "theme_id": theme_id,
            "level": fresh.level,
            "label": fresh.label,
            "custom_label": previous.custom_label if previous is not None else None,
            "keyphrases": fresh.keyphrases,
            "quotes": fresh.quotes,
            "languages": fresh.languages,
            "parent_id": fresh.parent_id,
            "size": fresh.size,
            "confidence": fresh.confidence,
            "active": True,
            "first_seen_run": previous.first_seen_run if previous is not None else run_id,
            "last_seen_run": run_id,
            "updated_at": now,
            # as mined: the taxonomy replay (feedback_nlp.taxonomy) applies the edits after this
            "origin": "mined",
            "ignored": False,
            "mined_quotes": fresh.quotes,
        } | _registry_fields(reg)

    def _write_registry_state(
        self, connection: Connection, workspace_id: int, registry: ThemeRegistry, now: datetime
    ) -> None:
        pool = np.ascontiguousarray(registry.pool_vectors_, dtype=np.float32)
        dim = int(pool.shape[1]) if pool.ndim == 2 and pool.shape[0] else 0
        values = {
            "next_id": int(registry.next_id_),
            "config": registry.get_config(),
            "dim": dim,
            "pool_keys": list(registry.pool_keys_),
            "pool_langs": list(registry.pool_langs_),
            "pool_vectors": pool.tobytes() if dim else b"",
            "updated_at": now,
        }
        stmt = self._insert(registry_states).values(workspace_id=workspace_id, **values)
        connection.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=values))


def _registry_fields(reg: RegisteredTheme | None) -> dict[str, Any]:
    if reg is None:
        return {}
    return {
        "centroid": np.ascontiguousarray(reg.centroid, dtype=np.float32).tobytes(),
        "accept_similarity": float(reg.accept_similarity),
        "typical_similarity": float(reg.typical_similarity),
        "members": sorted(reg.members),
    }


def _event(previous: Any, fresh: MinedTheme | None) -> str | None:
    if previous is None:
        return "created" if fresh is not None else None
    if fresh is not None:
        return "matched" if previous.active else "reactivated"
    return "deactivated" if previous.active else None
