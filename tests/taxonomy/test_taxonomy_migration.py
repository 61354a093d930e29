"""Revision 0007 on a database with mined data: units and themes start unedited; downgrade."""

from __future__ import annotations

import json

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from feedback_nlp.store import make_engine, upgrade
from feedback_nlp.store.engine import MIGRATIONS_DIR, current_revision

NOW = "2026-05-01 12:00:00"


def _rows_at_0006(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(text(f"INSERT INTO workspaces (name, created_at) VALUES ('acme', '{NOW}')"))
    ws = connection.execute(text("SELECT id FROM workspaces")).scalar_one()
    connection.execute(
        text(
            "INSERT INTO feedback_items (workspace_id, external_id, text, text_hash, content_hash,"
            " lang, lang_confidence, pii_kinds, truncated, created_at, segments, ingested_at,"
            f" updated_at) VALUES ({ws}, 'a', 'late', 'h', 'c', 'en', 1.0, '[]', false, '{NOW}',"
            f" '{{}}', '{NOW}', '{NOW}')"
        )
    )
    item_id = connection.execute(text("SELECT id FROM feedback_items")).scalar_one()
    connection.execute(
        text(
            "INSERT INTO opinion_units (item_id, workspace_id, unit_index, start_offset,"
            " end_offset, text, lang, theme_id, text_hash, run_id)"
            f" VALUES ({item_id}, {ws}, 0, 0, 4, 'late', 'en', 't_000001', 'h', 1)"
        )
    )
    quotes = json.dumps([{"text": "late", "lang": "en", "external_id": "a"}])
    connection.execute(
        text(
            "INSERT INTO themes (workspace_id, theme_id, level, label, keyphrases, quotes,"
            " languages, size, active, updated_at)"
            f" VALUES ({ws}, 't_000001', 0, '{{}}', '{{}}', :quotes, '{{}}', 1, true, '{NOW}')"
        ),
        {"quotes": quotes},
    )


def test_migration_0007_starts_every_unit_and_theme_unedited(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0006")
    with engine.begin() as connection:
        _rows_at_0006(connection)
    upgrade(engine, "0007")
    assert current_revision(engine) == "0007"
    with engine.connect() as connection:
        unit = connection.execute(text("SELECT theme_id, mined_theme_id FROM opinion_units")).one()
        theme = connection.execute(
            text("SELECT origin, ignored, retired_by_op, mined_quotes FROM themes")
        ).one()
        n_ops = connection.execute(text("SELECT count(*) FROM taxonomy_operations")).scalar_one()
    assert tuple(unit) == ("t_000001", "t_000001")
    mined_quotes = (
        theme.mined_quotes
        if isinstance(theme.mined_quotes, list)
        else json.loads(theme.mined_quotes)
    )
    assert (theme.origin, bool(theme.ignored), theme.retired_by_op) == ("mined", False, None)
    assert mined_quotes == [{"text": "late", "lang": "en", "external_id": "a"}]
    assert n_ops == 0

    with engine.connect() as connection, connection.begin():
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert current_revision(engine) == "0006"
    tables = inspect(engine)
    assert "taxonomy_operations" not in tables.get_table_names()
    assert "mined_theme_id" not in {c["name"] for c in tables.get_columns("opinion_units")}
    assert "ignored" not in {c["name"] for c in tables.get_columns("themes")}
    engine.dispose()
