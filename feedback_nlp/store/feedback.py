"""Writing feedback: idempotent upserts on ``(workspace_id, external_id)``.

One batch is one transaction. Within a batch the last row of an external id wins, and rows are
written in external-id order, so concurrent writers lock rows in the same order and PostgreSQL
cannot deadlock on them (a deadlock or serialization failure is retried anyway). A row whose
content is unchanged is not touched (``ON CONFLICT ... DO UPDATE ... WHERE`` the content hash
differs), so posting the same batch twice changes nothing. An item posted without
``created_at`` keeps the instant it was first ingested.

Only the redacted text is stored, with its SHA-256 (``text_hash``). When an item's text changes,
its opinion units (split from the old text) are deleted; the next mining run splits it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, literal_column, or_, select
from sqlalchemy.engine import Connection

from feedback_nlp.domain import PreparedFeedback, UpsertResult
from feedback_nlp.store.base import StoreBase, chunks, utcnow
from feedback_nlp.store.schema import feedback_items, feedback_segments, opinion_units

__all__ = ["FeedbackWriter", "content_hash", "text_hash"]

_UPDATABLE = (
    "text",
    "text_hash",
    "content_hash",
    "lang",
    "lang_confidence",
    "pii_kinds",
    "truncated",
    "source",
    "nps",
    "csat",
    "ces",
    "segments",
)


def text_hash(text: str) -> str:
    """SHA-256 of a (redacted) text, hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(prepared: PreparedFeedback) -> str:
    """SHA-256 of everything stored about an item except ``created_at`` and bookkeeping."""
    item = prepared.item
    payload = [
        item.text,
        item.source,
        item.nps,
        item.csat,
        item.ces,
        sorted(item.segments.items()),
        item.truncated,
        prepared.lang,
        round(prepared.lang_confidence, 6),
        list(prepared.pii_kinds),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _row(workspace_id: int, prepared: PreparedFeedback, now: datetime) -> dict[str, Any]:
    item = prepared.item
    return {
        "workspace_id": workspace_id,
        "external_id": item.external_id,
        "text": item.text,
        "text_hash": text_hash(item.text),
        "content_hash": content_hash(prepared),
        "lang": prepared.lang,
        "lang_confidence": float(prepared.lang_confidence),
        "pii_kinds": list(prepared.pii_kinds),
        "truncated": item.truncated,
        "source": item.source,
        "created_at": item.created_at or now,
        "nps": item.nps,
        "csat": item.csat,
        "ces": item.ces,
        "segments": dict(item.segments),
        "ingested_at": now,
        "updated_at": now,
    }


class FeedbackWriter(StoreBase):
    """Upserts of feedback items."""

    def upsert_feedback(self, workspace_id: int, items: Sequence[PreparedFeedback]) -> UpsertResult:
        """Insert new items and update changed ones, in one transaction.

        Args:
            workspace_id: The workspace the items belong to.
            items: Redacted, language-identified items (the last of repeated ids wins).

        Returns:
            How many distinct external ids were created, updated, or found unchanged, and how
            many items a later item of the batch with the same id superseded.
        """
        latest = {prepared.item.external_id: prepared for prepared in items}
        ordered = [latest[key] for key in sorted(latest)]
        if not ordered:
            return UpsertResult(created=0, updated=0, unchanged=0)

        def work(connection: Connection) -> UpsertResult:
            now = utcnow()
            created = updated = 0
            for part in chunks(ordered):
                dated = [p for p in part if p.item.created_at is not None]
                undated = [p for p in part if p.item.created_at is None]
                for group, keep_created in ((dated, False), (undated, True)):
                    if group:
                        rows = [_row(workspace_id, p, now) for p in group]
                        new, changed = self._upsert(connection, rows, keep_created)
                        created += new
                        updated += changed
            return UpsertResult(
                created=created,
                updated=updated,
                unchanged=len(ordered) - created - updated,
                superseded=len(items) - len(ordered),
            )

        return self._write_retrying(work)

    def _upsert(
        self, connection: Connection, rows: list[dict[str, Any]], keep_created: bool
    ) -> tuple[int, int]:
        """Upsert one chunk; returns ``(created, updated)`` and rewrites their segments."""
        workspace_id = rows[0]["workspace_id"]
        existing: set[str] = set()
        if self.dialect != "postgresql":  # serialised by BEGIN IMMEDIATE: a plain read is exact
            existing = set(
                connection.execute(
                    select(feedback_items.c.external_id).where(
                        feedback_items.c.workspace_id == workspace_id,
                        feedback_items.c.external_id.in_([row["external_id"] for row in rows]),
                    )
                ).scalars()
            )
        stmt = self._insert(feedback_items).values(rows)
        columns = list(_UPDATABLE) + ([] if keep_created else ["created_at"])
        changed = stmt.excluded.content_hash != feedback_items.c.content_hash
        if not keep_created:
            changed = or_(changed, stmt.excluded.created_at != feedback_items.c.created_at)
        stmt = stmt.on_conflict_do_update(
            index_elements=["workspace_id", "external_id"],
            set_={name: stmt.excluded[name] for name in columns}
            | {"updated_at": stmt.excluded.updated_at},
            where=changed,
        )
        returning: list[Any] = [feedback_items.c.id, feedback_items.c.external_id]
        if self.dialect == "postgresql":
            returning.append(literal_column("(xmax = 0)").label("inserted"))
        affected = connection.execute(stmt.returning(*returning)).all()
        if self.dialect == "postgresql":
            created = sum(1 for row in affected if row.inserted)
        else:
            created = sum(1 for row in affected if row.external_id not in existing)
        self._rewrite_segments(connection, workspace_id, rows, affected)
        return created, len(affected) - created

    def _rewrite_segments(
        self,
        connection: Connection,
        workspace_id: int,
        rows: list[dict[str, Any]],
        affected: Sequence[Any],
    ) -> None:
        if not affected:
            return
        ids = [row.id for row in affected]
        by_external = {row["external_id"]: row for row in rows}
        connection.execute(delete(feedback_segments).where(feedback_segments.c.item_id.in_(ids)))
        stale = (
            select(feedback_items.c.id)
            .where(
                feedback_items.c.id == opinion_units.c.item_id,
                feedback_items.c.text_hash == opinion_units.c.text_hash,
            )
            .exists()
        )
        connection.execute(
            delete(opinion_units).where(and_(opinion_units.c.item_id.in_(ids), ~stale))
        )
        segment_rows = [
            {"item_id": row.id, "workspace_id": workspace_id, "key": key, "value": value}
            for row in affected
            for key, value in by_external[row.external_id]["segments"].items()
        ]
        for part in chunks(segment_rows):
            connection.execute(feedback_segments.insert(), list(part))
