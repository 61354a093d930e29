"""The CSV cell rule (OWASP CSV injection) and the one writer every export goes through."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.report.csv_export import (
    BOM,
    DANGEROUS_PREFIXES,
    Cell,
    csv_lines,
    format_cell,
    neutralise_cell,
    write_csv,
)


def read_back(text: str) -> list[list[str]]:
    """What a CSV reader finds in ``text`` (BOM removed)."""
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=", "'="),
    ],
)
def test_neutralise_cell_prefixes_formula_starts(cell: str, expected: str) -> None:
    assert neutralise_cell(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "The parcel was late",
        "1-2 days late, +3 EUR fee, a@b",  # dangerous characters later in the cell are fine
        "'=already quoted",
        " =1+1",  # a leading space makes a spreadsheet read text
        "التطبيق بطيء جدا 😡",
        "\u200fהמשלוח איחר =1",  # a leading RLM is kept as it is
        "😀=1+1",
    ],
)
def test_neutralise_cell_keeps_safe_text_exactly(cell: str) -> None:
    assert neutralise_cell(cell) == cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-8.3, "-8.3"),  # numbers stay numbers, negative ones included
        (-5, "-5"),
        (0.25, "0.25"),
        ("-8.3", "'-8.3"),  # the same characters as text are neutralised
        (None, ""),
        (True, "true"),
        (False, "false"),
        (math.nan, ""),
        (math.inf, ""),
    ],
)
def test_format_cell_neutralises_text_only(value: Cell, expected: str) -> None:
    assert format_cell(value) == expected


def test_format_cell_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="A CSV cell must be"):
        format_cell([1, 2])  # type: ignore[arg-type]


def test_csv_lines_start_with_a_bom_and_end_rows_with_crlf() -> None:
    lines = list(csv_lines(["id", "text"], [["a", "fine"], ["b", "=1+1"]]))
    assert lines == [BOM + "id,text\r\n", "a,fine\r\n", "b,'=1+1\r\n"]


def test_csv_lines_quote_separators_and_keep_rtl_and_emoji() -> None:
    rows: list[Sequence[Cell]] = [
        ["he", 'שלום, "עולם"\nשורה', -0.5],
        ["ar", "التطبيق بطيء جدا 😡", 3],
        ["fa", "برنامه\u200cها کند است", None],
    ]
    text = "".join(csv_lines(["lang", "text", "score"], rows))
    assert read_back(text) == [
        ["lang", "text", "score"],
        ["he", 'שלום, "עולם"\nשורה', "-0.5"],
        ["ar", "التطبيق بطيء جدا 😡", "3"],
        ["fa", "برنامه\u200cها کند است", ""],
    ]


def test_csv_lines_refuse_a_ragged_row() -> None:
    with pytest.raises(ValueError, match="must have 2 cells"):
        list(csv_lines(["a", "b"], [["only one"]]))


def test_write_csv_writes_utf8_with_bom_and_counts_rows(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, ["text"], [["@SUM(1+1)"], ["ok"]]) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8") == BOM + "text\r\n'@SUM(1+1)\r\nok\r\n"
    assert write_csv(tmp_path / "empty.csv", ["text"], []) == 0


text_cells = st.text(
    alphabet=st.characters(codec="utf-8")  # every code point but lone surrogates
    | st.sampled_from([*DANGEROUS_PREFIXES, '"', ",", "\n", "'"]),
    max_size=30,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(text_cells, min_size=3, max_size=3), max_size=8))
def test_csv_lines_no_cell_read_back_starts_like_a_formula(rows: list[list[str]]) -> None:
    text = "".join(csv_lines(["a", "b", "c"], rows))
    read = read_back(text)
    assert read[0] == ["a", "b", "c"]
    assert len(read) == len(rows) + 1
    for original_row, read_row in zip(rows, read[1:], strict=True):
        for original, cell in zip(original_row, read_row, strict=True):
            assert not cell.startswith(DANGEROUS_PREFIXES), (original, cell)
            if original.startswith(DANGEROUS_PREFIXES):
                assert cell == "'" + original  # quoted-prefixed, the rest intact
            else:
                assert cell == original
