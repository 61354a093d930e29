from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from feedback_nlp.domain import FeedbackFilter, FeedbackRecord
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store import Store
from feedback_nlp.store.listing import RECORD_COLUMNS
from feedback_nlp.store.schema import feedback_items, feedback_segments
from tests.store.factory import T0, item


def test_upsert_creates_then_is_idempotent(store: Store) -> None:
    ws = store.create_workspace("acme").id
    batch = [item("a", nps=9), item("b", source="review"), item("c", segments={"plan": "pro"})]
    first = store.upsert_feedback(ws, batch)
    assert (first.created, first.updated, first.unchanged, first.superseded) == (3, 0, 0, 0)
    again = store.upsert_feedback(ws, batch)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert store.count_feedback(ws) == 3


def test_upsert_updates_changed_items_only(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a", nps=9), item("b")])
    before = store.get_feedback(ws, "b")
    result = store.upsert_feedback(ws, [item("a", nps=3), item("b"), item("c")])
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert store.get_feedback(ws, "a").nps == 3
    assert store.get_feedback(ws, "b").updated_at == before.updated_at


def test_upsert_last_duplicate_in_batch_wins(store: Store) -> None:
    ws = store.create_workspace("acme").id
    result = store.upsert_feedback(ws, [item("a", "first"), item("b"), item("a", "second")])
    assert (result.created, result.updated, result.unchanged, result.superseded) == (2, 0, 0, 1)
    assert store.get_feedback(ws, "a").text == "second"


def test_upsert_without_created_at_keeps_first_ingest_time(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a", minutes=None)])
    first = store.get_feedback(ws, "a").created_at
    result = store.upsert_feedback(ws, [item("a", minutes=None)])
    assert result.unchanged == 1
    assert store.get_feedback(ws, "a").created_at == first
    moved = store.upsert_feedback(ws, [item("a", minutes=5)])
    assert moved.updated == 1
    assert store.get_feedback(ws, "a").created_at == T0 + timedelta(minutes=5)


def test_upsert_stores_redacted_text_with_its_hash(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a", "Call me at [PHONE] please", segments={"n": "1"})])
    with store.engine.connect() as connection:
        row = connection.execute(select(feedback_items)).one()
        segments = connection.execute(select(feedback_segments)).all()
    assert row.text == "Call me at [PHONE] please"
    assert row.text_hash == hashlib.sha256(b"Call me at [PHONE] please").hexdigest()
    assert [(s.key, s.value) for s in segments] == [("n", "1")]


def test_upsert_rewrites_segments_on_change(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a", segments={"plan": "pro", "region": "eu"})])
    store.upsert_feedback(ws, [item("a", segments={"plan": "free"})])
    assert store.get_feedback(ws, "a").segments == {"plan": "free"}
    assert store.count_feedback(ws, FeedbackFilter(segments=(("region", "eu"),))) == 0
    assert store.count_feedback(ws, FeedbackFilter(segments=(("plan", "free"),))) == 1


def test_workspaces_are_isolated(store: Store) -> None:
    acme = store.create_workspace("acme").id
    globex = store.create_workspace("globex").id
    store.upsert_feedback(acme, [item("same-id", "acme text"), item("only-acme")])
    result = store.upsert_feedback(globex, [item("same-id", "globex text")])
    assert result.created == 1  # the same external id in another workspace is another item
    assert store.get_feedback(acme, "same-id").text == "acme text"
    assert store.get_feedback(globex, "same-id").text == "globex text"
    assert [r.external_id for r in store.list_feedback(globex).items] == ["same-id"]
    with pytest.raises(NotFoundError):
        store.get_feedback(globex, "only-acme")


def test_list_feedback_pages_with_cursor_in_created_order(store: Store) -> None:
    ws = store.create_workspace("acme").id
    # ids inserted out of time order; two items share an instant
    store.upsert_feedback(ws, [item(f"i{n}", minutes=(7 * n) % 5) for n in range(5)])
    store.upsert_feedback(ws, [item("late", minutes=2)])
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_feedback(ws, cursor=cursor, limit=2)
        seen += [(r.created_at, r.external_id) for r in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    # minutes: i0 0, i1 2, i2 4, i3 1, i4 3, late 2 -> order by time then insertion
    assert [e for _, e in seen] == ["i0", "i3", "i1", "late", "i4", "i2"]
    assert pages == 3


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (FeedbackFilter(source="review"), ["b", "d"]),
        (FeedbackFilter(segments=(("plan", "pro"),)), ["a", "b"]),
        (FeedbackFilter(segments=(("plan", "pro"), ("region", "eu"))), ["b"]),
        (FeedbackFilter(start=T0 + timedelta(minutes=1)), ["b", "c", "d"]),
        (FeedbackFilter(end=T0 + timedelta(minutes=2)), ["a", "b"]),
        (
            FeedbackFilter(source="review", start=T0 + timedelta(minutes=2)),
            ["d"],
        ),
    ],
)
def test_list_feedback_filters(store: Store, filters: FeedbackFilter, expected: list[str]) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(
        ws,
        [
            item("a", minutes=0, source="survey", segments={"plan": "pro"}),
            item("b", minutes=1, source="review", segments={"plan": "pro", "region": "eu"}),
            item("c", minutes=2, source="ticket", segments={"plan": "free", "region": "eu"}),
            item("d", minutes=3, source="review"),
        ],
    )
    assert [r.external_id for r in store.list_feedback(ws, filters).items] == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"filters": FeedbackFilter(source="email")}, "source"),
        ({"filters": FeedbackFilter(sentiment="angry")}, "sentiment"),
    ],
)
def test_list_feedback_rejects_bad_arguments(
    store: Store, kwargs: dict[str, object], match: str
) -> None:
    ws = store.create_workspace("acme").id
    with pytest.raises(InvalidInputError, match=match):
        store.list_feedback(ws, **kwargs)  # type: ignore[arg-type]


def test_list_feedback_limit_reads_its_declaration(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item(f"i{n}", minutes=n) for n in range(3)])
    assert len(store.list_feedback(ws, limit=np.int64(2)).items) == 2  # type: ignore[arg-type]
    with pytest.raises(
        InvalidInputError, match=r"The page limit must be an int in 1\.\.1000\. Got 2\.0\."
    ):
        store.list_feedback(ws, limit=2.0)  # type: ignore[arg-type]


def test_feedback_record_fields_are_read_from_item_columns_of_the_same_name() -> None:
    # a field added to FeedbackRecord needs its column (or a place in RECORD_COLUMNS' exclusions)
    assert set(RECORD_COLUMNS) == {f.name for f in fields(FeedbackRecord)} - {"theme_ids"}
    assert set(RECORD_COLUMNS) <= set(feedback_items.c.keys())
