from __future__ import annotations

from pathlib import Path

import pytest

from feedback_nlp.domain import RowError
from feedback_nlp.ingest.readers import CsvReader
from feedback_nlp.ingest.readers.base import Record


def _read(path: Path, **options: int) -> tuple[list[str] | None, list[Record]]:
    reader = CsvReader(path, **options)  # type: ignore[arg-type]
    try:
        columns = None if reader.columns is None else list(reader.columns)
        return columns, list(reader.records())
    finally:
        reader.close()


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    return path


def _good(records: list[Record]) -> list[tuple[int, dict[str, object]]]:
    return [r for r in records if not isinstance(r, RowError)]


def _errors(records: list[Record]) -> list[RowError]:
    return [r for r in records if isinstance(r, RowError)]


def test_csv_reader_numbers_rows_by_physical_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,text\n1,one\n\n2,"two\nlines"\n3,three\n')
    columns, records = _read(path)
    assert columns == ["id", "text"]
    # the blank line 3 is skipped; the two-line record starts at line 4
    assert records == [
        (2, {"id": "1", "text": "one"}),
        (4, {"id": "2", "text": "two\nlines"}),
        (6, {"id": "3", "text": "three"}),
    ]


def test_csv_reader_rejects_invalid_utf8_line_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,text\n1,good\n2,caf\xe9 latin-1\n3,also good\n")
    _, records = _read(path)
    assert _good(records) == [
        (2, {"id": "1", "text": "good"}),
        (4, {"id": "3", "text": "also good"}),
    ]
    (error,) = _errors(records)
    assert error.index == 3
    assert error.reason.startswith("[E120] Line 3 is not valid UTF-8 (byte 6 of the line: e9")


def test_csv_reader_unterminated_quote_costs_one_row(tmp_path: Path) -> None:
    # line 3 opens a quote that is never closed: only line 3 is lost
    path = _write(tmp_path, b'id,text\n1,good\n2,"never closed\n3,kept\n4,kept too\n')
    _, records = _read(path)
    assert [number for number, _ in _good(records)] == [2, 4, 5]
    (error,) = _errors(records)
    assert error.index == 3
    assert error.reason.startswith(
        "[E121] The record starting at line 3 has a stray or unterminated"
    )


def test_csv_reader_quote_closed_on_a_later_line_resynchronises(tmp_path: Path) -> None:
    # the quote opened on line 3 is "closed" by the first quote of line 5: the strict parser
    # then finds text after the closing quote, so line 3 is rejected and 4, 5 are read again
    path = _write(tmp_path, b'id,text\n1,a\n2,"open\n3,b\n4,"quoted",x\n5,c\n')
    _, records = _read(path)
    good = _good(records)
    assert [number for number, _ in good] == [2, 4, 6]
    assert [e.index for e in _errors(records)] == [3, 5]  # line 5 has 3 fields
    assert _errors(records)[1].reason.startswith("[E122] Line 5 has 3 fields; the header has 2")


def test_csv_reader_stray_quote_inside_field(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,text\n1,"a"b\n2,ok\n')
    _, records = _read(path)
    assert _good(records) == [(3, {"id": "2", "text": "ok"})]
    assert _errors(records)[0].index == 2


def test_csv_reader_keeps_nul_bytes_for_validation(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,text\n1,nul\x00inside\n2,ok\n")
    _, records = _read(path)
    assert records == [(2, {"id": "1", "text": "nul\x00inside"}), (3, {"id": "2", "text": "ok"})]


@pytest.mark.parametrize(
    "text",
    [
        "Die App stürzt ständig ab 😡🔥",
        "التطبيق يتعطل كل مرة أفتح لوحة التحكم",
        'האפליקציה קורסת בכל פעם, "באמת" מעצבן',
        "پشتیبانی خیلی کند است، لطفاً زودتر جواب بدهید",
        "Programėlė užstringa, kai bandau apmokėti — labai erzina",
    ],
)
def test_csv_reader_round_trips_multilingual_text(tmp_path: Path, text: str) -> None:
    quoted = '"' + text.replace('"', '""') + '"'
    path = _write(tmp_path, f"id,text\n1,{quoted}\n".encode())
    _, records = _read(path)
    assert records == [(2, {"id": "1", "text": text})]


def test_csv_reader_strips_byte_order_mark_and_reads_crlf(tmp_path: Path) -> None:
    path = _write(tmp_path, b'\xef\xbb\xbfid,text\r\n1,"a\r\nb"\r\n2,c\r\n')
    columns, records = _read(path)
    assert columns == ["id", "text"]
    assert records == [(2, {"id": "1", "text": "a\r\nb"}), (4, {"id": "2", "text": "c"})]


def test_csv_reader_reads_a_10_mb_row_and_a_1m_character_field(tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    million = "ü" * 1_000_000
    path = _write(tmp_path, f"id,text\n1,{big}\n2,{million}\n3,small\n".encode())
    _, records = _read(path)
    assert [(n, len(str(row["text"]))) for n, row in _good(records)] == [
        (2, 10 * 1024 * 1024),
        (3, 1_000_000),
        (4, 5),
    ]


def test_csv_reader_rejects_rows_over_the_byte_limit(tmp_path: Path) -> None:
    big, half = "x" * 5000, "y" * 3000
    data = f'id,text\n1,{big}\n2,ok\n3,"{big}\n{big}"\n4,ok\n5,"{half}\n{half}"\n6,ok\n'
    _, records = _read(_write(tmp_path, data.encode()), max_row_bytes=4096)
    assert [n for n, _ in _good(records)] == [3, 6, 9]
    errors = _errors(records)
    assert [e.index for e in errors] == [2, 4, 5, 7, 8]
    # 1 + 1 + 5000 + 1 bytes
    assert errors[0].reason == (
        "[E123] The line at line 2 is 5,003 bytes long, more than the limit of 4,096 bytes. "
        "Shorten it, or raise the limit with --max-row-bytes."
    )
    # a record whose lines are each over the limit: each line is rejected on its own
    assert errors[1].reason.startswith("[E123] The line at line 4 is 5,004 bytes long")
    assert errors[2].reason.startswith("[E123] The line at line 5 is 5,002 bytes long")
    # a record of two 3,004/3,002-byte lines: over the limit together, so its first line is
    # rejected and its second line is read again (one field: the header has two)
    assert errors[3].reason.startswith(
        "[E121] The record starting at line 7 has a quote that is not closed within 4,096 bytes"
    )
    assert errors[4].reason.startswith("[E122] Line 8 has 1 fields; the header has 2")


def test_csv_reader_empty_file_has_no_columns_and_no_rows(tmp_path: Path) -> None:
    columns, records = _read(_write(tmp_path, b""))
    assert columns is None
    assert records == []


def test_csv_reader_header_only(tmp_path: Path) -> None:
    columns, records = _read(_write(tmp_path, b"id,text\n"))
    assert columns == ["id", "text"]
    assert records == []
