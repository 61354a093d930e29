"""The command line of ``python corpora/demo/generate.py``: parse the options, write, report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .corpus import DEFAULT_N, DEFAULT_SEED, DEMO_DIR
from .files import write_corpus
from .truth import counts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Generate the feedback_nlp demo corpus.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of rows")
    parser.add_argument("--out", type=Path, default=DEMO_DIR / "feedback.csv", help="CSV path")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="manifest path (default: MANIFEST.json by --out)",
    )
    args = parser.parse_args(argv)
    manifest_path = args.manifest or args.out.with_name("MANIFEST.json")
    rows = write_corpus(args.seed, args.n, args.out, manifest_path)
    languages = ", ".join(f"{lang} {count}" for lang, count in counts(r.lang for r in rows).items())
    print(f"Wrote {len(rows)} rows to {args.out} ({languages}) and {manifest_path}.")
    return 0
