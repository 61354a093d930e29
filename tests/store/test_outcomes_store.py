"""Outcomes in the store: round trip, idempotency, pseudonyms, currency, migration 0009."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from feedback_nlp.currency import CurrencyError
from feedback_nlp.domain import FeedbackIn
from feedback_nlp.errors import NotFoundError
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.pseudonym import pseudonym
from feedback_nlp.store import Store, make_engine, open_store, upgrade
from feedback_nlp.store.feedback import content_hash
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from tests.store.factory import item

CHURNED_AT = datetime(2024, 6, 1, tzinfo=UTC)


def _outcomes(customer: str | None = "c_0123456789abcdef", **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "customer_id": customer,
        "first_response_minutes": 12.5,
        "resolution_minutes": 600.0,
        "churned": True,
        "churned_at": CHURNED_AT,
        "revenue": 1200.0,
    }
    return fields | changes


def test_outcomes_round_trip_through_the_store(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a", **_outcomes()), item("b", minutes=1)])
    first, second = store.list_feedback(ws).items
    assert first.customer_id == "c_0123456789abcdef"
    assert (first.first_response_minutes, first.resolution_minutes) == (12.5, 600.0)
    assert (first.churned, first.churned_at, first.revenue) == (True, CHURNED_AT, 1200.0)
    assert (second.customer_id, second.churned, second.revenue) == (None, None, None)
    assert store.get_feedback(ws, "a") == first


def test_outcomes_false_churn_and_zero_values_are_kept(store: Store) -> None:
    ws = store.create_workspace("acme").id
    fields = _outcomes(churned=False, churned_at=None, revenue=0.0, resolution_minutes=0.0)
    store.upsert_feedback(ws, [item("a", **fields)])
    record = store.get_feedback(ws, "a")
    assert (record.churned, record.revenue, record.resolution_minutes) == (False, 0.0, 0.0)


@pytest.mark.parametrize(
    "change",
    [
        {"revenue": 1300.0},
        {"churned": False, "churned_at": None},
        {"resolution_minutes": None},
        {"customer_id": "c_fedcba9876543210"},
        {"first_response_minutes": 13.0},
    ],
)
def test_outcomes_changed_outcome_is_updated_same_is_unchanged(
    store: Store, change: dict[str, object]
) -> None:
    ws = store.create_workspace("acme").id
    assert store.upsert_feedback(ws, [item("a", **_outcomes())]).created == 1
    assert store.upsert_feedback(ws, [item("a", **_outcomes())]).unchanged == 1
    result = store.upsert_feedback(ws, [item("a", **_outcomes(**change))])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    record = store.get_feedback(ws, "a")
    for name, value in change.items():
        assert getattr(record, name) == value


def test_outcomes_adding_outcomes_to_a_stored_item_updates_it(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, [item("a")])
    assert store.upsert_feedback(ws, [item("a", revenue=5.0)]).updated == 1
    assert store.upsert_feedback(ws, [item("a", revenue=5.0)]).unchanged == 1


def test_outcomes_absent_keep_the_content_hash_of_before_0009() -> None:
    prepared = item("a", nps=3, segments={"plan": "pro"})
    before = [
        "The delivery was late.",
        None,
        3,
        None,
        None,
        [["plan", "pro"]],
        False,
        "en",
        0.9,
        [],
    ]
    expected = hashlib.sha256(json.dumps(before, ensure_ascii=False).encode()).hexdigest()
    assert content_hash(prepared) == expected
    assert content_hash(item("a", nps=3, segments={"plan": "pro"}, churned=False)) != expected


def test_outcomes_store_refuses_a_customer_id_in_clear(store: Store) -> None:
    ws = store.create_workspace("acme").id
    with pytest.raises(ValueError, match="pseudonymised"):
        store.upsert_feedback(ws, [item("a", customer_id="jane@example.com")])
    assert store.count_feedback(ws) == 0


def test_outcomes_prepare_pseudonymises_customer_ids_per_workspace(store: Store) -> None:
    acme, other = store.create_workspace("acme").id, store.create_workspace("other").id
    key = store.customer_key(acme)
    assert key == store.customer_key(acme)
    assert len(key) == 32
    assert key != store.customer_key(other)
    items = [
        FeedbackIn(external_id="a", text="Slow support.", customer_id="cust-1"),
        FeedbackIn(external_id="b", text="Slow support!", customer_id="cust-1"),
        FeedbackIn(external_id="c", text="Slow support?", customer_id="cust-2"),
    ]
    redactor, identifier = PiiRedactor(), LanguageIdentifier()
    with pytest.raises(ValueError, match="customer key"):
        prepare_items(items, redactor, identifier)
    prepared = prepare_items(items, redactor, identifier, customer_key=key)
    store.upsert_feedback(acme, prepared)
    stored = {r.external_id: r.customer_id for r in store.list_feedback(acme).items}
    assert stored["a"] == stored["b"] == pseudonym(key, "cust-1")
    assert stored["c"] == pseudonym(key, "cust-2") != stored["a"]
    assert pseudonym(store.customer_key(other), "cust-1") != stored["a"]
    with store.engine.connect() as connection:
        raw = connection.execute(text("SELECT customer_id FROM feedback_items")).scalars().all()
    assert not any("cust" in str(value) for value in raw)


def test_outcomes_workspace_currency_defaults_to_usd_and_can_be_set(store: Store) -> None:
    workspace = store.create_workspace("acme")
    assert workspace.currency == "USD"
    assert store.workspace_currency(workspace.id) == "USD"
    assert store.set_workspace_currency(workspace.id, " eur ").currency == "EUR"
    assert store.workspace_currency(workspace.id) == "EUR"
    assert store.create_workspace("acme").currency == "EUR"  # re-creating keeps it
    with pytest.raises(CurrencyError, match=r"\[E117\].*Got 'EURO'"):
        store.set_workspace_currency(workspace.id, "EURO")
    with pytest.raises(NotFoundError):
        store.set_workspace_currency(workspace.id + 100, "EUR")
    with pytest.raises(NotFoundError):
        store.customer_key(workspace.id + 100)


def test_outcomes_migration_0009_upgrades_a_0008_database_with_data(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO workspaces (name, created_at) VALUES ('old', :at)"),
            {"at": datetime(2024, 1, 1)},
        )
        workspace_id = connection.execute(text("SELECT id FROM workspaces")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO feedback_items (workspace_id, external_id, text, text_hash, "
                "content_hash, lang, lang_confidence, pii_kinds, truncated, source, created_at, "
                "nps, segments, ingested_at, updated_at) VALUES (:ws, 'x1', 'Late again.', 'h', "
                "'c', 'en', 0.9, '[]', false, 'ticket', :at, 4, '{}', :at, :at)"
            ),
            {"ws": workspace_id, "at": datetime(2024, 1, 2)},
        )
    upgrade(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("feedback_items")}
    assert {"customer_id", "resolution_minutes", "churned", "churned_at", "revenue"} <= columns
    engine.dispose()
    store = open_store(database_url)
    try:
        workspace = store.get_workspace(workspace_id)
        assert workspace.currency == "USD"
        assert len(store.customer_key(workspace_id)) == 32
        record = store.get_feedback(workspace_id, "x1")
        assert (record.nps, record.customer_id, record.churned, record.revenue) == (
            4,
            None,
            None,
            None,
        )
        records = store.analytics_records(workspace_id)
        assert records.items["revenue"] == [None]
        assert records.items["churned"] == [None]
    finally:
        store.close()
