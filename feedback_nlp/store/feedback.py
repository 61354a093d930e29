"""Writing feedback: idempotent bulk upserts on ``(workspace_id, external_id)``.

One batch is one transaction. Within a batch the last row of an external id wins, and rows are
written in external-id order, so concurrent writers lock rows in the same order and PostgreSQL
cannot deadlock on them (a deadlock or serialization failure is retried anyway). A row whose
content is unchanged is not touched (``ON CONFLICT ... DO UPDATE ... WHERE`` the content hash
differs), so posting the same batch twice changes nothing. An item posted without
``created_at`` keeps the instant it was first ingested. Every write that changes an item sets
its ``updated_at`` (incremental readers follow items by ``updated_at`` and ``id``).

The writes are bulk statements. On SQLite: multi-row ``INSERT ... ON CONFLICT DO UPDATE ...
RETURNING`` statements sent to the driver with values encoded once
(:mod:`feedback_nlp.store.sqlite_upsert`), then the segments of the created and changed items in
one driver ``executemany``. On
PostgreSQL: ``COPY`` into a staging table and one ``INSERT ... SELECT ... ON CONFLICT``, then
``COPY`` of the segments (:mod:`feedback_nlp.store.pg_copy`). Only the redacted text is stored,
with its SHA-256 (``text_hash``). When an item's text changes, its opinion units (split from the
old text) are deleted; the next mining run splits it again.

The outcome fields (customer pseudonym, response and resolution minutes, churn, revenue) are part
of an item's content: re-sending an item with a changed outcome updates it. An item without any
outcome hashes exactly as before the outcomes existed, so re-sending data stored by an older
version stays ``unchanged``. Only pseudonymised customer ids are accepted
(:func:`~feedback_nlp.ingest.prepare.prepare_items` makes them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Connection

from feedback_nlp.domain import FeedbackIn, PreparedFeedback, UpsertResult, is_pseudonym
from feedback_nlp.store.base import StoreBase, chunks, utcnow
from feedback_nlp.store.pg_copy import copy_segments, copy_upsert_items
from feedback_nlp.store.schema import feedback_items, feedback_segments, opinion_units
from feedback_nlp.store.sqlite_upsert import upsert_items

__all__ = ["OUTCOME_COLUMNS", "FeedbackWriter", "content_hash", "text_hash"]

OUTCOME_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "first_response_minutes",
    "resolution_minutes",
    "churned",
    "churned_at",
    "revenue",
)
"""The outcome columns of ``feedback_items`` (revision 0009), as named on :class:`FeedbackIn`."""

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
    *OUTCOME_COLUMNS,
)

_SQLITE_SEGMENT_INSERT = (
    "INSERT INTO feedback_segments (item_id, workspace_id, key, value) VALUES (?, ?, ?, ?)"
)
_HASH_JSON = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)`` without building an encoder per call."""
_IN_CHUNK = 1_000
"""Ids per ``IN (...)`` list: far under both backends' bound-parameter limits."""


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
    outcomes = _outcomes(item)
    if outcomes is not None:  # items without outcomes keep the hash they had before 0009
        payload.append(outcomes)
    return hashlib.sha256(_HASH_JSON.encode(payload).encode()).hexdigest()


def _outcomes(item: FeedbackIn) -> list[Any] | None:
    """The outcome fields as JSON-ready values, ``None`` when the item has none."""
    values: list[Any] = [getattr(item, name) for name in OUTCOME_COLUMNS]
    if values.count(None) == len(values):
        return None
    return [value.isoformat() if isinstance(value, datetime) else value for value in values]


def _row(workspace_id: int, prepared: PreparedFeedback, now: datetime) -> dict[str, Any]:
    item = prepared.item
    if item.customer_id is not None and not is_pseudonym(item.customer_id):
        raise ValueError(
            "A customer id must be pseudonymised before it is stored; prepare the items with "
            "feedback_nlp.ingest.prepare.prepare_items(..., customer_key=...)."
        )
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
    } | {name: getattr(item, name) for name in OUTCOME_COLUMNS}


class FeedbackWriter(StoreBase):
    """Bulk upserts of feedback items."""

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
            dated = [_row(workspace_id, p, now) for p in ordered if p.item.created_at is not None]
            undated = [_row(workspace_id, p, now) for p in ordered if p.item.created_at is None]
            created = updated = 0
            for rows, keep_created in ((dated, False), (undated, True)):
                if rows:
                    new, changed = self._upsert(connection, workspace_id, rows, keep_created)
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
        self,
        connection: Connection,
        workspace_id: int,
        rows: list[dict[str, Any]],
        keep_created: bool,
    ) -> tuple[int, int]:
        """Upsert rows of one kind; returns ``(created, updated)`` and rewrites their segments."""
        affected: list[tuple[int, str, bool]]
        updatable = list(_UPDATABLE) + ([] if keep_created else ["created_at"])
        if self.dialect == "postgresql":
            affected = copy_upsert_items(connection, rows, updatable)
        else:
            existing: set[str] = set()  # serialised by BEGIN IMMEDIATE: a plain read is exact
            for part in chunks([row["external_id"] for row in rows], _IN_CHUNK):
                existing.update(
                    connection.execute(
                        select(feedback_items.c.external_id).where(
                            feedback_items.c.workspace_id == workspace_id,
                            feedback_items.c.external_id.in_(part),
                        )
                    ).scalars()
                )
            returned = upsert_items(connection, rows, updatable)
            affected = [(id_, ext, ext not in existing) for id_, ext in returned]
        old_ids = [id_ for id_, _, inserted in affected if not inserted]
        self._rewrite_segments(connection, workspace_id, rows, affected, old_ids)
        return len(affected) - len(old_ids), len(old_ids)

    def _rewrite_segments(
        self,
        connection: Connection,
        workspace_id: int,
        rows: list[dict[str, Any]],
        affected: list[tuple[int, str, bool]],
        old_ids: list[int],
    ) -> None:
        """Replace the segments of the written items; drop units of changed texts.

        Only items that existed before (``old_ids``) can have segments or units to remove.
        """
        stale = (
            select(feedback_items.c.id)
            .where(
                feedback_items.c.id == opinion_units.c.item_id,
                feedback_items.c.text_hash == opinion_units.c.text_hash,
            )
            .exists()
        )
        for part in chunks(old_ids, _IN_CHUNK):
            connection.execute(
                delete(feedback_segments).where(feedback_segments.c.item_id.in_(part))
            )
            connection.execute(
                delete(opinion_units).where(and_(opinion_units.c.item_id.in_(part), ~stale))
            )
        by_external = {row["external_id"]: row["segments"] for row in rows}
        segment_rows = [
            (item_id, workspace_id, key, value)
            for item_id, external_id, _ in affected
            for key, value in by_external[external_id].items()
        ]
        if not segment_rows:
            return
        if self.dialect == "postgresql":
            copy_segments(connection, segment_rows)
        else:  # plain values: the driver's executemany, no per-row SQLAlchemy processing
            connection.exec_driver_sql(_SQLITE_SEGMENT_INSERT, segment_rows)
