"""Rows read as one JSON value on SQLite are the rows a plain fetch gives, to the last bit."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    type_coerce,
)

from feedback_nlp.store import make_engine
from feedback_nlp.store.packed import fetch_rows
from feedback_nlp.store.schema import UtcDateTime

FLOATS = [0.1, -0.2306489405186181, 1 / 3, 4443.37, 5e-324, 1.7976931348623157e308, -0.0, 100.0]


def _table() -> Table:
    return Table(
        "samples",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(40)),
        Column("score", Float, nullable=True),
        Column("flag", Boolean, nullable=True),
        Column("at", UtcDateTime, nullable=True),
        Column("doc", JSON, nullable=True),
    )


def _same(got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row == want
        for value, wanted in zip(row, want, strict=True):
            assert type(value) is type(wanted)
            if isinstance(value, float):
                assert math.copysign(1.0, value) == math.copysign(1.0, wanted)
                assert value.hex() == wanted.hex()


def test_fetch_rows_gives_the_rows_of_a_plain_fetch(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'packed.sqlite3'}")
    table = _table()
    table.metadata.create_all(engine)
    at = datetime(2026, 12, 4, 22, 23, 27, 65385, tzinfo=UTC)
    rows = [
        {"id": i + 1, "name": name, "score": score, "flag": flag, "at": at, "doc": {"k": name}}
        for i, (name, score, flag) in enumerate(
            zip(
                ["plain", "عربي", "עברית", 'quote " and \\', "", "ümlaut", "emoji 🙂", "x"],
                FLOATS,
                [True, False, None, True, False, True, None, False],
                strict=True,
            )
        )
    ] + [{"id": 99, "name": None, "score": None, "flag": None, "at": None, "doc": None}]
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
    statement = select(
        table.c.id,
        table.c.name,
        table.c.score,
        table.c.flag,
        table.c.at,
        type_coerce(table.c.doc, Text),
        type_coerce(table.c.at, String),
    ).order_by(table.c.id)
    with engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement)]
        got = sorted(fetch_rows(connection, statement))
        empty = fetch_rows(connection, statement.where(table.c.id > 1000))
    engine.dispose()
    _same(got, expected)
    assert empty == []
