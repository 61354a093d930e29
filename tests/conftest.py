"""Shared fixtures: the ../shared/corpora path, offline loading, one real model per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from feedback_nlp.store import Store

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The evaluation corpora beside the repository; skips the test when they are absent."""
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"evaluation corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA


@pytest.fixture(scope="session")
def e5_embedder():  # type: ignore[no-untyped-def]
    """The default multilingual embedder, loaded once per test session."""
    from feedback_nlp.models import load_model

    return load_model("e5-small-multilingual")


# --- databases (store, jobs and API tests) -------------------------------------------------------

POSTGRES_URL_ENV = "FEEDBACK_NLP_TEST_POSTGRES_URL"


def _postgres_database_url() -> Iterator[str]:
    """A fresh, empty schema on the test server, as a URL; dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need a server: set {POSTGRES_URL_ENV} "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/feedback_nlp_test)"
        )
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database: an SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        yield from _postgres_database_url()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated :class:`~feedback_nlp.store.Store` on a fresh database (SQLite and PostgreSQL)."""
    from feedback_nlp.store import open_store

    opened = open_store(database_url)
    yield opened
    opened.close()
