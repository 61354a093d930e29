"""Opening the labelled CSVs behind ``feedback-nlp eval``: a header ``text,label[,lang]``."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedback_nlp.errors import InvalidInputError, NotFoundError

__all__ = ["open_labelled_csv"]


@contextmanager
def open_labelled_csv(path: Path) -> Iterator[csv.DictReader[str]]:
    """Open ``path`` as UTF-8 CSV and check its header names ``text`` and ``label``.

    Yields:
        The reader, positioned at the first data row (``reader.fieldnames`` holds the header).

    Raises:
        NotFoundError: If there is no file at ``path``.
        InvalidInputError: If the header lacks ``text`` or ``label``.
    """
    if not path.is_file():
        raise NotFoundError(
            f"No evaluation file at '{path}'. Pass a CSV with the columns text,label[,lang]."
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        if not {"text", "label"} <= fields:
            raise InvalidInputError(
                f"The evaluation file '{path}' must have the columns text,label[,lang]. "
                f"Got {sorted(fields)}. Rename the columns in the header row."
            )
        yield reader
