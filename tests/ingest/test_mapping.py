from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from feedback_nlp.ingest.mapping import ColumnMapping, ColumnMappingError


def test_mapping_uses_conventional_columns_when_none_is_named() -> None:
    resolved = ColumnMapping().resolve(["id", "text", "nps", "lang", "created_at"])
    assert dict(resolved.fields) == {
        "id": "id",
        "text": "text",
        "created_at": "created_at",
        "nps": "nps",
    }
    assert resolved.ignored(["id", "text", "nps", "lang", "created_at"]) == ["lang"]


def test_mapping_error_names_missing_and_available_columns() -> None:
    mapping = ColumnMapping(text_col="comment", segment_cols=("plan",))
    with pytest.raises(ColumnMappingError) as caught:
        mapping.resolve(["id", "body", "tier"])
    assert str(caught.value) == (
        "[E130] The file has no column 'comment' (for text), 'plan' (segment). Its columns are: "
        "'id', 'body', 'tier'. Name the right ones with --id-col, --text-col, --time-col, "
        "--source-col, --nps-col, --csat-col, --ces-col or --segment-cols."
    )


def test_mapping_rejects_an_unknown_default_source() -> None:
    with pytest.raises(ColumnMappingError, match="Got 'email'"):
        ColumnMapping(default_source="email").resolve(["id", "text"])


def test_mapping_converts_csv_strings() -> None:
    mapping = ColumnMapping(
        id_col="ID", text_col="Comment", nps_col="NPS", ces_col="CES", segment_cols=("plan", "tier")
    )
    resolved = mapping.resolve(["ID", "Comment", "NPS", "CES", "plan", "tier", "source"])
    row = {"ID": " 42 ", "Comment": "slow", "NPS": "9.0", "CES": "2.5", "plan": "pro", "tier": ""}
    assert resolved.to_raw(row | {"source": ""}) == {
        "id": "42",
        "text": "slow",
        "nps": 9,
        "ces": 2.5,
        "segments": {"plan": "pro"},
    }
    # values that are not numbers are passed on for validation to reject
    assert resolved.to_raw(row | {"NPS": "ten", "CES": "n/a"})["nps"] == "ten"
    assert resolved.to_raw(row | {"NPS": "99999999999999999999"})["nps"] == 99999999999999999999


def test_mapping_converts_typed_values_and_fills_the_default_source() -> None:
    resolved = ColumnMapping(time_col="at", default_source="review").resolve(
        ["id", "text", "at", "nps", "csat", "source"]
    )
    when = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    raw = resolved.to_raw(
        {"id": 7, "text": "x", "at": when, "nps": 9.0, "csat": math.nan, "source": None}
    )
    assert raw == {
        "id": "7",
        "text": "x",
        "created_at": "2026-05-01T08:30:00+00:00",
        "nps": 9,
        "source": "review",
    }
    assert resolved.to_raw({"id": "1", "text": "x", "source": "ticket"})["source"] == "ticket"
