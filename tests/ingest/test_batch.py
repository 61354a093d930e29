from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.ingest.batch import IngestOptions, IngestSummary, ingest_file
from feedback_nlp.ingest.mapping import ColumnMapping, ColumnMappingError
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

TEXTS = {
    "en": "The delivery was late again and nobody answered my emails.",
    "ar": "التوصيل تأخر مرة أخرى ولم يرد أحد على رسائلي الإلكترونية.",
    "he": "המשלוח שוב איחר ואף אחד לא ענה למיילים שלי.",
    "fa": "ارسال دوباره دیر شد و هیچ‌کس به ایمیل‌هایم جواب نداد.",
    "lt": "Pristatymas vėl vėlavo ir niekas neatsakė į mano laiškus.",
}


@pytest.fixture(scope="module")
def stages() -> tuple[PiiRedactor, LanguageIdentifier]:
    return PiiRedactor(), LanguageIdentifier()


def _ingest(
    store: Store,
    stages: tuple[PiiRedactor, LanguageIdentifier],
    path: Path,
    mapping: ColumnMapping | None = None,
    **options: object,
) -> tuple[IngestSummary, list[dict[str, object]]]:
    summary = ingest_file(
        store,
        "acme",
        path,
        mapping or ColumnMapping(segment_cols=("plan",)),
        options=IngestOptions(**options),  # type: ignore[arg-type]
        redactor=stages[0],
        identifier=stages[1],
    )
    rejects = [json.loads(line) for line in summary.rejects_path.read_text("utf-8").splitlines()]
    return summary, rejects


def _stored(store: Store) -> dict[str, tuple[str, str]]:
    workspace = store.get_workspace_by_name("acme")
    assert workspace is not None
    page = store.list_feedback(workspace.id, limit=1000)
    return {record.external_id: (record.lang, record.text) for record in page.items}


def test_ingest_csv_keeps_good_rows_and_writes_rejects_line_by_line(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    rows = [
        b"id,text,nps,plan",
        f'en,"{TEXTS["en"]} 😡",3,pro'.encode(),  # line 2
        f"ar,{TEXTS['ar']},,free".encode(),  # line 3
        b'broken,"never closed,5,pro',  # line 4: unterminated quote
        f"he,{TEXTS['he']},7,".encode(),  # line 5
        b"latin,caf\xe9 au lait,5,pro",  # line 6: invalid UTF-8
        b"nul,text with \x00 inside,5,pro",  # line 7
        b"empty,   ,5,pro",  # line 8: blank text
        b"type,ok text,ten,pro",  # line 9: wrong type
        b"huge,ok text,99999999999999999999,pro",  # line 10: huge number
        f"fa,{TEXTS['fa']},0,pro".encode(),  # line 11
        f'lt,"{TEXTS["lt"]}\nAčiū.",10,free'.encode(),  # lines 12-13
        b"wide,a,1,pro,extra",  # line 14: one field too many
    ]
    path = tmp_path / "feedback.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    summary, rejects = _ingest(store, stages, path)

    assert (summary.rows_read, summary.created, summary.rejected) == (12, 5, 7)
    assert summary.rejects_path == tmp_path / "feedback.csv.rejects.jsonl"
    assert [(r["line"], r["field"], str(r["reason"])[:6]) for r in rejects] == [
        (4, "row", "[E121]"),
        (6, "row", "[E120]"),
        (7, "text", "[E103]"),
        (8, "text", "[E103]"),
        (9, "nps", "[E104]"),
        (10, "nps", "[E104]"),
        (14, "row", "[E122]"),
    ]
    assert rejects[4]["reason"] == (
        "[E104] The 'nps' field of row 9 (id 'type') must be an int in 0..10. Got 'ten'. "
        "Fix the value or drop the field."
    )
    stored = _stored(store)
    assert sorted(stored) == ["ar", "en", "fa", "he", "lt"]
    assert {key: lang for key, (lang, _) in stored.items()} == {k: k for k in stored}
    assert stored["en"][1] == TEXTS["en"] + " 😡"
    assert stored["lt"][1] == TEXTS["lt"] + "\nAčiū."


def test_ingest_is_idempotent(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("id,text\n1,first text here\n2,second text here\n", "utf-8")
    first, _ = _ingest(store, stages, path, ColumnMapping())
    again, rejects = _ingest(store, stages, path, ColumnMapping())
    assert (first.created, first.unchanged) == (2, 0)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert rejects == []


def test_ingest_counts_rows_superseded_by_a_later_row_with_the_same_id(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("id,text\n1,first text\n2,other text\n1,last text\n", "utf-8")
    summary, _ = _ingest(store, stages, path, ColumnMapping())
    assert (summary.rows_read, summary.created, summary.superseded) == (3, 2, 1)
    assert summary.to_json()["superseded"] == 1
    assert _stored(store)["1"][1] == "last text"


def test_ingest_jsonl_with_mapping_and_default_source(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    lines = [
        json.dumps({"ticket": 101, "body": TEXTS["he"], "score": 2, "tier": "pro"}),
        '{"ticket": 102, "body": "unterminated',
        json.dumps({"ticket": 103, "body": "", "score": 5}),
        json.dumps({"ticket": 104, "body": TEXTS["ar"], "score": 11, "channel": "x"}),
        json.dumps({"ticket": 105, "body": "x" * 1_000_000, "score": 9.0}),
    ]
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    mapping = ColumnMapping(
        id_col="ticket",
        text_col="body",
        nps_col="score",
        segment_cols=("tier",),
        default_source="ticket",
    )
    summary, rejects = _ingest(store, stages, path, mapping, max_text_chars=1000)
    assert (summary.rows_read, summary.created, summary.rejected, summary.truncated) == (5, 2, 3, 1)
    assert summary.ignored_columns == ["channel"]
    assert [(r["line"], r["field"]) for r in rejects] == [(2, "row"), (3, "text"), (4, "nps")]
    stored = _stored(store)
    assert stored["101"] == ("he", TEXTS["he"])
    assert stored["105"][1] == "x" * 1000


def test_ingest_parquet_rejects_rows_by_row_number(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "feedback.parquet"
    table = pa.table(
        {
            "id": ["p1", "p2", "p3", "p4", None],
            "text": pa.array(
                [TEXTS["fa"].encode(), b"\xff\xfe", TEXTS["lt"].encode(), b"ok", b"no id"],
                pa.binary(),
            ),
            "csat": pa.array([5, 1, 9, None, 3], pa.int64()),
        }
    )
    pq.write_table(table, path, row_group_size=2)
    summary, rejects = _ingest(store, stages, path, ColumnMapping())
    assert (summary.rows_read, summary.created, summary.rejected) == (5, 2, 3)
    assert [(r["line"], r["field"], str(r["reason"])[:6]) for r in rejects] == [
        (2, "text", "[E120]"),
        (3, "csat", "[E105]"),
        (5, "id", "[E102]"),
    ]
    assert sorted(_stored(store)) == ["p1", "p4"]


def test_ingest_10_mb_row_is_stored_truncated(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"id,text\nbig,{'word ' * (2 * 1024 * 1024)}\nsmall,fine\n", "utf-8")
    summary, rejects = _ingest(store, stages, path, ColumnMapping(), max_text_chars=2000)
    assert (summary.created, summary.truncated, summary.rejected) == (2, 1, 0)
    assert rejects == []
    assert len(_stored(store)["big"][1]) <= 2000


def test_ingest_empty_file_completes_with_no_rows(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    for name in ("empty.csv", "empty.jsonl", "empty.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        summary, rejects = _ingest(store, stages, path, ColumnMapping())
        assert (summary.rows_read, summary.created, summary.rejected) == (0, 0, 0)
        assert rejects == []


def test_ingest_mapping_error_names_the_columns_and_writes_nothing(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("id,comment\n1,hello\n", "utf-8")
    with pytest.raises(ColumnMappingError, match="Its columns are: 'id', 'comment'"):
        _ingest(store, stages, path, ColumnMapping())
    assert not (tmp_path / "feedback.csv.rejects.jsonl").exists()
    assert store.get_workspace_by_name("acme") is None


def test_ingest_missing_file_and_unknown_format(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier], tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError):
        _ingest(store, stages, tmp_path / "nope.csv")
    odd = tmp_path / "feedback.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(InvalidInputError, match="Cannot tell the format"):
        _ingest(store, stages, odd)
    not_parquet = tmp_path / "feedback.parquet"
    not_parquet.write_text("id,text\n1,x\n", "utf-8")
    with pytest.raises(InvalidInputError, match="cannot be read as parquet"):
        _ingest(store, stages, not_parquet)
