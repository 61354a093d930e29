"""What every reader yields, the read-level error codes, and bounded physical-line reading.

A reader turns a file into a stream of :data:`Record` values: ``(number, row)`` for each row it
could parse, where ``number`` is the physical line the row starts on (CSV, JSONL; the header is
line 1 of a CSV) or the row's position from 1 (Parquet), and a
:class:`~feedback_nlp.domain.RowError` (``index`` = that same number) for each row it could not.
A bad row never stops a reader, and memory stays bounded whatever the file's size: lines are read
with a byte limit, so a file without newlines cannot fill the memory.

Read-level codes are E120-E126 of :mod:`feedback_nlp.error_codes` (listed in docs/errors.md):
a line that is not UTF-8, a CSV quote or field count that is wrong, a line or record over the byte
limit, a JSONL line that is not a JSON object, Parquet rows that cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol

from feedback_nlp.domain import RowError
from feedback_nlp.error_codes import ROW_TOO_LONG

__all__ = [
    "DEFAULT_MAX_ROW_BYTES",
    "READ_BUFFER_BYTES",
    "PhysicalLine",
    "Reader",
    "Record",
    "RowRangeError",
    "decode_line",
    "physical_lines",
]

DEFAULT_MAX_ROW_BYTES = 16 * 1024 * 1024
"""Longest accepted line or CSV record, in bytes; longer ones are rejected (E123)."""

_SKIP_BYTES = 1024 * 1024  # read size while skipping the rest of an over-long line
READ_BUFFER_BYTES = 1024 * 1024
"""Buffer of a reader's file. Large, so that reads are rare: each read releases the GIL, and
getting it back from the thread that stores the previous chunk can take a switch interval."""


@dataclass(frozen=True, slots=True)
class RowRangeError(RowError):
    """Consecutive rows ``index..last`` that could not be read at all (a broken Parquet row group).

    Attributes:
        last: Number of the last row of the range (inclusive).
    """

    last: int = 0

    @property
    def n_rows(self) -> int:
        """How many rows the error covers."""
        return self.last - self.index + 1


Record = tuple[int, dict[str, object]] | RowError
"""One item of a reader's stream: ``(number, row)`` or the error of the row with that number."""


class Reader(Protocol):
    """A file being read, row by row.

    Attributes:
        format: ``"csv"``, ``"jsonl"`` or ``"parquet"``.
        unit: What :attr:`position` and :attr:`total` count: ``"bytes"`` or ``"rows"``.
        total: Size of the file in that unit.
        columns: Column names known before the first row (CSV header, Parquet schema);
            ``None`` for schemaless JSONL.
    """

    format: str
    unit: Literal["bytes", "rows"]
    total: int
    columns: Sequence[str] | None

    @property
    def position(self) -> int:
        """How much of the file has been read so far, in :attr:`unit`."""
        ...

    def records(self, columns: Sequence[str] | None = None) -> Iterator[Record]:
        """Yield the rows (only ``columns`` of them where the format can select)."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One line of a file, as bytes.

    Attributes:
        number: Line number from 1.
        data: The line with its newline; ``None`` when it was longer than the limit.
        size: Its length in bytes (the full length, also for an over-long line).
    """

    number: int
    data: bytes | None
    size: int


def physical_lines(handle: BinaryIO, max_line_bytes: int) -> Iterator[PhysicalLine]:
    """Yield the lines of a binary file, never holding more than ``max_line_bytes`` of one.

    A line longer than the limit is skipped to its newline and yielded with ``data=None``.
    """
    number = 0
    while True:
        data = handle.readline(max_line_bytes + 1)
        if not data:
            return
        number += 1
        if len(data) <= max_line_bytes or data.endswith(b"\n"):
            yield PhysicalLine(number, data, len(data))
            continue
        size = len(data)
        while not data.endswith(b"\n"):
            data = handle.readline(_SKIP_BYTES)
            if not data:
                break
            size += len(data)
        yield PhysicalLine(number, None, size)


def decode_line(data: bytes) -> tuple[str, str | None]:
    """Decode one line as UTF-8; returns ``(text, problem)``.

    On invalid UTF-8, ``text`` has U+FFFD for the bad bytes (so a CSV parser can still find
    the quotes and delimiters of the line) and ``problem`` says where the first bad byte is.
    """
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 4].hex(" ")
        problem = f"is not valid UTF-8 (byte {error.start + 1} of the line: {bad}...)"
        return data.decode("utf-8", errors="replace"), problem


def too_long(number: int, size: int, limit: int, what: str = "line") -> RowError:
    """The E123 error of an over-long line or record starting at ``number``."""
    return RowError(
        number,
        "row",
        ROW_TOO_LONG.format(what=what, number=number, size=size, limit=limit),
    )
