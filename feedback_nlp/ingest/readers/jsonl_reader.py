"""Stream a JSON Lines file: one JSON object per line, read and decoded line by line.

Blank lines are skipped. A line that is longer than ``max_row_bytes`` (E123), not valid UTF-8
(E120), not valid JSON (E124) or not a JSON object (E125) is rejected with its line number; every
other line is kept. JSONL has no header: :attr:`JsonlReader.columns` is ``None`` and the column
mapping is checked against the keys of the first rows instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from feedback_nlp.domain import RowError
from feedback_nlp.error_codes import NOT_JSON, NOT_JSON_OBJECT, NOT_UTF8
from feedback_nlp.ingest.readers.base import (
    DEFAULT_MAX_ROW_BYTES,
    READ_BUFFER_BYTES,
    Record,
    decode_line,
    physical_lines,
    too_long,
)

__all__ = ["JsonlReader"]


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


class JsonlReader:
    """Rows of a JSONL file, as ``(line number, object)``.

    Args:
        path: The file.
        max_row_bytes: Longest accepted line in bytes.
    """

    format = "jsonl"
    unit: Literal["bytes", "rows"] = "bytes"
    columns: Sequence[str] | None = None

    def __init__(self, path: Path, *, max_row_bytes: int = DEFAULT_MAX_ROW_BYTES) -> None:
        self.path = path
        self.max_row_bytes = max_row_bytes
        self.total = path.stat().st_size
        self.position = 0
        self._handle = path.open("rb", buffering=READ_BUFFER_BYTES)

    def records(self, columns: Sequence[str] | None = None) -> Iterator[Record]:  # noqa: ARG002
        """Yield ``(line, object)`` per non-blank line, or its :class:`RowError`."""
        for line in physical_lines(self._handle, self.max_row_bytes):
            self.position += line.size
            if line.data is None:
                yield too_long(line.number, line.size, self.max_row_bytes)
                continue
            if not line.data.strip():
                continue
            text, problem = decode_line(line.data)
            if problem is not None:
                yield RowError(
                    line.number,
                    "row",
                    NOT_UTF8.format(detail=f"Line {line.number} {problem}. Save it as UTF-8."),
                )
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as error:  # JSONDecodeError, int digit limit
                yield RowError(
                    line.number,
                    "row",
                    NOT_JSON.format(number=line.number, error=error),
                )
                continue
            if not isinstance(value, dict):
                yield RowError(
                    line.number,
                    "row",
                    NOT_JSON_OBJECT.format(number=line.number, got=_kind(value)),
                )
                continue
            yield line.number, value

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
