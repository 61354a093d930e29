"""Engines and migrations.

SQLite (the embedded default) gets WAL journaling, a busy timeout, foreign keys, and explicit
transactions: the driver's own implicit transactions are switched off and SQLAlchemy's ``begin``
emits ``BEGIN`` — or ``BEGIN IMMEDIATE`` for connections marked with the ``sqlite_immediate``
execution option, which writers use so that two writers queue on the busy timeout instead of
failing to upgrade a read lock. PostgreSQL goes through psycopg 3.

:func:`upgrade` runs the Alembic migrations shipped in ``feedback_nlp/store/migrations``
programmatically (no ``alembic.ini`` needed), under a lock so that two processes starting at
once do not both migrate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url

from feedback_nlp.errors import ConfigurationError

__all__ = [
    "BUSY_TIMEOUT_S",
    "IMMEDIATE",
    "MIGRATIONS_DIR",
    "current_revision",
    "head_revision",
    "make_engine",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30.0
IMMEDIATE = "sqlite_immediate"
"""Execution option: on SQLite, begin the connection's transaction with ``BEGIN IMMEDIATE``."""

_PG_MIGRATION_LOCK = 0x666E6C70  # "fnlp": pg_advisory_xact_lock key held while migrating


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for an SQLite or PostgreSQL URL, configured for this project.

    Args:
        url: ``sqlite:///path/to/file.sqlite3`` or ``postgresql+psycopg://user@host/db``
            (a bare ``postgresql://`` URL is given the psycopg driver).
        **kwargs: Passed on to :func:`sqlalchemy.create_engine`.

    Returns:
        The engine; an SQLite file's folder is created when missing.

    Raises:
        ConfigurationError: If the URL names another backend.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        connect_args |= kwargs.pop("connect_args", {})
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise ConfigurationError(
        f"The database URL must use sqlite or postgresql. Got '{parsed.drivername}'. "
        "Set FEEDBACK_NLP_DATABASE__URL to an sqlite:/// or postgresql+psycopg:// URL."
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest), creating it when empty.

    Args:
        engine: From :func:`make_engine`.
        revision: An Alembic revision id, or ``"head"``.
    """
    with engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            command.upgrade(_alembic_config(connection), revision)


def head_revision() -> str:
    """The newest revision shipped with this version."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
