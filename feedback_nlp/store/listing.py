"""Reading feedback: filters, keyset (cursor) paging, one item and its units.

Items are listed in ``(created_at, id)`` order. A cursor is the URL-safe base64 of the last
item's ``[created_at, id]``; the next page starts strictly after it, so items ingested meanwhile
never shift a page (they appear where their ``created_at`` puts them).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from feedback_nlp.constraints import Interval
from feedback_nlp.domain import (
    SENTIMENT_LABELS,
    SOURCES,
    FeedbackFilter,
    FeedbackRecord,
    Page,
    UnitRecord,
)
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase
from feedback_nlp.store.schema import feedback_items, feedback_segments, opinion_units

__all__ = [
    "MAX_PAGE",
    "PAGE_LIMIT",
    "RECORD_COLUMNS",
    "FeedbackReader",
    "decode_cursor",
    "encode_cursor",
    "filtered_items",
]

MAX_PAGE = 1000
#: Items per page of a listing (the API's ``limit`` query reads the same bounds).
PAGE_LIMIT = Interval("int", 1, MAX_PAGE)


def encode_cursor(created_at: datetime, item_id: int) -> str:
    """The cursor that continues after the item ``(created_at, item_id)``."""
    raw = json.dumps([created_at.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Read a cursor made by :func:`encode_cursor`.

    Raises:
        InvalidInputError: If the cursor was not made by this store.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, item_id = json.loads(raw)
        parsed = datetime.fromisoformat(stamp)
        if not isinstance(item_id, int) or parsed.tzinfo is None:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError(
            f"The cursor {cursor[:60]!r} is not one this service returned. Pass the "
            "'next_cursor' of the previous page unchanged, or omit it to start over."
        ) from None
    return parsed, item_id


def _check_filter(filters: FeedbackFilter) -> None:
    if filters.source is not None and filters.source not in SOURCES:
        raise InvalidInputError(
            f"The 'source' filter must be one of {', '.join(SOURCES)}. Got {filters.source!r}."
        )
    if filters.sentiment is not None and filters.sentiment not in SENTIMENT_LABELS:
        raise InvalidInputError(
            f"The 'sentiment' filter must be one of {', '.join(SENTIMENT_LABELS)}. "
            f"Got {filters.sentiment!r}."
        )


def filtered_items(workspace_id: int, filters: FeedbackFilter, *columns: Any) -> Select[Any]:
    """``SELECT columns FROM feedback_items`` of one workspace, narrowed by ``filters``."""
    _check_filter(filters)
    items = feedback_items.c
    query = select(*columns).where(items.workspace_id == workspace_id)
    if filters.source is not None:
        query = query.where(items.source == filters.source)
    if filters.start is not None:
        query = query.where(items.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(items.created_at < filters.end)
    for key, value in filters.segments:
        query = query.where(
            select(feedback_segments.c.item_id)
            .where(
                feedback_segments.c.item_id == items.id,
                feedback_segments.c.workspace_id == workspace_id,
                feedback_segments.c.key == key,
                feedback_segments.c.value == value,
            )
            .exists()
        )
    unit_conditions = []
    if filters.theme_id is not None:
        unit_conditions.append(opinion_units.c.theme_id == filters.theme_id)
    if filters.sentiment is not None:
        unit_conditions.append(opinion_units.c.sentiment_label == filters.sentiment)
    for condition in unit_conditions:
        query = query.where(
            select(opinion_units.c.id)
            .where(
                opinion_units.c.item_id == items.id,
                opinion_units.c.workspace_id == workspace_id,
                condition,
            )
            .exists()
        )
    return query


RECORD_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in fields(FeedbackRecord) if f.name != "theme_ids"
)
"""The fields of :class:`FeedbackRecord` read from the ``feedback_items`` column of that name
(``theme_ids`` comes from the item's opinion units)."""


def _record(row: Any, theme_ids: Sequence[str]) -> FeedbackRecord:
    values = {name: getattr(row, name) for name in RECORD_COLUMNS}
    # the JSON columns come back as lists and dicts
    values["pii_kinds"] = tuple(row.pii_kinds)
    values["segments"] = dict(row.segments)
    values["churned"] = None if row.churned is None else bool(row.churned)
    return FeedbackRecord(**values, theme_ids=tuple(theme_ids))


class FeedbackReader(StoreBase):
    """Listing and reading feedback items."""

    def list_feedback(
        self,
        workspace_id: int,
        filters: FeedbackFilter | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[FeedbackRecord]:
        """One page of a workspace's items that match ``filters``, oldest first.

        Args:
            workspace_id: Whose items.
            filters: Narrowing conditions (all must hold).
            cursor: ``next_cursor`` of the previous page, or ``None`` for the first.
            limit: Items per page, 1..1000.

        Raises:
            InvalidInputError: If the limit, a filter or the cursor is not acceptable.
        """
        if not PAGE_LIMIT.accepts(limit):
            raise InvalidInputError(f"The page limit must be {PAGE_LIMIT.span()}. Got {limit!r}.")
        limit = int(limit)
        items = feedback_items.c
        query = filtered_items(workspace_id, filters or FeedbackFilter(), feedback_items)
        if cursor is not None:
            after, after_id = decode_cursor(cursor)
            query = query.where(
                or_(items.created_at > after, and_(items.created_at == after, items.id > after_id))
            )
        query = query.order_by(items.created_at, items.id).limit(limit + 1)
        with self._read() as connection:
            rows = connection.execute(query).all()
            themes = self._theme_ids(connection, workspace_id, [row.id for row in rows[:limit]])
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(page[-1].created_at, page[-1].id)
        return Page(
            items=[_record(row, themes.get(row.id, ())) for row in page], next_cursor=next_cursor
        )

    def _theme_ids(
        self, connection: Any, workspace_id: int, item_ids: list[int]
    ) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        if not item_ids:
            return found
        rows = connection.execute(
            select(opinion_units.c.item_id, opinion_units.c.theme_id)
            .where(
                opinion_units.c.workspace_id == workspace_id,
                opinion_units.c.item_id.in_(item_ids),
                opinion_units.c.theme_id.is_not(None),
            )
            .distinct()
            .order_by(opinion_units.c.item_id, opinion_units.c.theme_id)
        )
        for item_id, theme_id in rows:
            found[item_id].append(theme_id)
        return found

    def get_feedback(self, workspace_id: int, external_id: str) -> FeedbackRecord:
        """Return one item by its external id.

        Raises:
            NotFoundError: If the workspace has no such item.
        """
        with self._read() as connection:
            row = connection.execute(
                select(feedback_items).where(
                    feedback_items.c.workspace_id == workspace_id,
                    feedback_items.c.external_id == external_id,
                )
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"No feedback item has the id {external_id!r}.")
            themes = self._theme_ids(connection, workspace_id, [row.id])
        return _record(row, themes.get(row.id, ()))

    def get_units(self, workspace_id: int, external_id: str) -> list[UnitRecord]:
        """Return the opinion units of one item (empty until a mining run has split it)."""
        with self._read() as connection:
            rows = connection.execute(
                select(opinion_units, feedback_items.c.external_id)
                .join(feedback_items, feedback_items.c.id == opinion_units.c.item_id)
                .where(
                    opinion_units.c.workspace_id == workspace_id,
                    feedback_items.c.workspace_id == workspace_id,
                    feedback_items.c.external_id == external_id,
                )
                .order_by(opinion_units.c.unit_index)
            ).all()
        return [
            UnitRecord(
                external_id=row.external_id,
                unit_index=row.unit_index,
                start=row.start_offset,
                end=row.end_offset,
                text=row.text,
                lang=row.lang,
                theme_id=row.theme_id,
                sentiment_label=row.sentiment_label,
                sentiment_score=row.sentiment_score,
            )
            for row in rows
        ]

    def count_feedback(self, workspace_id: int, filters: FeedbackFilter | None = None) -> int:
        """How many of a workspace's items match ``filters``."""
        query = filtered_items(workspace_id, filters or FeedbackFilter(), func.count())
        with self._read() as connection:
            return int(connection.execute(query).scalar_one())
