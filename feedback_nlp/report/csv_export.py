"""CSV that spreadsheets open safely: one cell rule (:func:`neutralise_cell`), one writer.

Feedback text is written by customers, and a spreadsheet runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``): CSV injection.
Every CSV this project writes goes through :func:`csv_lines`, which applies the OWASP rule to
every text cell: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading single quote, and the rest of the cell is kept exactly (Arabic, Hebrew, bidi
marks, emoji included).

Only text is neutralised. Callers pass numbers as ``int``/``float`` (never pre-formatted
strings): they are written as plain numbers, so an impact of ``-8.3`` stays the number ``-8.3``
in the spreadsheet, while the text ``"-8.3"`` would become ``'-8.3``. ``None`` is an empty cell,
booleans are ``true``/``false``.

The text is UTF-8 with a byte-order mark, which Excel needs to read Arabic or Hebrew instead of
mojibake, with RFC 4180 quoting and CRLF row ends.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

__all__ = [
    "BOM",
    "DANGEROUS_PREFIXES",
    "Cell",
    "csv_lines",
    "format_cell",
    "neutralise_cell",
    "write_csv",
]

BOM = "\ufeff"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""

Cell = str | int | float | bool | None


def neutralise_cell(text: str) -> str:
    """``text`` with a leading ``'`` when it starts with a formula character, else unchanged.

    Example:
        >>> print(neutralise_cell("=SUM(A1:A9)"), neutralise_cell("-2+3"), neutralise_cell("ok -1"))
        '=SUM(A1:A9) '-2+3 ok -1
    """
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def format_cell(value: Cell) -> str:
    """One cell as written: text neutralised, numbers as numbers, ``None`` empty.

    Raises:
        TypeError: For any other type (a caller bug: convert it to text or a number first).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, str):
        return neutralise_cell(value)
    raise TypeError(f"A CSV cell must be text, a number, a bool or None. Got {type(value)}.")


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text, one row (ending in CRLF) at a time; the first row starts with the BOM.

    Args:
        header: Column names.
        rows: Rows of cells, each as long as ``header``.

    Yields:
        The header row, then one string per row (lazily: rows are read as they are written).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[Cell]) -> str:
        writer.writerow([format_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BOM + line(header)
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"A CSV row must have {len(header)} cells. Got {len(row)}: {row!r}")
        yield line(row)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """Write a CSV file (see :func:`csv_lines`); return the number of data rows."""
    count = -1
    with path.open("w", encoding="utf-8", newline="") as handle:
        for count, text in enumerate(csv_lines(header, rows)):  # noqa: B007
            handle.write(text)
    return count
