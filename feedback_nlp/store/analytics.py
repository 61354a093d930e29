"""Reading a workspace's feedback for the analytics: scores, segments, units and their themes.

The analytics (:mod:`feedback_nlp.analytics`) know nothing of SQL: this module reads the rows
they need as plain column lists (:class:`~feedback_nlp.domain.AnalyticsRecords`), and
:meth:`AnalyticsReader.analytics_version` says whether anything changed since, so a frame
built from the rows can be cached until it does.

The incremental analytics state (:mod:`feedback_nlp.analytics.state`) reads less: cheap
:meth:`~AnalyticsReader.analytics_marks` (newest item update, latest mining run, newest theme
update; each an indexed lookup) tell it that something changed, and
:meth:`~AnalyticsReader.analytics_rows` returns only the items written since a watermark (new ids
above the newest id it holds, or ``updated_at`` after its newest update), with their units.

Themes an analyst ignored (:mod:`feedback_nlp.taxonomy`) are hidden from the analytics: their
units are not read (they stay stored, in their theme) and they are not in the theme universe,
so no ranking, listing or trend shows them. Ignoring (or un-ignoring) a theme touches its row's
``updated_at``, which makes the incremental state reload every unit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Text, func, or_, select, type_coerce
from sqlalchemy.engine import Connection

from feedback_nlp.analytics.rows import AnalyticsMarks, AnalyticsRows
from feedback_nlp.domain import AnalyticsRecords
from feedback_nlp.memory import collection_paused
from feedback_nlp.store.base import StoreBase, chunks
from feedback_nlp.store.packed import fetch_rows
from feedback_nlp.store.schema import (
    feedback_items,
    mining_runs,
    opinion_units,
    themes,
    workspaces,
)

__all__ = ["AnalyticsReader"]


def _shown_units(workspace_id: int) -> ColumnElement[bool]:
    """Units that are not in an ignored theme (unassigned ones included)."""
    ignored = select(themes.c.theme_id).where(
        themes.c.workspace_id == workspace_id, themes.c.ignored.is_(True)
    )
    return or_(opinion_units.c.theme_id.is_(None), opinion_units.c.theme_id.not_in(ignored))


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

    def analytics_marks(self, workspace_id: int) -> AnalyticsMarks:
        """The workspace's :class:`AnalyticsMarks` (three indexed lookups)."""
        with self._read() as connection:
            return self._marks(connection, workspace_id)

    def _marks(self, connection: Connection, workspace_id: int) -> AnalyticsMarks:
        updated = connection.execute(
            select(func.max(feedback_items.c.updated_at)).where(
                feedback_items.c.workspace_id == workspace_id
            )
        ).scalar_one()
        run = connection.execute(
            select(func.max(mining_runs.c.id)).where(mining_runs.c.workspace_id == workspace_id)
        ).scalar_one()
        theme_update, n_themes = connection.execute(
            select(func.max(themes.c.updated_at), func.count()).where(
                themes.c.workspace_id == workspace_id
            )
        ).one()
        return AnalyticsMarks(
            items_updated=_instant(updated),
            run_id=None if run is None else int(run),
            themes_updated=_instant(theme_update),
            n_themes=int(n_themes),
        )

    def themes_mark(self, workspace_id: int) -> tuple[Any, ...]:
        """``(newest theme update, number of themes)``: changes with every theme write."""
        with self._read() as connection:
            updated, count = connection.execute(
                select(func.max(themes.c.updated_at), func.count()).where(
                    themes.c.workspace_id == workspace_id
                )
            ).one()
        return (_instant(updated), int(count))

    def analytics_identity(self, workspace_id: int) -> str | None:
        """A text that tells this workspace apart from one of another database with the same id.

        ``None`` when the workspace does not exist.
        """
        with self._read() as connection:
            row = connection.execute(
                select(workspaces.c.name, workspaces.c.created_at).where(
                    workspaces.c.id == workspace_id
                )
            ).one_or_none()
        if row is None:
            return None
        created = _instant(row.created_at)
        return f"{workspace_id}:{row.name}:{None if created is None else created.isoformat()}"

    def analytics_item_count(self, workspace_id: int, *, max_id: int | None = None) -> int:
        """How many items the workspace has (with an id of at most ``max_id``, if given)."""
        query = select(func.count()).where(feedback_items.c.workspace_id == workspace_id)
        if max_id is not None:
            query = query.where(feedback_items.c.id <= max_id)
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())

    def analytics_updates(
        self, workspace_id: int, *, since: datetime
    ) -> list[tuple[int, datetime]]:
        """``(id, updated_at)`` of the items updated at or after ``since`` (an index range)."""
        items = feedback_items.c
        with self._read() as connection:
            rows = fetch_rows(
                connection,
                select(items.id, items.updated_at).where(
                    items.workspace_id == workspace_id, items.updated_at >= since
                ),
            )
        return [(int(row[0]), row[1]) for row in rows]

    def analytics_item_ids(self, workspace_id: int) -> list[int]:
        """Every item id of the workspace, ascending."""
        with self._read() as connection:
            return list(
                connection.execute(
                    select(feedback_items.c.id)
                    .where(feedback_items.c.workspace_id == workspace_id)
                    .order_by(feedback_items.c.id)
                ).scalars()
            )

    def analytics_rows(
        self,
        workspace_id: int,
        *,
        after_id: int | None = None,
        updated_after: datetime | None = None,
        ids: Sequence[int] = (),
    ) -> AnalyticsRows:
        """Items (and all their units) of the workspace: everything, or what changed.

        Args:
            workspace_id: The workspace.
            after_id: Only items with a larger id (new items); ``None`` with no other
                condition: every item.
            updated_after: Also items updated after this instant (changed items).
            ids: Also these items.

        Returns:
            The rows, in id order, and the marks read in the same transaction.
        """
        items = feedback_items.c
        everything = after_id is None and updated_after is None and not ids
        # rows hold no cycles: unpaused, the collector walks the growing heap again and again
        # (about 40% of the read time on 100k items)
        with collection_paused(), self._read() as connection:
            marks = self._marks(connection, workspace_id)
            columns = (
                items.id,
                items.external_id,
                type_coerce(items.created_at, String),
                items.nps,
                items.csat,
                items.ces,
                items.source,
                type_coerce(items.segments, Text),
                *_outcome_columns(),
                items.updated_at,
            )
            base = select(*columns).where(items.workspace_id == workspace_id)
            found: dict[int, Any] = {}
            if everything:
                found = {row[0]: row for row in connection.execute(base.order_by(items.id))}
            else:
                # Delta reads run beside busy request threads: fetched as one value each
                # (feedback_nlp.store.packed), not one GIL hand-over per row.
                if after_id is not None:
                    for row in fetch_rows(connection, base.where(items.id > after_id)):
                        found[row[0]] = row
                if updated_after is not None:
                    for row in fetch_rows(connection, base.where(items.updated_at > updated_after)):
                        found[row[0]] = row
                for part in chunks(sorted(set(ids) - set(found))):
                    for row in fetch_rows(connection, base.where(items.id.in_(part))):
                        found[row[0]] = row
            item_rows = [found[key] for key in sorted(found)]
            unit_rows = self._units_of(connection, workspace_id, item_rows, everything, after_id)
            theme_ids = self._level0(connection, workspace_id)
        version = (marks.items_updated, marks.run_id, marks.themes_updated, marks.n_themes)
        records = _records(version, [row[:_N_ITEM] for row in item_rows], unit_rows, theme_ids)
        return AnalyticsRows(
            records=records,
            ids=[int(row[0]) for row in item_rows],
            updated=[row[_N_ITEM] for row in item_rows],
            marks=marks,
        )

    def _units_of(
        self,
        connection: Connection,
        workspace_id: int,
        item_rows: Sequence[Any],
        everything: bool,
        after_id: int | None,
    ) -> list[Any]:
        """The units of ``item_rows`` in (item, unit index) order."""
        units = opinion_units.c
        columns = (
            units.item_id,
            units.theme_id,
            units.sentiment_score,
            units.sentiment_label,
            units.text,
        )
        shown = _shown_units(workspace_id)
        if everything:
            every = select(*columns).where(units.workspace_id == workspace_id, shown)
            return list(connection.execute(every.order_by(units.item_id, units.unit_index)).all())
        # Some items' units: by the (item_id, unit_index) key. The workspace is compared as an
        # expression, which no index serves, so that SQLite's planner does not pick the
        # (workspace_id, theme_id) index and scan every unit of the workspace (8 s at 2M units
        # where the key takes 7 ms).
        base = select(*columns, units.unit_index).where(
            (units.workspace_id + 0) == workspace_id, shown
        )
        wanted = [int(row[0]) for row in item_rows]
        fresh = [i for i in wanted if after_id is not None and i > after_id]
        older = [i for i in wanted if after_id is None or i <= after_id]
        rows: list[Any] = []
        if fresh:  # new items: one range over the (item_id, unit_index) index
            rows += fetch_rows(connection, base.where(units.item_id >= min(fresh)))
        for part in chunks(older):
            rows += fetch_rows(connection, base.where(units.item_id.in_(part)))
        keep = set(wanted)
        rows = sorted((row for row in rows if row[0] in keep), key=lambda r: (r[0], r[5]))
        return [row[:5] for row in rows]

    def _level0(self, connection: Connection, workspace_id: int) -> tuple[str, ...]:
        return tuple(
            connection.execute(
                select(themes.c.theme_id)
                .where(
                    themes.c.workspace_id == workspace_id,
                    themes.c.level == 0,
                    themes.c.ignored.is_(False),
                )
                .order_by(themes.c.theme_id)
            ).scalars()
        )

    def analytics_records(self, workspace_id: int) -> AnalyticsRecords:
        """Every item of the workspace with its scores and segments, and every opinion unit.

        Items come in id order; units in (item, unit index) order. Units of items that no mining
        run has split yet do not exist, so such items mention no theme.
        """
        items, units = feedback_items.c, opinion_units.c
        with collection_paused(), self._read() as connection:
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
                    *_outcome_columns(),
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
                .where(units.workspace_id == workspace_id, _shown_units(workspace_id))
                .order_by(units.item_id, units.unit_index)
            ).all()
            theme_ids = self._level0(connection, workspace_id)
            return _records(version, item_rows, unit_rows, theme_ids)


_N_ITEM = 13
"""Item columns of a row read for the analytics: id, 7 fields (see :func:`_records`), 5 outcomes."""


def _outcome_columns() -> tuple[Any, ...]:
    """The outcome columns the analytics read (``churned_at`` is not among them)."""
    items = feedback_items.c
    return (
        items.customer_id,
        items.first_response_minutes,
        items.resolution_minutes,
        items.churned,
        items.revenue,
    )


def _instant(value: Any) -> datetime | None:
    """A stored instant as an aware datetime (aggregates skip the column type on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def _records(
    version: tuple[Any, ...],
    item_rows: Sequence[Any],
    unit_rows: Sequence[Any],
    theme_ids: tuple[str, ...],
) -> AnalyticsRecords:
    """Column lists of the fetched rows (external ids for unit items)."""
    columns = list(zip(*item_rows, strict=True)) if item_rows else [()] * _N_ITEM
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
            "customer_id": list(columns[8]),
            "first_response_minutes": list(columns[9]),
            "resolution_minutes": list(columns[10]),
            "churned": [None if value is None else bool(value) for value in columns[11]],
            "revenue": list(columns[12]),
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


def _segment_dicts(raw: Sequence[Any]) -> list[dict[str, str]]:
    """Segment mappings from raw column values: JSON text (SQLite) or parsed objects (PG)."""
    if all(isinstance(value, str) for value in raw):
        return [dict(value) for value in json.loads("[" + ",".join(raw) + "]")]
    return [dict(json.loads(v)) if isinstance(v, str) else dict(v) for v in raw]
