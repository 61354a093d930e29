"""Outcome columns of a file: their mapping (``clv`` too) and their rejects, CSV and JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedback_nlp.domain import is_pseudonym
from feedback_nlp.ingest.batch import IngestOptions, ingest_file
from feedback_nlp.ingest.mapping import ColumnMapping
from feedback_nlp.ingest.pseudonym import pseudonym
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

HEADER = "id,text,created_at,customer_id,first_response_at,resolution_minutes,churned,churned_at"


@pytest.fixture(scope="module")
def stages() -> tuple[PiiRedactor, LanguageIdentifier]:
    return PiiRedactor(), LanguageIdentifier()


def test_mapping_reads_outcome_columns_and_converts_csv_strings() -> None:
    columns = ["id", "text", "customer_id", "resolution_minutes", "churned", "clv", "currency"]
    resolved = ColumnMapping().resolve(columns)
    assert resolved.fields["revenue"] == "clv"
    row = {
        "id": "1",
        "text": "t",
        "customer_id": " 42 ",
        "resolution_minutes": "90.5",
        "churned": "Yes",
        "clv": "1200.50",
        "currency": " EUR ",
    }
    assert resolved.to_raw(row) == {
        "id": "1",
        "text": "t",
        "customer_id": "42",
        "resolution_minutes": 90.5,
        "churned": True,
        "revenue": 1200.5,
        "currency": "EUR",
    }
    assert resolved.ignored(columns) == []


def test_mapping_prefers_revenue_over_clv_and_leaves_clv_unread() -> None:
    resolved = ColumnMapping().resolve(["id", "text", "revenue", "clv"])
    assert resolved.fields["revenue"] == "revenue"
    assert resolved.ignored(["id", "text", "revenue", "clv"]) == ["clv"]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("true", True),
        ("FALSE", False),
        ("0", False),
        ("1", True),
        ("n", False),
        ("perhaps", "perhaps"),
    ],
)
def test_mapping_churned_strings_spelling_a_boolean_become_booleans(
    cell: str, value: object
) -> None:
    resolved = ColumnMapping().resolve(["id", "text", "churned"])
    assert resolved.to_raw({"id": "1", "text": "t", "churned": cell})["churned"] == value


def test_mapping_typed_values_of_outcomes() -> None:
    resolved = ColumnMapping().resolve(["id", "text", "churned", "customer_id", "revenue"])
    raw = resolved.to_raw(
        {"id": "1", "text": "t", "churned": 1.0, "customer_id": 77, "revenue": float("nan")}
    )
    assert raw == {"id": "1", "text": "t", "churned": True, "customer_id": "77"}


def test_ingest_csv_outcomes_are_stored_and_bad_ones_rejected_per_row(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "tickets.csv"
    lines = [
        HEADER + ",clv",
        "t1,The SSO login fails.,2026-05-01T08:00:00Z,cust-1,2026-05-01T08:30:00Z,600,false,,99.5",
        "t2,Billing charged me twice.,2026-05-01T09:00:00Z,cust-1,,,true,2026-05-20,",
        "t3,Too slow.,2026-05-01T09:00:00Z,,2026-04-01T00:00:00Z,-4,maybe,2026-05-20,-1",
        "t4,Fine.,,,,,,2026-05-20,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ingest_file(
        store,
        "acme",
        path,
        ColumnMapping(),
        options=IngestOptions(),
        redactor=stages[0],
        identifier=stages[1],
    )
    rejects = [json.loads(line) for line in summary.rejects_path.read_text("utf-8").splitlines()]
    assert (summary.created, summary.rejected) == (2, 2)
    assert [(r["line"], r["field"]) for r in rejects] == [
        (4, "first_response_at"),
        (4, "resolution_minutes"),
        (4, "churned"),
        (4, "revenue"),
        (5, "churned_at"),
    ]
    assert rejects[0]["reason"].startswith("[E113] The 'first_response_at' field of row 4")
    workspace = store.get_workspace_by_name("acme")
    assert workspace is not None
    first = store.get_feedback(workspace.id, "t1")
    assert (first.first_response_minutes, first.resolution_minutes) == (30.0, 600.0)
    assert (first.churned, first.churned_at, first.revenue) == (False, None, 99.5)
    second = store.get_feedback(workspace.id, "t2")
    assert second.churned is True
    assert second.churned_at is not None
    assert second.churned_at.isoformat().startswith("2026-05-20")
    key = store.customer_key(workspace.id)
    assert first.customer_id == second.customer_id == pseudonym(key, "cust-1")
    assert is_pseudonym(first.customer_id)


def test_ingest_rejects_a_currency_other_than_the_workspace_one(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    workspace = store.create_workspace("acme")
    store.set_workspace_currency(workspace.id, "eur")
    path = tmp_path / "rows.jsonl"
    rows = [
        {"id": "a", "text": "Great support.", "revenue": 10, "currency": "EUR"},
        {"id": "b", "text": "Great support!", "revenue": 10, "currency": "USD"},
        {"id": "c", "text": "Great support?", "revenue": 10, "currency": "ABC"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    summary = ingest_file(
        store, "acme", path, ColumnMapping(), redactor=stages[0], identifier=stages[1]
    )
    rejects = [json.loads(line) for line in summary.rejects_path.read_text("utf-8").splitlines()]
    assert summary.created == 1
    assert [(r["line"], r["field"]) for r in rejects] == [(2, "currency"), (3, "currency")]
    assert "the workspace's currency 'EUR'" in rejects[0]["reason"]
    assert "an active ISO 4217 code" in rejects[1]["reason"]
