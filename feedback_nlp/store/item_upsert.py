"""What both backends' bulk item upserts share: the columns written and the conflict rule.

PostgreSQL copies rows into a staging table (:mod:`feedback_nlp.store.pg_copy`), SQLite sends
multi-row ``INSERT`` statements to its driver (:mod:`feedback_nlp.store.sqlite_upsert`); both
end in the same ``ON CONFLICT ... DO UPDATE ... WHERE`` clause, written here once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import JSON

from feedback_nlp.store.schema import UtcDateTime, feedback_items

__all__ = ["DATETIME_COLUMNS", "ITEM_COLUMNS", "JSON_COLUMNS", "on_conflict_update"]

ITEM_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in feedback_items.columns if column.name != "id"
)
"""The columns of ``feedback_items`` a write supplies (all but ``id``)."""

JSON_COLUMNS = frozenset(
    name for name in ITEM_COLUMNS if isinstance(feedback_items.c[name].type, JSON)
)
"""Item columns whose values are written as JSON text."""
DATETIME_COLUMNS = frozenset(
    name for name in ITEM_COLUMNS if isinstance(feedback_items.c[name].type, UtcDateTime)
)
"""Item columns holding an instant (:class:`~feedback_nlp.store.schema.UtcDateTime`)."""


def on_conflict_update(updatable: Sequence[str]) -> str:
    """The ``ON CONFLICT`` clause of an item upsert, in SQL both backends accept.

    A conflicting row is updated (``updatable`` columns and ``updated_at``) only when its
    ``content_hash`` differs, or its ``created_at`` when ``created_at`` is updatable: an
    unchanged item re-sent is left alone.
    """
    changed = "EXCLUDED.content_hash <> feedback_items.content_hash"
    if "created_at" in updatable:
        changed += " OR EXCLUDED.created_at <> feedback_items.created_at"
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in [*updatable, "updated_at"])
    return f"ON CONFLICT (workspace_id, external_id) DO UPDATE SET {assignments} WHERE {changed}"
