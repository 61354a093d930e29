"""The error catalogue: every code declared once, used by every raise site, documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import api.problems
import feedback_nlp.currency
import feedback_nlp.demo_service
import feedback_nlp.ingest.batch
import feedback_nlp.ingest.mapping
from feedback_nlp import error_codes
from feedback_nlp.error_codes import (
    CATALOGUE,
    FIELD_MESSAGE,
    SHARED_CODES,
    ErrorCode,
    catalogue_by_code,
    render_errors_doc,
)
from feedback_nlp.errors import FeedbackNLPError, InvalidInputError
from feedback_nlp.ingest.batch import UnreadableFileError, ingest_file
from feedback_nlp.ingest.mapping import ColumnMapping
from feedback_nlp.ingest.readers.csv_reader import CsvHeaderError, CsvReader
from feedback_nlp.store import Store
from tests.conftest import REPO_ROOT

CODE = re.compile(r"\bE\d{3}\b")
CATALOGUE_FILE = REPO_ROOT / "feedback_nlp" / "error_codes.py"
MODULES_WITH_ERRORS = (
    api.problems,
    feedback_nlp.currency,
    feedback_nlp.demo_service,
    feedback_nlp.ingest.batch,
    feedback_nlp.ingest.mapping,
)


def _sources() -> list[Path]:
    return sorted(
        path
        for package in ("feedback_nlp", "api")
        for path in (REPO_ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _docstrings(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are documentation (a bare string statement)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _code_literals(path: Path) -> list[tuple[int, str]]:
    """``(line, code)`` of every code spelled in a string literal that is not documentation."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    return [
        (node.lineno, code)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        for code in CODE.findall(node.value)
    ]


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_error_catalogue_doc_is_up_to_date() -> None:
    doc = (REPO_ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert doc == render_errors_doc(), (
        "docs/errors.md is out of date: python -m feedback_nlp.error_codes > docs/errors.md"
    )


def test_error_catalogue_doc_has_one_row_per_entry() -> None:
    rows = [line for line in render_errors_doc().splitlines() if CODE.match(line[2:6])]
    assert len(rows) == len(CATALOGUE)
    assert "| E451 | 429 | Too many requests |" in render_errors_doc()
    assert "| E123 | row | Line too long |" in render_errors_doc()


def test_error_catalogue_declares_each_code_once() -> None:
    shared = {code: entries for code, entries in catalogue_by_code().items() if len(entries) > 1}
    assert set(shared) == set(SHARED_CODES)  # no new duplicate, no stale exemption
    for code, entries in shared.items():
        assert len(entries) == 2, code
        assert len({(e.status, e.title) for e in entries}) == 2, code  # two distinct meanings


def test_error_catalogue_duplicate_check_catches_a_new_duplicate() -> None:
    twice = (*CATALOGUE, ErrorCode("E100", 422, "Invalid input again", "Nothing."))
    assert len(catalogue_by_code(twice)["E100"]) == 2


def test_error_catalogue_entries_are_well_formed() -> None:
    assert [e.code for e in CATALOGUE] == sorted(e.code for e in CATALOGUE)
    for entry in CATALOGUE:
        assert re.fullmatch(r"E\d{3}", entry.code), entry
        assert entry.status is None or 400 <= entry.status <= 599, entry
        assert entry.title, entry
        assert entry.fix.endswith((".", ")")), entry
        assert "|" not in entry.fix + entry.title, entry  # a Markdown table cell
    declared = {value for value in vars(error_codes).values() if isinstance(value, ErrorCode)}
    assert declared == set(CATALOGUE)  # every module-level entry is in the catalogue


def test_error_catalogue_declares_every_code_in_the_source() -> None:
    declared = set(catalogue_by_code())
    undeclared = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {code}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for code in CODE.findall(line)
        if code not in declared
    ]
    assert undeclared == []


def test_error_catalogue_is_the_only_place_a_code_is_spelled() -> None:
    spelled = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {code}"
        for path in _sources()
        if path != CATALOGUE_FILE
        for line, code in _code_literals(path)
    ]
    assert spelled == []


def test_error_catalogue_literal_scan_finds_a_code_in_an_fstring(tmp_path: Path) -> None:
    path = tmp_path / "sample.py"
    path.write_text('"""Mentions E123 in a docstring."""\nreason = f"[E999] row {n}"\n')
    assert _code_literals(path) == [(2, "E999")]


def test_error_classes_take_code_status_and_title_from_the_catalogue() -> None:
    assert MODULES_WITH_ERRORS  # imported so that their error classes are registered
    classes = _all_subclasses(FeedbackNLPError) | {FeedbackNLPError}
    assert len(classes) >= 20
    for cls in classes:
        entry = cls.error
        assert entry in CATALOGUE, cls
        assert (cls.code, cls.status, cls.title) == (entry.code, entry.status, entry.title), cls


def test_error_class_cannot_take_a_per_row_entry() -> None:
    with pytest.raises(TypeError, match="E123 is a per-row error"):

        class _Wrong(InvalidInputError):
            error = error_codes.ROW_TOO_LONG


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (api.problems.UnauthorizedError, "E450", 401),
        (api.problems.ForbiddenError, "E451", 403),
        (api.problems.RateLimitedError, "E451", 429),
        (api.problems.ContentTooLargeError, "E110", 413),
        (feedback_nlp.demo_service.DemoJobError, "E500", 500),
    ],
)
def test_error_codes_clients_match_on_are_kept(
    cls: type[FeedbackNLPError], code: str, status: int
) -> None:
    assert (cls.code, cls.status) == (code, status)


def test_error_field_message_reads_as_before() -> None:
    message = error_codes.ROW_NPS.format(
        field="nps",
        row="row 17",
        problem="must be an int in 0..10. Got '11'",
        fix="Fix the value or drop the field.",
    )
    assert message == (
        "[E104] The 'nps' field of row 17 must be an int in 0..10. Got '11'. "
        "Fix the value or drop the field."
    )
    assert error_codes.ROW_NPS.message == FIELD_MESSAGE


def test_csv_header_error_is_in_the_hierarchy(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,te\xffxt\n1,fine\n")
    with pytest.raises(CsvHeaderError) as caught:
        CsvReader(path)
    assert isinstance(caught.value, FeedbackNLPError)
    assert isinstance(caught.value, ValueError)  # callers that catch ValueError still do
    assert caught.value.code == "E131"
    assert caught.value.detail.startswith("The header (line 1) cannot be read: [E120] Line 1 ")


def test_csv_header_error_reads_as_before_in_ingest(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,te\xffxt\n1,fine\n")
    with pytest.raises(UnreadableFileError) as caught:
        ingest_file(store, "acme", path, ColumnMapping())
    message = str(caught.value)
    assert message.startswith(f"[E131] '{path}' is not a readable CSV file. The header (line 1)")
    assert message.count("[E131]") == 1
