"""Streaming file readers (CSV, JSONL, Parquet): rows with their line numbers, or row errors."""

from __future__ import annotations

from pathlib import Path

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.ingest.readers.base import DEFAULT_MAX_ROW_BYTES, Reader, Record, RowRangeError
from feedback_nlp.ingest.readers.csv_reader import CsvReader
from feedback_nlp.ingest.readers.jsonl_reader import JsonlReader
from feedback_nlp.ingest.readers.parquet_reader import ParquetReader

__all__ = [
    "DEFAULT_MAX_ROW_BYTES",
    "FORMATS",
    "CsvReader",
    "JsonlReader",
    "ParquetReader",
    "Reader",
    "Record",
    "RowRangeError",
    "detect_format",
]

FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".tsv"),
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "parquet": (".parquet", ".parq", ".pq"),
}
"""Known formats and the file extensions that select them."""


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The format named by ``fmt``, else the one the extension of ``path`` selects.

    Raises:
        InvalidInputError: If the format is unknown or the extension selects none.
    """
    if fmt is not None:
        if fmt.lower() not in FORMATS:
            raise InvalidInputError(
                f"The format must be one of {', '.join(FORMATS)}. Got {fmt!r}. Fix --format."
            )
        return fmt.lower()
    suffix = path.suffix.lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    raise InvalidInputError(
        f"Cannot tell the format of '{path.name}' from its extension {suffix or '(none)'!r}. "
        f"Name it with one of {', '.join(s for group in FORMATS.values() for s in group)} or "
        "pass --format csv|jsonl|parquet."
    )
