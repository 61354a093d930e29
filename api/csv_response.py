"""Streaming CSV answers: ``text/csv`` in chunks, as a download, documented in the OpenAPI.

The rows come from :func:`feedback_nlp.report.csv_export.csv_lines` (formula cells neutralised,
UTF-8 with BOM); this module only batches them into chunks and sets the headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

__all__ = ["CSV_MEDIA_TYPE", "CsvResponse", "csv_download", "csv_responses"]

CSV_MEDIA_TYPE = "text/csv"
ROWS_PER_CHUNK = 500


class CsvResponse(StreamingResponse):
    """A streamed ``text/csv; charset=utf-8`` answer."""

    media_type = CSV_MEDIA_TYPE


def csv_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry of a 200 CSV download."""
    schema = {"type": "string", "description": "UTF-8 CSV with a byte-order mark."}
    return {200: {"description": description, "content": {CSV_MEDIA_TYPE: {"schema": schema}}}}


def _chunks(lines: Iterable[str], size: int) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def csv_download(lines: Iterable[str], filename: str) -> CsvResponse:
    """Stream ``lines`` as the attachment ``filename`` (``ROWS_PER_CHUNK`` rows per chunk)."""
    return CsvResponse(
        _chunks(lines, ROWS_PER_CHUNK),
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
