"""Stream a CSV file row by row in constant memory; bad records are rejected, good ones kept.

Each physical line is read with a byte limit and decoded on its own, then handed to Python's
``csv`` parser in strict mode, so the parser sees whole lines and a multi-line quoted field still
works. The header is the first non-blank record; blank lines are skipped. Rules:

* **Invalid UTF-8**: a record containing a line that is not valid UTF-8 is rejected (E120) with
  that line's number; the bad bytes are decoded as U+FFFD only so that the parser still finds the
  quotes and delimiters of the line, and the records around it are read as usual.
* **Broken quoting** (resynchronisation rule): a record that the strict parser cannot close
  (a stray quote, ``"a"b``, a quote still open at the end of the file or after
  ``max_row_bytes`` bytes), or that spans several lines and has the wrong number of fields, is
  rejected (E121/E122) **at its first line only**; parsing then starts again at the *second*
  line of that record. So an unterminated quote costs exactly one row: the rows after it are
  read again and kept. A quote opened on one line and closed on a later line in a record that
  then has the right number of fields is indistinguishable from a legitimate multi-line field
  and is read as one.
* **Wrong number of fields** on a one-line record: rejected (E122).
* **Huge fields**: ``csv.field_size_limit`` is raised to ``max_row_bytes`` (a field cannot be
  longer than its record); a line or record longer than that is rejected (E123) without being
  held in memory.
* **NUL bytes** are kept by the parser; validation rejects them where they matter (id, text,
  segments).

Lines end with LF or CRLF. A UTF-8 byte order mark before the header is ignored.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from feedback_nlp.domain import RowError
from feedback_nlp.error_codes import CSV_QUOTE, CSV_WIDTH, NOT_UTF8, UNREADABLE_FILE
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.ingest.readers.base import (
    DEFAULT_MAX_ROW_BYTES,
    READ_BUFFER_BYTES,
    PhysicalLine,
    Record,
    decode_line,
    physical_lines,
    too_long,
)

__all__ = ["CsvHeaderError", "CsvReader"]


class CsvHeaderError(InvalidInputError):
    """The header line cannot be read (a :class:`ValueError`, as every invalid input)."""

    error = UNREADABLE_FILE


class _RecordTooLong(Exception):
    """The record being parsed grew past the byte limit."""


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str
    size: int
    problem: str | None  # invalid UTF-8
    oversized: bool


class _LineFeed:
    """Decoded lines for ``csv.reader``; keeps the lines of the record being parsed.

    Lines of a rejected record can be pushed back, so that parsing starts again at its second line.
    """

    def __init__(self, lines: Iterator[PhysicalLine], max_record_bytes: int) -> None:
        self._source = lines
        self._pending: deque[_Line] = deque()
        self.max_record_bytes = max_record_bytes
        self.record: list[_Line] = []
        self.record_bytes = 0
        self.bytes_read = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._pending.popleft() if self._pending else self._read()
        self.record.append(line)
        self.record_bytes += line.size
        if line.oversized or self.record_bytes > self.max_record_bytes:
            raise _RecordTooLong
        return line.text

    def _read(self) -> _Line:
        physical = next(self._source)  # StopIteration ends the parser's input
        self.bytes_read += physical.size
        if physical.data is None:
            return _Line(physical.number, "", physical.size, None, oversized=True)
        text, problem = decode_line(physical.data)
        return _Line(physical.number, text, physical.size, problem, oversized=False)

    def start_record(self) -> None:
        self.record = []
        self.record_bytes = 0

    def push_back_after_first(self) -> None:
        """Make the lines of the current record after its first the next ones to read."""
        self._pending.extendleft(reversed(self.record[1:]))
        self.record = []
        self.record_bytes = 0


class CsvReader:
    """Rows of a CSV file with a header line, as ``(line number, {column: string})``.

    Args:
        path: The file.
        delimiter: Field separator.
        max_row_bytes: Longest accepted record in bytes (E123 beyond).
    """

    format = "csv"
    unit: Literal["bytes", "rows"] = "bytes"

    def __init__(
        self, path: Path, *, delimiter: str = ",", max_row_bytes: int = DEFAULT_MAX_ROW_BYTES
    ) -> None:
        self.path = path
        self.delimiter = delimiter
        self.max_row_bytes = max_row_bytes
        self.total = path.stat().st_size
        csv.field_size_limit(max(csv.field_size_limit(), max_row_bytes))
        self._handle = path.open("rb", buffering=READ_BUFFER_BYTES)
        self._feed = _LineFeed(physical_lines(self._handle, max_row_bytes), max_row_bytes)
        self._parser = self._new_parser()
        self.columns: Sequence[str] | None = None
        self._header_line = 0
        self._read_header()

    @property
    def position(self) -> int:
        """Bytes read so far."""
        return self._feed.bytes_read

    def _new_parser(self) -> Iterator[list[str]]:
        return csv.reader(self._feed, delimiter=self.delimiter, strict=True)

    def _read_header(self) -> None:
        for outcome in self._parse():
            if isinstance(outcome, RowError):
                raise CsvHeaderError(
                    f"The header (line {outcome.index}) cannot be read: {outcome.reason}"
                )
            number, fields = outcome
            fields[0] = fields[0].removeprefix("\ufeff")
            self.columns = [field.strip() for field in fields]
            self._header_line = number
            return

    def _parse(self) -> Iterator[tuple[int, list[str]] | RowError]:
        """Yield ``(first line, fields)`` per non-blank record, or the error of a bad record."""
        feed = self._feed
        while True:
            feed.start_record()
            try:
                fields = next(self._parser)
            except StopIteration:
                return
            except (csv.Error, _RecordTooLong) as error:
                yield self._reject(error)
                continue
            if not fields:
                continue  # blank line
            first = feed.record[0]
            width = len(self.columns) if self.columns is not None else len(fields)
            if len(fields) != width:
                yield self._wrong_width(len(fields), width)
                continue
            bad = next((line for line in feed.record if line.problem), None)
            if bad is not None:
                where = f"Line {bad.number}" + (
                    f" (in the record starting at line {first.number})" if bad is not first else ""
                )
                reason = NOT_UTF8.format(detail=f"{where} {bad.problem}. Save the file as UTF-8.")
                yield RowError(first.number, "row", reason)
                continue
            yield first.number, fields

    def _reject(self, error: Exception) -> RowError:
        """Reject the record being parsed at its first line; resume at its second line."""
        feed = self._feed
        record = feed.record
        first = record[0]
        if isinstance(error, _RecordTooLong) and len(record) == 1:
            rejected = too_long(first.number, first.size, self.max_row_bytes)
        elif isinstance(error, _RecordTooLong):
            rejected = RowError(
                first.number,
                "row",
                CSV_QUOTE.format(
                    detail=f"The record starting at line {first.number} has a quote that is not "
                    f"closed within {self.max_row_bytes:,} bytes ({len(record)} lines). Close or "
                    'double the quote (""). Reading went on at the next line.'
                ),
            )
        else:
            last = record[-1].number
            span = (
                f"line {first.number}" if last == first.number else f"lines {first.number}-{last}"
            )
            rejected = RowError(
                first.number,
                "row",
                CSV_QUOTE.format(
                    detail=f"The record starting at line {first.number} has a stray or "
                    f"unterminated quote ({error}; read {span}). Quote the whole field and double "
                    'the quotes inside it (""). Reading went on at the next line.'
                ),
            )
        feed.push_back_after_first()
        self._parser = self._new_parser()
        return rejected

    def _wrong_width(self, got: int, expected: int) -> RowError:
        feed = self._feed
        first = feed.record[0]
        if len(feed.record) == 1:
            return RowError(
                first.number,
                "row",
                CSV_WIDTH.format(
                    detail=f"Line {first.number} has {got} fields; the header has {expected}. "
                    "Quote fields that contain the delimiter."
                ),
            )
        last = feed.record[-1].number
        feed.push_back_after_first()
        self._parser = self._new_parser()
        return RowError(
            first.number,
            "row",
            CSV_WIDTH.format(
                detail=f"The record starting at line {first.number} spans lines "
                f"{first.number}-{last} and has {got} fields; the header has {expected}: a quote "
                "is probably not closed. Reading went on at the next line."
            ),
        )

    def records(self, columns: Sequence[str] | None = None) -> Iterator[Record]:  # noqa: ARG002
        """Yield ``(line, {column: value})`` per record, or its :class:`RowError`."""
        header = list(self.columns or ())
        for outcome in self._parse():
            if isinstance(outcome, RowError):
                yield outcome
            else:
                number, fields = outcome
                yield number, dict(zip(header, fields, strict=True))

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
