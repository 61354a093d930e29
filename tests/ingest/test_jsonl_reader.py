from __future__ import annotations

import json
from pathlib import Path

from feedback_nlp.domain import RowError
from feedback_nlp.ingest.readers import JsonlReader
from feedback_nlp.ingest.readers.base import Record


def _read(path: Path, **options: int) -> list[Record]:
    reader = JsonlReader(path, **options)
    try:
        return list(reader.records())
    finally:
        reader.close()


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    return path


def test_jsonl_reader_rejects_bad_lines_and_keeps_good_ones(tmp_path: Path) -> None:
    lines = [
        b'{"id": "1", "text": "good"}',
        b'{"id": "2", "text": "caf\xe9"}',  # latin-1 byte
        b'{"id": "3", "text": "unterminated}',
        b"",
        b'["not", "an", "object"]',
        b'{"id": "6", "text": "emoji \xf0\x9f\x98\x80 and \\u0000 nul"}',
        b'{"id": "7", "nps": ' + b"9" * 5000 + b"}",  # over Python's int digit limit
        b'{"id": "8", "text": "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"}',
    ]
    records = _read(_write(tmp_path, b"\n".join(lines) + b"\n"))
    good = [r for r in records if not isinstance(r, RowError)]
    errors = [r for r in records if isinstance(r, RowError)]
    assert good == [
        (1, {"id": "1", "text": "good"}),
        (6, {"id": "6", "text": "emoji 😀 and \x00 nul"}),
        (8, {"id": "8", "text": "שלום"}),
    ]
    assert [(e.index, e.reason[:6]) for e in errors] == [
        (2, "[E120]"),
        (3, "[E124]"),
        (5, "[E125]"),
        (7, "[E124]"),
    ]
    assert errors[0].reason == (
        "[E120] Line 2 is not valid UTF-8 (byte 25 of the line: e9 22 7d 0a...). Save it as UTF-8."
    )
    assert errors[2].reason.startswith("[E125] Line 5 must be a JSON object. Got an array.")


def test_jsonl_reader_keeps_huge_numbers_and_1m_character_texts(tmp_path: Path) -> None:
    text = "ė" * 1_000_000
    rows = [{"id": "1", "text": text, "nps": 10**30}, {"id": "2", "text": "x", "ces": 1e400}]
    data = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).replace(
        "Infinity", "1e400"
    )
    records = _read(_write(tmp_path, data.encode()))
    assert records[0] == (1, {"id": "1", "text": text, "nps": 10**30})
    assert records[1] == (2, {"id": "2", "text": "x", "ces": float("inf")})


def test_jsonl_reader_rejects_a_line_over_the_limit_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    big = json.dumps({"id": "1", "text": "x" * (10 * 1024 * 1024)})
    path = _write(tmp_path, (big + '\n{"id": "2", "text": "ok"}\n').encode())
    records = _read(path, max_row_bytes=1024 * 1024)
    assert records[1] == (2, {"id": "2", "text": "ok"})
    assert isinstance(records[0], RowError)
    assert records[0].reason.startswith(
        f"[E123] The line at line 1 is {len(big) + 1:,} bytes long, more than the limit of "
        "1,048,576 bytes."
    )


def test_jsonl_reader_empty_file(tmp_path: Path) -> None:
    assert _read(_write(tmp_path, b"")) == []
