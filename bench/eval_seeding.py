"""Measure seeded themes on banking77: seed 10 intents from a name and 3 train phrases each.

Usage (from the repository root):

    python bench/eval_seeding.py                    # the test file, the product's default bar
    python bench/eval_seeding.py --threshold 0.55   # ... and also at a given threshold
    python bench/eval_seeding.py --dev --groups 20  # development set (banking77 TRAIN rows)
    python bench/eval_seeding.py --no-write         # print, do not append to RESULTS.md

The test run mines ``../shared/corpora/eval/themes/banking77_test.csv`` as the product does (a
real mining job on a throw-away SQLite store) and applies the seeds of
``corpora/seeding/banking77_seeds.json`` (train phrases, see its PROVENANCE.md) through
``TaxonomyService.seed`` (:mod:`feedback_nlp.eval.seeding`). Per intent: precision, recall and
F1 of the items the seeded theme claims against the intent's gold label; then the macro means.

``--dev`` never reads the test file: it samples 40 TRAIN rows per intent (seed 0, leaving out
the first 3 rows of every intent, the seed phrases), mines them the same way, and measures
``--groups`` random groups of 10 intents (``random.Random(100 + g)``), each seeded with its
intents' first 3 train rows. That is the data a threshold or a seed rule may be chosen on.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, append_section, load_average, machine

from feedback_nlp.eval.seeding import (
    Seed,
    SeedEvalResult,
    format_seed_eval,
    load_seeds,
    run_seed_eval,
)

REPO = Path(__file__).resolve().parent.parent

SHARED = REPO.parent / "shared" / "corpora"
TEST_FILE = SHARED / "eval" / "themes" / "banking77_test.csv"
SEEDS = REPO / "corpora" / "seeding" / "banking77_seeds.json"
MODEL = "e5-small-multilingual"
TARGET_F1 = 0.70
DEV_PER_INTENT = 40
DEV_GROUP_SIZE = 10


def _builder() -> Any:
    """``corpora/seeding/build_banking77.py`` (not a package), imported by path."""
    import importlib.util

    path = REPO / "corpora" / "seeding" / "build_banking77.py"
    spec = importlib.util.spec_from_file_location("build_banking77", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dev_set(folder: Path, n_groups: int) -> tuple[Path, list[list[Seed]]]:
    """Write the development CSV (train rows) into ``folder``; return it and the seed groups."""
    build = _builder()
    rows = build.train_rows(SHARED / "banking77")
    examples = build.first_examples(rows)
    used = {text for texts in examples.values() for text in texts}
    by_label: dict[str, list[str]] = {}
    for text, label in rows:
        if text not in used:
            by_label.setdefault(label, []).append(text)
    rng = random.Random(0)
    path = folder / "banking77_train_dev.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "lang"])
        for label in sorted(by_label):
            texts = by_label[label]
            for text in rng.sample(texts, min(DEV_PER_INTENT, len(texts))):
                writer.writerow([text, label, "en"])
    labels = sorted(examples)
    groups = [
        [
            Seed(label, build.intent_name(label), tuple(examples[label]))
            for label in random.Random(100 + g).sample(labels, DEV_GROUP_SIZE)
        ]
        for g in range(n_groups)
    ]
    return path, groups


def dev_summary(results: list[SeedEvalResult]) -> list[str]:
    """Mean macro precision / recall / F1 over the groups, per threshold."""
    by_threshold: dict[float | None, list[SeedEvalResult]] = {}
    for result in results:
        by_threshold.setdefault(result.threshold_asked, []).append(result)
    lines = [
        "| threshold | groups | macro precision | macro recall | macro F1 (mean) | "
        "macro F1 (min .. max) |",
        "|---|---|---|---|---|---|",
    ]
    for threshold, runs in by_threshold.items():
        shown = (
            f"each seed's default (mean {sum(r.mean_threshold for r in runs) / len(runs):.2f})"
            if threshold is None
            else f"{threshold}"
        )
        f1s = [r.macro_f1 for r in runs]
        lines.append(
            f"| {shown} | {len(runs)} | {sum(r.macro_precision for r in runs) / len(runs):.3f} | "
            f"{sum(r.macro_recall for r in runs) / len(runs):.3f} | "
            f"{sum(f1s) / len(f1s):.3f} | {min(f1s):.3f} .. {max(f1s):.3f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, action="append", default=[])
    parser.add_argument("--dev", action="store_true", help="banking77 TRAIN rows, not the test")
    parser.add_argument("--groups", type=int, default=20, help="dev seed groups")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"evaluation corpora not found at {SHARED}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from feedback_nlp.models import load_model

    command = "python " + " ".join([f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_at_start = load_average()
    started = time.perf_counter()
    model = load_model(MODEL)
    thresholds: list[float | None] = [None, *args.threshold]
    with tempfile.TemporaryDirectory(prefix="eval-seeding-") as scratch:
        if args.dev:
            path, groups = dev_set(Path(scratch), args.groups)
        else:
            path, groups = TEST_FILE, [load_seeds(SEEDS)]
        results = run_seed_eval(path, groups, model, thresholds=thresholds)
    seconds = time.perf_counter() - started
    body = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}; load average at start {load_at_start}, at end "
        f"{load_average()} (shared with CI); embedder {MODEL}; {seconds:.0f} s in all.",
        "",
    ]
    if args.dev:
        title = f"Seeded themes, development set: banking77 TRAIN rows ({stamp})"
        body += [
            f"{DEV_PER_INTENT} train rows per intent (seed 0; the first 3 rows of every intent "
            f"left out), {len(groups)} groups of {DEV_GROUP_SIZE} intents (random.Random(100 + "
            "g)), each seeded with its intents' first 3 train rows; items mined once, every "
            "group and threshold applied on a copy of the mined store.",
            "",
            *dev_summary(results),
        ]
    else:
        title = f"Seeded themes: banking77 test, 10 intents from their train phrases ({stamp})"
        body += [
            f"File `{TEST_FILE.relative_to(REPO.parent)}`; seeds `corpora/seeding/"
            "banking77_seeds.json` (names + the first 3 TRAIN rows of 10 intents drawn by "
            f"random.Random(16)); target: macro F1 >= {TARGET_F1:.2f}.",
        ]
        for result in results:
            body += ["", *format_seed_eval(result)]
    print("\n".join(body))
    if not args.no_write:
        append_section(title, body)
        print(f"appended '{title}' to {RESULTS}")


if __name__ == "__main__":
    main()
