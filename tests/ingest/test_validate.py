from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback_nlp.ingest.validate import validate_rows

GOOD = {"id": "r1", "text": "Delivery was late."}


def one_error(row: object, max_text_chars: int = 100) -> tuple[str, str]:
    good, errors = validate_rows([row], max_text_chars=max_text_chars)
    assert good == []
    assert len(errors) == 1
    return errors[0].field, errors[0].reason


def test_validate_keeps_good_rows_and_reports_bad_ones_by_index() -> None:
    rows = [GOOD, {"id": "r2", "text": "ok", "nps": 11}, "oops", {"id": "r4", "text": "fine"}]
    good, errors = validate_rows(rows, max_text_chars=100)
    assert [(index, item.external_id) for index, item in good] == [(0, "r1"), (3, "r4")]
    assert [(e.index, e.field) for e in errors] == [(1, "nps"), (2, "row")]


def test_validate_message_house_style() -> None:
    rows = [GOOD] * 17 + [{"id": "x", "text": "t", "nps": 11}]
    _, errors = validate_rows(rows, max_text_chars=100)
    assert errors[0].reason == (
        "[E104] The 'nps' field of row 17 (id 'x') must be an int in 0..10. Got '11'. "
        "Fix the value or drop the field."
    )


def test_validate_full_row() -> None:
    row = {
        "id": "r1",
        "text": "  The app crashes.  ",
        "source": "review",
        "created_at": "2024-05-01T14:30:00+02:00",
        "nps": 0,
        "csat": 5,
        "ces": 6.5,
        "segments": {"plan": "pro", "seats": 12, "trial": False, "score": 0.5},
    }
    ((_, item),) = validate_rows([row], max_text_chars=100)[0]
    assert item.text == "The app crashes."
    assert item.created_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert (item.source, item.nps, item.csat, item.ces) == ("review", 0, 5, 6.5)
    assert item.segments == {"plan": "pro", "seats": "12", "trial": "false", "score": "0.5"}
    assert item.truncated is False


def test_validate_naive_time_is_utc_and_missing_time_is_none() -> None:
    rows = [GOOD | {"created_at": "2024-05-01 10:00:00"}, GOOD]
    good, _ = validate_rows(rows, max_text_chars=100)
    assert good[0][1].created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert good[0][1].created_at.utcoffset() == timedelta(0)
    assert good[1][1].created_at is None


def test_validate_truncates_long_text_and_flags_it() -> None:
    ((_, item),) = validate_rows([{"id": "a", "text": "x" * 30}], max_text_chars=10)[0]
    assert item.text == "x" * 10
    assert item.truncated is True


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ({"text": "t"}, "id", "E102"),
        ({"id": "", "text": "t"}, "id", "E102"),
        ({"id": 7, "text": "t"}, "id", "E102"),
        ({"id": "x" * 201, "text": "t"}, "id", "E102"),
        ({"id": "a\x00b", "text": "t"}, "id", "E102"),
        ({"id": "a"}, "text", "E103"),
        ({"id": "a", "text": "   \n"}, "text", "E103"),
        ({"id": "a", "text": 12}, "text", "E103"),
        ({"id": "a", "text": "bad\x00byte"}, "text", "E103"),
        ({"id": "a", "text": "t", "nps": -1}, "nps", "E104"),
        ({"id": "a", "text": "t", "nps": 9.0}, "nps", "E104"),
        ({"id": "a", "text": "t", "nps": True}, "nps", "E104"),
        ({"id": "a", "text": "t", "nps": "9"}, "nps", "E104"),
        ({"id": "a", "text": "t", "nps": 10**30}, "nps", "E104"),
        ({"id": "a", "text": "t", "csat": 0}, "csat", "E105"),
        ({"id": "a", "text": "t", "csat": 6}, "csat", "E105"),
        ({"id": "a", "text": "t", "ces": 7.5}, "ces", "E106"),
        ({"id": "a", "text": "t", "ces": float("nan")}, "ces", "E106"),
        ({"id": "a", "text": "t", "ces": 1e308 * 10}, "ces", "E106"),
        ({"id": "a", "text": "t", "source": "email"}, "source", "E107"),
        ({"id": "a", "text": "t", "created_at": "yesterday"}, "created_at", "E108"),
        ({"id": "a", "text": "t", "created_at": 1714563000}, "created_at", "E108"),
        ({"id": "a", "text": "t", "segments": ["a"]}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k": {"nested": 1}}}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k" * 65: "v"}}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k": 2**60}}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k": float("inf")}}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k": None}}, "segments", "E109"),
        ({"id": "a", "text": "t", "lang": "en"}, "lang", "E110"),
        ({"id": "a", "text": "lone \ud800 surrogate"}, "text", "E103"),
        ({"id": "a\udfff", "text": "t"}, "id", "E102"),
        ({"id": "a", "text": "t", "segments": {"k\ud800": "v"}}, "segments", "E109"),
        ({"id": "a", "text": "t", "segments": {"k": "v\udbff"}}, "segments", "E109"),
        ({"id": "a", "text": "t", "created_at": "\ud800"}, "created_at", "E108"),
        ({"id": "a", "text": "t", "\ud800": 1}, "\\ud800", "E110"),
        ({"id": "a", "text": "t", "ces": 10**400}, "ces", "E106"),
    ],
)
def test_validate_rejects(row: dict[str, object], field: str, code: str) -> None:
    got_field, reason = one_error(row)
    assert got_field == field
    assert reason.startswith(f"[{code}] ")
    missing = row.get(field) is None and field in {"id", "text"}
    assert (" is missing. " if missing else "Got ") in reason
    (got_field + reason).encode("utf-8")  # a lone surrogate is quoted as an escape


def test_validate_null_optional_fields_are_absent() -> None:
    ((_, item),) = validate_rows([GOOD | {"nps": None, "source": None}], max_text_chars=100)[0]
    assert item.nps is None
    assert item.source is None


def test_validate_reports_every_bad_field_of_a_row() -> None:
    _, errors = validate_rows([{"id": "a", "text": "", "nps": 11, "csat": 9}], max_text_chars=10)
    assert sorted(e.field for e in errors) == ["csat", "nps", "text"]


def test_validate_message_names_the_item_id() -> None:
    _, reason = one_error({"id": "order-5531", "text": "ok", "csat": 9})
    assert reason.startswith("[E105] The 'csat' field of row 0 (id 'order-5531') must be an int")


@pytest.mark.parametrize("row", [{"id": "r9"}, {"id": "r9", "text": None}])
def test_validate_missing_text_says_missing(row: dict[str, object]) -> None:
    field, reason = one_error(row)
    assert field == "text"
    assert reason == (
        "[E103] The 'text' field of row 0 (id 'r9') is missing. "
        "Send the feedback text as a non-empty string."
    )
    assert "null" not in reason


def test_validate_missing_id_says_missing_without_naming_an_id() -> None:
    field, reason = one_error({"text": "fine", "id": None})
    assert (field, reason) == (
        "id",
        "[E102] The 'id' field of row 0 is missing. Give every row a unique string id.",
    )


def test_validate_message_redacts_pii_in_the_id() -> None:
    _, reason = one_error({"id": "dana@example.com", "text": "ok", "nps": 12})
    assert "dana@example.com" not in reason
    assert "(id '[EMAIL]')" in reason
