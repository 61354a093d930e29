"""PostgreSQL bulk writes of feedback through ``COPY`` (psycopg 3), inside the caller's transaction.

A multi-row ``INSERT ... VALUES`` of a thousand items carries 17,000 bound parameters that
psycopg parses anew for every statement; measured on 2 cores that cost about 400 µs per item.
``COPY`` streams the rows instead: the items go into a temporary staging table (dropped at
commit), and one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`` moves
them into ``feedback_items`` in external-id order, with the same conflict rule as SQLite's path.
Segment rows are pure inserts, so they are copied straight into ``feedback_segments``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from feedback_nlp.store.item_upsert import ITEM_COLUMNS, JSON_COLUMNS, on_conflict_update

__all__ = ["copy_segments", "copy_upsert_items"]

_STAGE = "feedback_items_stage"


def copy_upsert_items(
    connection: Connection, rows: Sequence[dict[str, Any]], updatable: Sequence[str]
) -> list[tuple[int, str, bool]]:
    """Upsert item rows: ``COPY`` into a staging table, then one ``INSERT ... ON CONFLICT``.

    A conflicting row is updated (``updatable`` columns and ``updated_at``) only when its
    ``content_hash`` differs, or its ``created_at`` when ``created_at`` is updatable.

    Args:
        connection: In a write transaction, on PostgreSQL (psycopg 3).
        rows: Item rows keyed by :data:`~feedback_nlp.store.item_upsert.ITEM_COLUMNS`, of one
            workspace, no repeated id.
        updatable: Columns a changed row takes from the new row.

    Returns:
        ``(id, external_id, inserted)`` of every row created or updated.
    """
    columns = ", ".join(ITEM_COLUMNS)
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE {_STAGE} ON COMMIT DROP AS "
        f"SELECT {columns} FROM feedback_items WITH NO DATA"
    )
    _copy(
        connection,
        f"COPY {_STAGE} ({columns}) FROM STDIN",
        (
            [json.dumps(row[name]) if name in JSON_COLUMNS else row[name] for name in ITEM_COLUMNS]
            for row in rows
        ),
    )
    returned = connection.exec_driver_sql(
        f"INSERT INTO feedback_items AS feedback_items ({columns}) "
        f"SELECT {columns} FROM {_STAGE} ORDER BY external_id "
        f"{on_conflict_update(updatable)} "
        "RETURNING feedback_items.id, feedback_items.external_id, (xmax = 0)"
    ).all()
    connection.exec_driver_sql(f"DROP TABLE {_STAGE}")
    return [(int(id_), str(external_id), bool(new)) for id_, external_id, new in returned]


def copy_segments(connection: Connection, rows: Sequence[tuple[int, int, str, str]]) -> None:
    """Insert segment rows ``(item_id, workspace_id, key, value)`` with ``COPY``.

    Args:
        connection: In a write transaction, on PostgreSQL (psycopg 3).
        rows: The rows; none may exist already.
    """
    _copy(connection, "COPY feedback_segments (item_id, workspace_id, key, value) FROM STDIN", rows)


def _copy(connection: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run a ``COPY ... FROM STDIN`` on the connection's driver cursor, in its transaction.

    A driver error is raised as SQLAlchemy's (``DBAPIError`` and subclasses, ``.orig`` the
    psycopg error), as for any other statement, so that deadlock retries and callers see it.
    """
    import psycopg

    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error
