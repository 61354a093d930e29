"""What every part of the store shares: the engine, read and write transactions, dialect helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from feedback_nlp.store.engine import IMMEDIATE

__all__ = ["CHUNK", "StoreBase", "chunks", "utcnow"]

CHUNK = 500
"""Rows per statement: keeps every statement under both backends' bound-parameter limits."""

T = TypeVar("T")
R = TypeVar("R")

# PostgreSQL SQLSTATEs worth retrying a whole transaction for.
_RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def utcnow() -> datetime:
    """The current instant, UTC-aware."""
    return datetime.now(UTC)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreBase:
    """Holds the engine; gives transactions that read, and transactions that write.

    Args:
        engine: From :func:`feedback_nlp.store.engine.make_engine`, migrated to head.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (on SQLite ``BEGIN IMMEDIATE``: writers queue, never deadlock)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{IMMEDIATE: True})
            with connection.begin():
                yield connection

    def _write_retrying(self, work: Callable[[Connection], R], *, attempts: int = 5) -> R:
        """Run ``work`` in a write transaction, again if PostgreSQL aborts it for a deadlock."""
        for attempt in range(attempts):
            try:
                with self._write() as connection:
                    return work(connection)
            except DBAPIError as error:
                code = getattr(error.orig, "sqlstate", None)
                if code not in _RETRYABLE or attempt == attempts - 1:
                    raise
                time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    def _insert(self, table: Table) -> Any:
        """An ``INSERT`` that supports ``ON CONFLICT`` in this dialect."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()
