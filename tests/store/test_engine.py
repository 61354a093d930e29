from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from feedback_nlp.store import Store, make_engine, upgrade
from feedback_nlp.store.engine import current_revision, head_revision
from feedback_nlp.store.schema import metadata

TABLES = {
    "workspaces",
    "api_keys",
    "feedback_items",
    "feedback_segments",
    "opinion_units",
    "embeddings_cache",
    "mining_runs",
    "themes",
    "theme_history",
    "registry_states",
    "jobs",
    "taxonomy_operations",
}


def test_engine_migrates_empty_database_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0010"
    assert set(inspect(engine).get_table_names()) >= TABLES
    upgrade(engine)  # a second run is a no-op
    assert current_revision(engine) == "0010"
    engine.dispose()


def test_engine_migrated_schema_matches_table_definitions(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_engine_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_the_theme_marks_are_read_from_an_index_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT max(updated_at), count(*) FROM themes "
                "WHERE workspace_id = 1"
            )
        ).all()
    engine.dispose()
    assert any("COVERING INDEX ix_themes_workspace_id_updated_at" in row[-1] for row in plan), plan
