"""Scores and calibration of the head: macro-F1 per group, a fitted temperature, a softmax."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from feedback_nlp.build.sentiment_finetune.config import TrainRow


def group_macro_f1(rows: Sequence[TrainRow], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 per (source, language) group, over the classes that group has."""
    from sklearn.metrics import f1_score

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(f"{r.source}:{r.lang}", []).append(i)
    scores: dict[str, float] = {}
    for key, members in sorted(groups.items()):
        truth = [rows[i].label for i in members]
        scores[key] = float(
            f1_score(
                truth, [predicted[i] for i in members], labels=sorted(set(truth)), average="macro"
            )
        )
    return scores


def fit_temperature(logits: npt.ArrayLike, labels: Sequence[int]) -> float:
    """The temperature ``T`` minimising the NLL of ``softmax(logits / T)`` (log grid, refined)."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)

    def nll(t: float) -> float:
        scaled = z / t
        scaled -= scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(y)), y].mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = float(grid[int(np.argmin([nll(float(t)) for t in grid]))])
    fine = best * np.exp(np.linspace(-0.06, 0.06, 25))
    return float(fine[int(np.argmin([nll(float(t)) for t in fine]))])


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: npt.NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return out
