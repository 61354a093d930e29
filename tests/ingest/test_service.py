"""Tests of the ingest service: validate -> prepare -> bulk upsert, for a batch or a stream."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from feedback_nlp.domain import FeedbackIn, UpsertResult
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.store import Store
from feedback_nlp.store.feedback import text_hash
from feedback_nlp.store.schema import feedback_items, feedback_segments, opinion_units
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

EN = "The delivery was late again and nobody answered my emails."
HE = "המשלוח שוב איחר ואף אחד לא ענה למיילים שלי."


@pytest.fixture(scope="module")
def stages() -> tuple[PiiRedactor, LanguageIdentifier]:
    return PiiRedactor(), LanguageIdentifier()


@pytest.fixture
def service(store: Store, stages: tuple[PiiRedactor, LanguageIdentifier]) -> IngestService:
    return IngestService(store, *stages, max_text_chars=40)


def _counts(outcome: object) -> tuple[int, ...]:
    names = ("received", "created", "updated", "unchanged", "superseded", "rejected")
    return tuple(getattr(outcome, name) for name in names)


def test_service_ingest_counts_every_row(store: Store, service: IngestService) -> None:
    ws = store.create_workspace("acme").id
    rows: list[object] = [
        {"id": "a", "text": "first version of a"},
        {"id": "b", "text": EN, "segments": {"plan": "pro"}},
        {"id": "a", "text": "second version of a"},
        {"id": "c", "text": "x", "nps": 11, "colour": "red"},
        "not an object",
    ]
    outcome = service.ingest(ws, rows)
    assert _counts(outcome) == (5, 2, 0, 0, 1, 2)
    assert [(e.index, e.field) for e in outcome.errors] == [(3, "colour"), (3, "nps"), (4, "row")]
    assert outcome.truncated == 1  # EN is longer than 40 characters
    assert store.get_feedback(ws, "a").text == "second version of a"

    again = service.ingest(ws, rows)
    assert _counts(again) == (5, 0, 0, 2, 1, 2)
    changed = service.ingest(ws, [{"id": "a", "text": "third"}, rows[1]])
    assert _counts(changed) == (2, 0, 1, 1, 0, 0)


def test_service_ingest_redacts_before_identifying_and_storing(
    store: Store, service: IngestService
) -> None:
    ws = store.create_workspace("acme").id
    text = "Write to dana@example.com now"
    service.ingest(ws, [{"id": "a", "text": text, "segments": {"contact": "dana@example.com"}}])
    stored = store.get_feedback(ws, "a")
    assert "dana@example.com" not in stored.text
    assert "dana@example.com" not in stored.segments["contact"]
    assert stored.pii_kinds == ("email",)


def test_service_ingest_of_nothing_good_writes_nothing(
    store: Store, service: IngestService
) -> None:
    ws = store.create_workspace("acme").id
    outcome = service.ingest(ws, [{"id": "a"}])
    assert _counts(outcome) == (1, 0, 0, 0, 0, 1)
    assert store.count_feedback(ws) == 0
    assert service.store_items(ws, []) == UpsertResult(0, 0, 0)


def test_service_bulk_upsert_keeps_segments_units_and_updated_at_consistent(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier]
) -> None:
    service = IngestService(store, *stages, max_text_chars=20_000)
    ws = store.create_workspace("acme").id
    n = 2_500  # more than one statement's worth of rows and of IN-list ids
    when = "2026-01-01T00:00:00Z"
    rows = [
        {
            "id": f"i{k:05d}",
            "text": f"{EN} {k}",
            "created_at": when,
            "segments": {"plan": "pro", "n": str(k % 7)},
        }
        for k in range(n)
    ]
    rows += [{"id": "undated", "text": HE}]
    assert _counts(service.ingest(ws, rows)) == (n + 1, n + 1, 0, 0, 0, 0)
    with store.engine.begin() as connection:
        items = {r.external_id: r for r in connection.execute(select(feedback_items))}
        connection.execute(
            insert(opinion_units),
            [
                {
                    "item_id": row.id,
                    "workspace_id": ws,
                    "unit_index": 0,
                    "start_offset": 0,
                    "end_offset": len(row.text),
                    "text": row.text,
                    "lang": row.lang,
                    "text_hash": row.text_hash,
                }
                for row in items.values()
            ],
        )

    # texts change for ids 0..999, only a segment for 1000..1499, nothing for the rest
    changed = [
        {"id": f"i{k:05d}", "text": f"{EN} new {k}", "created_at": when, "segments": {"plan": "a"}}
        for k in range(1_000)
    ]
    changed += [
        {"id": f"i{k:05d}", "text": f"{EN} {k}", "created_at": when, "segments": {"n": "x"}}
        for k in range(1_000, 1_500)
    ]
    changed += rows[1_500:]
    assert _counts(service.ingest(ws, changed)) == (n + 1, 0, 1_500, n - 1_500 + 1, 0, 0)

    with store.engine.connect() as connection:
        after = {r.external_id: r for r in connection.execute(select(feedback_items))}
        segments = {
            (r.item_id, r.key): r.value for r in connection.execute(select(feedback_segments))
        }
        unit_items = set(connection.execute(select(opinion_units.c.item_id)).scalars())
        unit_count = connection.execute(select(func.count()).select_from(opinion_units)).scalar()
    assert len(segments) == 1_000 + 500 + 2 * (n - 1_500)
    for k in (0, 999, 1_000, 1_499, 1_500, n - 1):
        row, old = after[f"i{k:05d}"], items[f"i{k:05d}"]
        assert row.id == old.id
        expected = {"plan": "a"} if k < 1_000 else {"n": "x"} if k < 1_500 else {}
        expected = expected or {"plan": "pro", "n": str(k % 7)}
        assert {key: value for (item, key), value in segments.items() if item == row.id} == expected
        assert (row.updated_at > old.updated_at) == (k < 1_500)
        assert row.text_hash == text_hash(row.text)
        assert (row.id in unit_items) == (k >= 1_000)  # units of changed texts are gone
    assert unit_count == n + 1 - 1_000
    assert after["undated"].created_at == items["undated"].created_at


def test_service_pipeline_stores_chunks_in_order(store: Store, service: IngestService) -> None:
    ws = store.create_workspace("acme").id
    results: list[UpsertResult] = []
    chunk = [FeedbackIn(external_id=f"c{k}", text=f"chunk one item {k}") for k in range(5)]
    with service.pipeline(ws, results.append) as chunks:
        chunks.submit(chunk)
        chunk.clear()  # the pipeline copied it
        chunks.submit([FeedbackIn(external_id="c0", text="chunk two")])
        chunks.submit([])
        chunks.submit([FeedbackIn(external_id="c0", text="chunk three")])
    assert [(r.created, r.updated, r.unchanged) for r in results] == [
        (5, 0, 0),
        (0, 1, 0),
        (0, 1, 0),
    ]
    assert store.get_feedback(ws, "c0").text == "chunk three"
    assert set(chunks.seconds) == {"prepare", "store", "wait"}


def test_service_pipeline_keeps_the_order_of_more_chunks_than_stages(
    store: Store, service: IngestService
) -> None:
    ws = store.create_workspace("acme").id
    results: list[UpsertResult] = []
    with service.pipeline(ws, results.append) as chunks:
        for round_ in range(7):  # chunk k rewrites the ids of chunk k - 1, plus two new ones
            chunks.submit(
                [
                    FeedbackIn(external_id=f"i{k}", text=f"round {round_} item {k}")
                    for k in range(2 * round_, 2 * round_ + 4)
                ]
            )
    assert [(r.created, r.updated, r.unchanged) for r in results] == [(4, 0, 0)] + [(2, 2, 0)] * 6
    assert store.get_feedback(ws, "i12").text == "round 6 item 12"
    assert store.get_feedback(ws, "i11").text == "round 5 item 11"  # stored before round 6's
    assert chunks.seconds["prepare"] > 0
    assert chunks.seconds["store"] > 0


def test_service_pipeline_raises_a_failed_chunk(service: IngestService) -> None:
    results: list[UpsertResult] = []
    with (
        pytest.raises(IntegrityError),
        service.pipeline(999_999, results.append) as chunks,  # no such workspace
    ):
        chunks.submit([FeedbackIn(external_id="a", text="an item of no workspace")])
    assert results == []
