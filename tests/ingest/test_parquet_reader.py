from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from feedback_nlp.domain import RowError
from feedback_nlp.ingest.readers import ParquetReader
from feedback_nlp.ingest.readers.base import Record


def _read(path: Path, columns: list[str] | None = None, batch_rows: int = 1000) -> list[Record]:
    reader = ParquetReader(path, batch_rows=batch_rows)
    try:
        return list(reader.records(columns))
    finally:
        reader.close()


def test_parquet_reader_numbers_rows_across_batches_and_row_groups(tmp_path: Path) -> None:
    table = pa.table({"id": [f"r{i}" for i in range(7)], "text": [f"t{i}" for i in range(7)]})
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, row_group_size=3)
    records = _read(path, batch_rows=2)
    assert records == [(i + 1, {"id": f"r{i}", "text": f"t{i}"}) for i in range(7)]


def test_parquet_reader_reads_only_the_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a"], "text": ["x"], "other": [b"\x00" * 10]}), path)
    reader = ParquetReader(path)
    assert list(reader.columns or []) == ["id", "text", "other"]
    assert list(reader.records(["id", "text"])) == [(1, {"id": "a", "text": "x"})]
    reader.close()


def test_parquet_reader_rejects_a_binary_value_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    texts = ["مرحبا".encode(), b"caf\xe9", "Ačiū 🙏".encode()]
    pq.write_table(pa.table({"id": ["1", "2", "3"], "text": pa.array(texts, pa.binary())}), path)
    records = _read(path)
    assert records[0] == (1, {"id": "1", "text": "مرحبا"})
    assert records[2] == (3, {"id": "3", "text": "Ačiū 🙏"})
    error = records[1]
    assert isinstance(error, RowError)
    assert (error.index, error.field) == (2, "text")
    assert error.reason.startswith("[E120] The 'text' value of row 2 is not valid UTF-8 (byte 4)")


def test_parquet_reader_keeps_typed_values(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    when = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    table = pa.table(
        {
            "id": pa.array([7, 8], pa.int64()),
            "text": ["x" * 1_000_000, "nul\x00"],
            "nps": pa.array([9.0, None], pa.float64()),
            "at": pa.array([when, None], pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, path)
    records = _read(path)
    assert records[0] == (1, {"id": 7, "text": "x" * 1_000_000, "nps": 9.0, "at": when})
    assert records[1] == (2, {"id": 8, "text": "nul\x00", "nps": None, "at": None})


def test_parquet_reader_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), path
    )
    assert _read(path) == []
