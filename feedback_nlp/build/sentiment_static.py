"""Train the fast-mode sentiment head shipped in ``models/sentiment-static-head-v1/``.

A multinomial logistic regression over the 256-d vectors of ``e5-small-static`` (the fast-mode
embedder), trained on the same licence-clean rows as the fine-tuned model
(:func:`feedback_nlp.build.sentiment_finetune.load_finetune_rows`: seed set, GoEmotions, XED,
Hebrew OnlpLab train/dev; :data:`SHIPPED_SOURCES`, the mix of the shipped head, not the
fine-tuned model's newer one). Rows are weighted so that every (source, language) group and every
class inside it weigh the same; ``C`` is chosen on the held-out dev split of those rows (mean
macro-F1 over the groups), then the head is refitted on the train split and temperature-scaled on
the dev split (the temperature is folded into ``coef`` and ``intercept``).

Run ``python -m feedback_nlp.build.sentiment_static`` from the repository root (about a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.build.sentiment_finetune import (
    FinetuneConfig,
    TrainRow,
    fit_temperature,
    group_macro_f1,
    load_finetune_rows,
    split_dev,
)
from feedback_nlp.sentiment.classifier import LABELS, label_probs

__all__ = ["group_weights", "main", "train_static_head"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "models" / "sentiment-static-head-v1"
EMBEDDER = "e5-small-static"
C_GRID = (1.0, 10.0, 100.0)
SEED = 0
SHIPPED_SOURCES = ("goemotions", "xed")
"""The copied sources the shipped head was trained on (before HebEMO and SentiMP-21 were added)."""

FloatMatrix = npt.NDArray[np.float64]


def group_weights(rows: Sequence[TrainRow]) -> npt.NDArray[np.float64]:
    """Row weights: each (source, language) group, and each class inside it, weigh the same."""
    keys = [(r.source, r.lang, r.label) for r in rows]
    group_classes: dict[tuple[str, str], set[str]] = {}
    sizes: dict[tuple[str, str, str], int] = {}
    for source, lang, label in keys:
        group_classes.setdefault((source, lang), set()).add(label)
        sizes[(source, lang, label)] = sizes.get((source, lang, label), 0) + 1
    weights = np.array(
        [1.0 / len(group_classes[(s, g)]) / sizes[(s, g, y)] for s, g, y in keys], dtype=np.float64
    )
    normalised: npt.NDArray[np.float64] = weights * len(weights) / weights.sum()
    return normalised


def _fit(
    x: FloatMatrix, y: npt.NDArray[np.int64], w: npt.NDArray[np.float64], c: float
) -> tuple[FloatMatrix, npt.NDArray[np.float64]]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    model.fit(x, y, sample_weight=w)
    return model.coef_.astype(np.float64), model.intercept_.astype(np.float64)


def train_static_head(
    rows: Sequence[TrainRow], x: FloatMatrix, dev_fraction: float = 0.1
) -> tuple[FloatMatrix, npt.NDArray[np.float64], dict[str, Any]]:
    """Choose ``C`` on the dev split, refit on the train split, fit the temperature on dev."""
    train_idx, dev_idx = split_dev(rows, dev_fraction)
    y = np.array([LABELS.index(r.label) for r in rows], dtype=np.int64)
    train_rows = [rows[i] for i in train_idx]
    dev_rows = [rows[i] for i in dev_idx]
    w = group_weights(train_rows)
    grid: list[dict[str, Any]] = []
    for c in C_GRID:
        coef, intercept = _fit(x[train_idx], y[train_idx], w, c)
        predicted = label_probs(x[dev_idx] @ coef.T + intercept)
        per_group = group_macro_f1(dev_rows, predicted)
        grid.append({"C": c, "dev_mean_group_macro_f1": float(np.mean(list(per_group.values())))})
    best = max(grid, key=lambda r: r["dev_mean_group_macro_f1"])
    coef, intercept = _fit(x[train_idx], y[train_idx], w, best["C"])
    logits = x[dev_idx] @ coef.T + intercept
    temperature = fit_temperature(logits, y[dev_idx].tolist())
    coef, intercept = coef / temperature, intercept / temperature
    from feedback_nlp.eval.sentiment import expected_calibration_error

    probs = np.exp(logits / temperature - (logits / temperature).max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dev_labels = [r.label for r in dev_rows]
    report = {
        "grid": grid,
        "selected_C": best["C"],
        "temperature": round(temperature, 4),
        "dev_rows": len(dev_idx),
        "dev_ece": round(expected_calibration_error(probs, dev_labels), 4),
        "dev_macro_f1_per_group": {
            k: round(v, 4) for k, v in group_macro_f1(dev_rows, label_probs(probs)).items()
        },
    }
    return coef, intercept, report


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: embed the rows, train, and write ``weights.npz`` + ``manifest.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache the vectors here")
    args = parser.parse_args(argv)
    from feedback_nlp.build.sentiment_train import embed_cached
    from feedback_nlp.models import file_sha256

    rows = load_finetune_rows(FinetuneConfig(sources=SHIPPED_SOURCES))
    x = embed_cached([r.text for r in rows], EMBEDDER, args.cache_dir)
    coef, intercept, report = train_static_head(rows, x)
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / "weights.npz"
    np.savez(weights, coef=coef.astype(np.float32), intercept=intercept.astype(np.float32))
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(f"{r.source}:{r.lang}", dict.fromkeys(LABELS, 0))[r.label] += 1
    manifest = {
        "name": args.out.name,
        "kind": "sentiment",
        "format": "linear head over L2-normalised embeddings: softmax(x @ coef.T + intercept)",
        "embedder": EMBEDDER,
        "dim": int(coef.shape[1]),
        "labels": list(LABELS),
        "score": "P(positive) - P(negative)",
        "label_rule": "argmax of the probabilities (items: of their length-weighted mean)",
        "weights": weights.name,
        "sha256": file_sha256(weights),
        "training_rows": dict(sorted(counts.items())),
        "selection": report,
        "trained": dt.date.today().isoformat(),
        "command": "python -m feedback_nlp.build.sentiment_static",
    }
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(json.dumps(report, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
