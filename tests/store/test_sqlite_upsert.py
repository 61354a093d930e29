"""The SQLite driver-level upsert stores exactly what SQLAlchemy's compiled statement stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from feedback_nlp.store import Store, open_store
from feedback_nlp.store.feedback import _row
from feedback_nlp.store.item_upsert import ITEM_COLUMNS
from feedback_nlp.store.schema import feedback_items
from feedback_nlp.store.sqlite_upsert import ROWS_PER_STATEMENT, upsert_items
from tests.store.factory import T0, item

_NOW = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)
_EAST = timezone(timedelta(hours=5, minutes=30))


def _rows(workspace_id: int, n: int) -> list[dict[str, Any]]:
    """Rows covering every kind of value: naive, aware, whole-second instants, NULLs, Unicode."""
    prepared = []
    for index in range(n):
        fields: dict[str, Any] = {"nps": index % 11, "segments": {"plan": "pro", "région": "סל"}}
        if index % 3 == 0:
            fields |= {"churned": True, "revenue": 12.5, "resolution_minutes": 90.0}
            fields["churned_at"] = datetime(2025, 1, 2, 3, 4, 5, tzinfo=_EAST)
        if index % 3 == 1:
            fields |= {"churned": False, "csat": 4, "ces": 2.5, "source": "review"}
        if index % 4 == 0:
            fields["truncated"] = True
        minutes = None if index % 5 == 0 else index
        prepared.append(item(f"x{index:05d}", f"Text «{index}» — ok", minutes=minutes, **fields))
    rows = [_row(workspace_id, p, _NOW) for p in prepared]
    rows[1]["created_at"] = datetime(2024, 5, 1, 12, 0)  # naive: taken as UTC
    rows[2]["pii_kinds"] = ["email", "phone"]
    return rows


def _stored(store: Store) -> list[tuple[Any, ...]]:
    """Every stored row as the driver returns it (text, not SQLAlchemy's processed values)."""
    columns = ", ".join(ITEM_COLUMNS)
    with store.engine.connect() as connection:
        result = connection.exec_driver_sql(
            f"SELECT id, {columns}, typeof(created_at), typeof(segments) FROM feedback_items "
            "ORDER BY id"
        )
        return [tuple(row) for row in result]


def _sqlalchemy_upsert(store: Store, rows: list[dict[str, Any]]) -> None:
    statement = sqlite.insert(feedback_items)
    with store.engine.begin() as connection:
        connection.execute(statement, rows)


def test_driver_upsert_stores_the_bytes_sqlalchemy_stored(tmp_path: Path) -> None:
    reference = open_store(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    driver = open_store(f"sqlite:///{tmp_path / 'driver.sqlite3'}")
    try:
        for opened in (reference, driver):
            opened.create_workspace("acme")
        rows = _rows(1, ROWS_PER_STATEMENT + 7)  # two statements of different shapes
        _sqlalchemy_upsert(reference, rows)
        with driver.engine.begin() as connection:
            returned = upsert_items(connection, rows, ["text"])
        assert [external_id for _, external_id in returned] == [r["external_id"] for r in rows]
        assert _stored(driver) == _stored(reference)
        # The records read back through the store are the same objects too.
        for external_id in ("x00000", "x00001", "x00002", "x00003"):
            assert driver.get_feedback(1, external_id) == reference.get_feedback(1, external_id)
    finally:
        reference.close()
        driver.close()


def test_driver_upsert_updates_only_changed_rows(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        ws = store.create_workspace("acme").id
        first = [_row(ws, item(name, minutes=1), _NOW) for name in ("a", "b", "c")]
        with store.engine.begin() as connection:
            assert len(upsert_items(connection, first, ["text", "content_hash"])) == 3
        later = _NOW + timedelta(hours=1)
        second = [
            _row(ws, item("a", minutes=1), later),  # same content: untouched
            _row(ws, item("b", "Changed text.", minutes=1), later),  # new content hash
            _row(ws, item("c", minutes=2), later),  # only created_at differs
        ]
        with store.engine.begin() as connection:
            content_only = upsert_items(connection, second, ["text", "content_hash"])
        assert [external_id for _, external_id in content_only] == ["b"]
        with store.engine.begin() as connection:
            with_created = upsert_items(connection, second, ["created_at"])
        assert [external_id for _, external_id in with_created] == ["c"]
        assert store.get_feedback(ws, "a").updated_at == _NOW
        assert store.get_feedback(ws, "b").text == "Changed text."
        assert store.get_feedback(ws, "c").created_at == T0 + timedelta(minutes=2)
        assert store.get_feedback(ws, "c").updated_at == later
    finally:
        store.close()
