"""``MANIFEST.json``: the corpus file, its themes and its planted ground truth, described."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from .corpus import (
    COLUMNS,
    CORPUS_NAME,
    END_DAY,
    LANGUAGES,
    LICENSE,
    PHRASES_DIR,
    START_DAY,
)
from .outcomes import outcomes_entry
from .phrasebook import load_phrasebook
from .planted import CONTROL_SEGMENTS, PLANTED
from .row import DETRACTOR_MAX_NPS, DemoRow
from .themes import THEMES
from .truth import control_entry, counts, planted_entry, spike_entry


def build_manifest(
    rows: Sequence[DemoRow], csv_bytes: bytes, csv_name: str, seed: int
) -> dict[str, Any]:
    """Describe the corpus file, its themes and its planted ground truth.

    Args:
        rows: The annotated rows written to the CSV.
        csv_bytes: The CSV file's bytes, for the checksum.
        csv_name: The CSV file's name.
        seed: The seed used.

    Returns:
        A JSON-ready mapping.
    """
    books = {lang: load_phrasebook(lang) for lang in LANGUAGES}
    created = [row.created_at for row in rows]
    phrase_files = {
        lang: {
            "path": f"phrases/{lang}.json",
            "sha256": hashlib.sha256((PHRASES_DIR / f"{lang}.json").read_bytes()).hexdigest(),
        }
        for lang in LANGUAGES
    }
    return {
        "name": CORPUS_NAME,
        "license": LICENSE,
        "file": csv_name,
        "sha256": hashlib.sha256(csv_bytes).hexdigest(),
        "encoding": "utf-8",
        "rows": len(rows),
        "columns": list(COLUMNS),
        "generator": {
            "script": "corpora/demo/generate.py",
            "command": f"python corpora/demo/generate.py --seed {seed} --n {len(rows)}",
            "seed": seed,
            "n": len(rows),
            "phrase_books": phrase_files,
        },
        "languages": {lang: sum(row.lang == lang for row in rows) for lang in LANGUAGES},
        "date_range": {
            "start": f"{START_DAY.isoformat()}T00:00:00Z",
            "end": f"{END_DAY.isoformat()}T23:59:59Z",
            "first_created_at": min(created),
            "last_created_at": max(created),
        },
        "scores": {
            "nps_missing": sum(row.nps is None for row in rows),
            "csat_present": sum(row.csat is not None for row in rows),
            "detractors": sum(row.is_detractor for row in rows),
            "detractor_definition": f"nps 0-{DETRACTOR_MAX_NPS}",
        },
        "segments": {
            attribute: counts(row.segment(attribute) for row in rows)
            for attribute in ("source", "plan", "region", "channel")
        },
        "themes": [
            {
                "id": theme.id,
                "name": theme.name,
                "polarity": theme.polarity,
                "keywords": {lang: list(books[lang].keywords[theme.id]) for lang in LANGUAGES},
                "rows": sum(theme.id in row.themes for row in rows),
            }
            for theme in THEMES
        ],
        "share_definition": (
            "share of a segment's detractor rows (nps 0-6) whose generator themes include the "
            "theme; 'elsewhere' is every detractor row outside the segment"
        ),
        "planted": [planted_entry(rows, planted) for planted in PLANTED],
        "control_segments": [control_entry(rows, *segment) for segment in CONTROL_SEGMENTS],
        "spikes": [
            spike_entry(rows, planted, planted.incident)
            for planted in PLANTED
            if planted.incident is not None
        ],
        "outcomes": outcomes_entry(rows),
        "pii_rows": sum(row.has_pii for row in rows),
        "mixed_rows": sum(row.sentiment == "mixed" for row in rows),
    }
