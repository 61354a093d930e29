"""Write ``shared_corpora.json``: a manifest of the evaluation files in ``../shared/corpora/eval``.

The files themselves are never copied into this repository; the manifest records what each one is,
its size, sha256 and licence terms, so that results in ``bench/RESULTS.md`` name exactly the data
they were measured on and a test notices when the shared files change.

Run from the repository root: ``python corpora/manifests/build.py``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_EVAL = HERE.parents[2] / "shared" / "corpora" / "eval"

# Licence terms from ../shared/corpora/README.md and each folder's PROVENANCE.txt.
TERMS = {
    "banking77": ("CC BY 4.0", "evaluation and training"),
    "arbanking77": ("CC BY-SA 4.0", "evaluation and training"),
    "clinc150": ("CC BY 3.0", "evaluation and training"),
    "sib200": ("CC BY-SA 4.0", "evaluation and training"),
    "xlmt": ("tweets; Twitter terms", "evaluation only"),
    "hebrew_onlplab": ("MIT-derived", "evaluation and training (train split only)"),
    "parsinlu": ("CC BY-NC-SA 4.0", "evaluation only"),
}


def describe(path: Path) -> dict[str, object]:
    """Return the manifest entry of one evaluation CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    family = next(name for name in TERMS if path.stem.startswith(name))
    licence, use = TERMS[family]
    return {
        "path": f"eval/{path.parent.name}/{path.name}",
        "task": path.parent.name,
        "rows": len(rows),
        "labels": len({row["label"] for row in rows}),
        "languages": sorted({row.get("lang", "") for row in rows}),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "licence": licence,
        "use": use,
    }


def main() -> None:
    """Describe every CSV under ``../shared/corpora/eval`` and write the manifest."""
    entries = [describe(path) for path in sorted(SHARED_EVAL.glob("*/*.csv"))]
    manifest = {"root": "../shared/corpora", "files": entries}
    out = HERE / "shared_corpora.json"
    out.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(entries)} files)")


if __name__ == "__main__":
    main()
