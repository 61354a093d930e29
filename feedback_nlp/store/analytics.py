"""Reading a workspace's feedback for the analytics: scores, segments, units and their themes.

The analytics (:mod:`feedback_nlp.analytics`) know nothing of SQL: this module reads the rows
they need as plain column lists (:class:`~feedback_nlp.domain.AnalyticsRecords`), and
:meth:`AnalyticsReader.analytics_version` says cheaply whether anything changed since, so a frame
built from the rows can be cached until it does.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import String, Text, func, select, type_coerce
from sqlalchemy.engine import Connection

from feedback_nlp.domain import AnalyticsRecords
from feedback_nlp.store.base import StoreBase
from feedback_nlp.store.schema import feedback_items, mining_runs, opinion_units, themes

__all__ = ["AnalyticsReader"]


class AnalyticsReader(StoreBase):
    """The rows behind the CX analytics of one workspace."""

    def analytics_version(self, workspace_id: int) -> tuple[Any, ...]:
        """A value that changes whenever the workspace's items, units or themes change.

        It is ``(items, newest item id, newest item update, units, newest unit id, latest mining
        run, newest theme update)``: upserts bump an item's ``updated_at`` (and a text change
        deletes its units), mining runs rewrite the units with new ids, renames touch themes.
        """
        with self._read() as connection:
            return self._version(connection, workspace_id)

    def _version(self, connection: Connection, workspace_id: int) -> tuple[Any, ...]:
        items, units = feedback_items.c, opinion_units.c
        item_stats = connection.execute(
            select(func.count(), func.max(items.id), func.max(items.updated_at)).where(
                items.workspace_id == workspace_id
            )
        ).one()
        unit_stats = connection.execute(
            select(func.count(), func.max(units.id)).where(units.workspace_id == workspace_id)
        ).one()
        run = connection.execute(
            select(func.max(mining_runs.c.id)).where(mining_runs.c.workspace_id == workspace_id)
        ).scalar_one()
        theme_update = connection.execute(
            select(func.max(themes.c.updated_at)).where(themes.c.workspace_id == workspace_id)
        ).scalar_one()
        updated = item_stats[2]
        return (
            int(item_stats[0]),
            item_stats[1],
            None if updated is None else str(updated),
            int(unit_stats[0]),
            unit_stats[1],
            run,
            None if theme_update is None else str(theme_update),
        )

    def analytics_records(self, workspace_id: int) -> AnalyticsRecords:
        """Every item of the workspace with its scores and segments, and every opinion unit.

        Items come in id order; units in (item, unit index) order. Units of items that no mining
        run has split yet do not exist, so such items mention no theme.
        """
        items, units = feedback_items.c, opinion_units.c
        with _collection_paused(), self._read() as connection:
            version = self._version(connection, workspace_id)
            item_rows = connection.execute(
                select(
                    items.id,
                    items.external_id,
                    # raw values: the loader parses them vectorised (SQLite text / PG datetimes)
                    type_coerce(items.created_at, String),
                    items.nps,
                    items.csat,
                    items.ces,
                    items.source,
                    type_coerce(items.segments, Text),
                )
                .where(items.workspace_id == workspace_id)
                .order_by(items.id)
            ).all()
            unit_rows = connection.execute(
                select(
                    units.item_id,
                    units.theme_id,
                    units.sentiment_score,
                    units.sentiment_label,
                    units.text,
                )
                .where(units.workspace_id == workspace_id)
                .order_by(units.item_id, units.unit_index)
            ).all()
            theme_ids = tuple(
                connection.execute(
                    select(themes.c.theme_id)
                    .where(themes.c.workspace_id == workspace_id, themes.c.level == 0)
                    .order_by(themes.c.theme_id)
                ).scalars()
            )
            return _records(version, item_rows, unit_rows, theme_ids)


def _records(
    version: tuple[Any, ...],
    item_rows: Sequence[Any],
    unit_rows: Sequence[Any],
    theme_ids: tuple[str, ...],
) -> AnalyticsRecords:
    """Column lists of the fetched rows (external ids for unit items)."""
    columns = list(zip(*item_rows, strict=True)) if item_rows else [()] * 8
    external = dict(zip(columns[0], columns[1], strict=True))
    unit_columns = list(zip(*unit_rows, strict=True)) if unit_rows else [()] * 5
    return AnalyticsRecords(
        version=version,
        items={
            "item_id": list(columns[1]),
            "created_at": list(columns[2]),
            "nps": list(columns[3]),
            "csat": list(columns[4]),
            "ces": list(columns[5]),
            "source": list(columns[6]),
            "segments": _segment_dicts(columns[7]),
        },
        units={
            "item_id": [external[i] for i in unit_columns[0]],
            "theme_id": list(unit_columns[1]),
            "sentiment": list(unit_columns[2]),
            "label": list(unit_columns[3]),
            "text": list(unit_columns[4]),
        },
        theme_ids=theme_ids,
    )


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause automatic garbage collection while hundreds of thousands of rows are made.

    The rows hold no reference cycles; without the pause the collector walks the growing heap
    again and again (about 40% of the read time on 100k items).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _segment_dicts(raw: Sequence[Any]) -> list[dict[str, str]]:
    """Segment mappings from raw column values: JSON text (SQLite) or parsed objects (PG)."""
    if all(isinstance(value, str) for value in raw):
        return [dict(value) for value in json.loads("[" + ",".join(raw) + "]")]
    return [dict(json.loads(v)) if isinstance(v, str) else dict(v) for v in raw]
