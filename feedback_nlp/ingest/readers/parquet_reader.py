"""Stream a Parquet file in record batches (``ParquetFile.iter_batches``), only the needed columns.

Rows are numbered from 1 in file order (the ``line`` of a reject). Binary values are decoded as
UTF-8 per row (E120 for a row that is not). A batch that cannot be converted is converted row by
row, so one undecodable row is rejected alone (E126); a row group that cannot be read at all is
rejected as one range of rows (E126) and reading goes on with the next row group.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from feedback_nlp.domain import RowError
from feedback_nlp.error_codes import NOT_UTF8, PARQUET_ROWS
from feedback_nlp.ingest.readers.base import Record, RowRangeError

__all__ = ["ParquetReader"]

BATCH_ROWS = 1_000


def _decoded(number: int, row: dict[str, Any]) -> tuple[int, dict[str, object]] | RowError:
    for key, value in row.items():
        if isinstance(value, bytes):
            try:
                row[key] = value.decode("utf-8")
            except UnicodeDecodeError as error:
                return RowError(
                    number,
                    key,
                    NOT_UTF8.format(
                        detail=f"The '{key}' value of row {number} is not valid UTF-8 (byte "
                        f"{error.start + 1}). Write the column as UTF-8 strings."
                    ),
                )
    return number, row


class ParquetReader:
    """Rows of a Parquet file, as ``(row number, {column: value})``.

    Args:
        path: The file.
        batch_rows: Rows per record batch read.
    """

    format = "parquet"
    unit: Literal["bytes", "rows"] = "rows"

    def __init__(self, path: Path, *, batch_rows: int = BATCH_ROWS) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self._file = pq.ParquetFile(path)
        self.total = int(self._file.metadata.num_rows)
        self.position = 0
        self.columns: Sequence[str] | None = list(self._file.schema_arrow.names)

    def records(self, columns: Sequence[str] | None = None) -> Iterator[Record]:
        """Yield ``(row, {column: value})`` per row (only ``columns``), or its error."""
        metadata = self._file.metadata
        first = 1
        for group in range(metadata.num_row_groups):
            size = int(metadata.row_group(group).num_rows)
            done = 0
            try:
                for batch in self._file.iter_batches(
                    batch_size=self.batch_rows,
                    row_groups=[group],
                    columns=list(columns) if columns is not None else None,
                ):
                    yield from self._rows(batch, first + done)
                    done += batch.num_rows
                    self.position += batch.num_rows
            except (pa.ArrowException, OSError, ValueError) as error:
                if done < size:
                    self.position += size - done
                    yield RowRangeError(
                        first + done,
                        "row",
                        PARQUET_ROWS.format(
                            detail=f"Rows {first + done}-{first + size - 1} (row group {group}) "
                            f"could not be read: {error}. Rewrite the file."
                        ),
                        last=first + size - 1,
                    )
            first += size

    def _rows(self, batch: pa.RecordBatch, first: int) -> Iterator[Record]:
        try:
            rows = batch.to_pylist()
        except (pa.ArrowException, ValueError):  # e.g. invalid UTF-8 in a string column
            for offset in range(batch.num_rows):
                try:
                    (row,) = batch.slice(offset, 1).to_pylist()
                except (pa.ArrowException, ValueError) as error:
                    yield RowError(
                        first + offset,
                        "row",
                        PARQUET_ROWS.format(
                            detail=f"Row {first + offset} could not be decoded: {error}. Rewrite "
                            "it with valid UTF-8 strings."
                        ),
                    )
                    continue
                yield _decoded(first + offset, row)
            return
        for offset, row in enumerate(rows):
            yield _decoded(first + offset, row)

    def close(self) -> None:
        """Release the file."""
        self._file.close()
