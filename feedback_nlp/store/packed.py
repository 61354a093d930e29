"""Reading many rows of a query at once: on SQLite as one JSON value, not one step per row.

Python's ``sqlite3`` releases the GIL for every row it steps to and must take it back before the
next one. In a server whose other threads keep the interpreter busy, each take-back waits for a
thread switch (Python's switch interval, 5 ms), so reading the 7,000 items written in the last
seconds took 26 s with two busy threads beside it, where it takes 0.24 s alone (measured on the
million-item workspace of bench/RESULTS.md). :func:`fetch_rows` asks SQLite for the whole result
as one ``json_group_array`` value instead: one step, then ``json.loads``, 0.3 s with the same two
threads. SQLite writes a REAL into JSON with 15 significant digits, which does not give the same
float back, so a float column travels as ``printf('%!.20e')`` text (exact, subnormals included)
and is read with ``float``; every value is then converted by its column type's result
processor, as SQLAlchemy does for a row, so the rows are the same as
``connection.execute(statement).all()`` gives (a test compares them, to the last bit). Other
databases fetch as usual.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.engine import Connection

__all__ = ["fetch_rows"]


def fetch_rows(connection: Connection, statement: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` as tuples (on SQLite read as one JSON value; no BLOB columns).

    The order is the statement's where it has an ``ORDER BY`` that SQLite keeps through the
    aggregate; callers that need an order sort the rows themselves.
    """
    if connection.dialect.name != "sqlite":
        return [tuple(row) for row in connection.execute(statement)]
    inner = statement.subquery()
    floats = [_is_float(column) for column in inner.c]
    packed = select(
        func.json_group_array(
            func.json_array(
                *(
                    _exact_text(column) if is_float else column
                    for column, is_float in zip(inner.c, floats, strict=True)
                )
            )
        )
    )
    text = connection.execute(packed).scalar_one()
    values: list[list[Any]] = json.loads(text) if text else []
    dialect = connection.dialect
    processors = [
        column.type._cached_result_processor(dialect, None) for column in statement.selected_columns
    ]
    converters = [
        _converter(is_float, process) for is_float, process in zip(floats, processors, strict=True)
    ]
    if not any(converters):
        return [tuple(row) for row in values]
    return [
        tuple(
            value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, row, strict=True)
        )
        for row in values
    ]


def _is_float(column: ColumnElement[Any]) -> bool:
    try:
        return column.type.python_type is float
    except NotImplementedError:
        return False


def _exact_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as text that reads back as the same float (``NULL`` stays ``NULL``)."""
    return case((column.is_(None), None), else_=func.printf("%!.20e", column))


def _converter(is_float: bool, process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    if not is_float:
        return process
    if process is None:
        return float
    return lambda value: process(float(value))
