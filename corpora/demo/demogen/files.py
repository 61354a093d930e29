"""Writing the corpus: the rows as CSV bytes, then ``feedback.csv`` and ``MANIFEST.json``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from .corpus import COLUMNS
from .generation import generate_rows
from .manifest import build_manifest
from .row import DemoRow


def render_csv(rows: Iterable[DemoRow]) -> bytes:
    """Render rows as UTF-8 CSV bytes with LF line endings and a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.csv_values() for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_corpus(seed: int, n: int, out: Path, manifest_path: Path) -> list[DemoRow]:
    """Generate the rows and write the CSV and its manifest.

    Args:
        seed: Random seed.
        n: Number of rows.
        out: CSV path.
        manifest_path: Manifest path.

    Returns:
        The annotated rows that were written.
    """
    rows = generate_rows(seed, n)
    csv_bytes = render_csv(rows)
    manifest = build_manifest(rows, csv_bytes, out.name, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(csv_bytes)
    manifest_text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    manifest_path.write_bytes(manifest_text.encode("utf-8"))
    return rows
