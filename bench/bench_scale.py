"""How fast-mode theme mining grows with corpus size: 10k, 100k and 1M opinion units.

Each size runs in its own child process (so its peak RSS is its own) and goes through the same
steps as a mining job after the units are stored: embed every unit with the fast static model
(``e5-small-static`` by default, freshly loaded, so its word cache starts empty), then
``ThemeMiner().fit`` with the product defaults (clustering, c-TF-IDF labels per language, quotes,
parent themes, three resampled re-clusterings for the confidences).

The units are built from every labelled file in ``../shared/corpora/eval/themes`` (banking77,
arbanking77, clinc150, the five sib200 languages; 12k distinct real sentences in en, ar, he, fa,
lt), resampled to the size wanted. The first pass over the distinct sentences is verbatim; every
later copy drops each word with probability 0.15 and swaps one random pair of neighbouring words
with probability 0.3 (seeded), so the large corpora hold mostly distinct texts that keep the
sentence's topic. NMI / ARI against the source labels (``file:label``; outliers as their own
cluster) are a sanity check that quality does not collapse with size, not a quality benchmark.
Language codes come from the files (the language-id step is benchmarked apart).

Usage::

    python bench/bench_scale.py                            # 10k, 100k, 1M; append to RESULTS.md
    python bench/bench_scale.py --sizes 10000 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import append_results, machine

REPO_ROOT = Path(__file__).resolve().parents[1]
THEMES_DIR = REPO_ROOT.parent / "shared" / "corpora" / "eval" / "themes"
SOURCES = (
    "banking77_test.csv",
    "arbanking77_msa_test.csv",
    "clinc150_test.csv",
    "sib200_en_test.csv",
    "sib200_ar_test.csv",
    "sib200_he_test.csv",
    "sib200_fa_test.csv",
    "sib200_lt_test.csv",
)
DROP_WORD = 0.15
SWAP_PAIR = 0.3


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_units(size: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Return ``size`` (texts, labels, langs): the real sentences, then perturbed copies."""
    from feedback_nlp.eval.themes import load_labelled_csv

    bases: list[tuple[str, str, str]] = []
    for name in SOURCES:
        units = load_labelled_csv(THEMES_DIR / name)
        stem = name.removesuffix("_test.csv")
        bases += [
            (text, f"{stem}:{label}", lang)
            for text, label, lang in zip(units.texts, units.labels, units.langs, strict=True)
        ]
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    for i in range(size):
        text, label, lang = bases[i] if i < len(bases) else bases[int(rng.integers(len(bases)))]
        if i >= len(bases):
            words = text.split()
            kept = [w for w in words if rng.random() >= DROP_WORD] or words
            if len(kept) > 2 and rng.random() < SWAP_PAIR:
                j = int(rng.integers(len(kept) - 1))
                kept[j], kept[j + 1] = kept[j + 1], kept[j]
            text = " ".join(kept)
        texts.append(text)
        labels.append(label)
        langs.append(lang)
    return texts, labels, langs


def run_one(size: int, model: str, seed: int) -> dict[str, Any]:
    """Build, embed and mine ``size`` units in this process; return the measurements."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from feedback_nlp.models import load_model
    from feedback_nlp.themes import ThemeMiner

    started = time.perf_counter()
    texts, labels, langs = build_units(size, seed)
    build_s = time.perf_counter() - started
    embedder = load_model(model)
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    embed_s = time.perf_counter() - started
    rss_after_embed = _peak_rss_mb()
    started = time.perf_counter()
    result = ThemeMiner(seed=seed).fit(vectors, texts, langs)
    mine_s = time.perf_counter() - started
    found = result.assignments
    return {
        "units": size,
        "distinct_texts": len(set(texts)),
        "model": model,
        "dim": int(vectors.shape[1]),
        "build_s": round(build_s, 1),
        "embed_s": round(embed_s, 1),
        "units_per_s": round(size / embed_s),
        "mine_s": round(mine_s, 1),
        "total_s": round(embed_s + mine_s, 1),
        "peak_rss_mb_after_embed": round(rss_after_embed),
        "peak_rss_mb": round(_peak_rss_mb()),
        "themes": len(result.themes),
        "parents": len(result.parents),
        "outlier_share": round(result.outlier_share, 4),
        "nmi": round(float(normalized_mutual_info_score(labels, found)), 3),
        "ari": round(float(adjusted_rand_score(labels, found)), 3),
    }


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| units | distinct texts | embed s | units/s | mine s | total s | peak RSS MB "
        "(after embed / whole run) | themes | parents | outliers | NMI | ARI |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['units']:,} | {r['distinct_texts']:,} | {r['embed_s']} | {r['units_per_s']:,} | "
        f"{r['mine_s']} | {r['total_s']} | {r['peak_rss_mb_after_embed']:,} / "
        f"{r['peak_rss_mb']:,} | {r['themes']} | {r['parents']} | "
        f"{100 * r['outlier_share']:.1f}% | {r['nmi']:.3f} | {r['ari']:.3f} |\n"
        for r in rows
    )
    return head + body


def main() -> None:
    """Run every size in a child process, print the table and append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--model", default="e5-small-static")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.child, args.model, args.seed)), flush=True)
        return
    if not THEMES_DIR.is_dir():
        sys.exit(f"bench_scale: {THEMES_DIR} is missing (../shared/corpora beside the repo)")
    where = machine()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--child", str(size), "--model", args.model]
        command += ["--seed", str(args.seed)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"bench_scale: {size} units failed:\n{done.stderr[-3000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["wall_s"] = round(time.perf_counter() - started, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    table = _table(rows)
    print(table)
    if args.no_write:
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command_line = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    section = (
        f"\n## Fast-mode mining at scale — {stamp}\n\n"
        f"Command: `{command_line.strip()}`\n\nMachine: {where} (at start)\n\n{table}"
    )
    append_results(section)


if __name__ == "__main__":
    main()
