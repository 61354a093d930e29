"""``postgres_database``: a throw-away database for a test or a bench, dropped on leaving."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import make_url

from feedback_nlp.testing.servers import postgres_database

pytestmark = pytest.mark.postgres


def _databases(base_url: str) -> set[str]:
    admin = make_url(base_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False)) as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {name for (name,) in rows}


def test_postgres_database_is_created_for_the_block_and_dropped_after_it() -> None:
    base = os.environ.get("FEEDBACK_NLP_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("FEEDBACK_NLP_TEST_POSTGRES_URL is not set (a PostgreSQL server URL)")
    with postgres_database(base) as url:  # the benches use it so (bench_ingest, bench_api)
        name = make_url(url).database
        assert name is not None
        assert name in _databases(base)
    assert name not in _databases(base)
