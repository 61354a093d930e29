"""Sentiment of opinion units and items from their embeddings: a linear head trained by the project.

The head is a multinomial logistic regression over the L2-normalised vectors of one embedder
(``manifest["embedder"]``); it outputs ``P(negative), P(neutral), P(positive)`` per unit.

* **Label** of a unit: the most probable class (ties go to the earlier class in
  :data:`LABELS`). Cross-validation on the training data preferred this to thresholds on the
  score (mean macro-F1 0.745 against 0.725, see the model card).
* **Score** of a unit: ``P(positive) - P(negative)``, always in ``[-1, 1]``.
* **Item**: the mean of its units' probability vectors weighted by each unit's length in
  characters (a long complaint outweighs a short "thanks"). The item score is that mean's
  ``P(positive) - P(negative)`` — which equals the length-weighted mean of the unit scores — and
  the item label is its most probable class, so a one-unit item always gets its unit's label and
  score. Items without units are neutral with score 0.

Artifacts are ``manifest.json`` plus a ``.npz`` of float arrays, read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from feedback_nlp.errors import InvalidInputError, ModelLoadError

__all__ = [
    "LABELS",
    "ItemSentiment",
    "SentimentClassifier",
    "aggregate_items",
    "label_probs",
    "scores_of",
]

LABELS: Final[tuple[str, str, str]] = ("negative", "neutral", "positive")
"""The classes in the order of the head's outputs."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ItemSentiment:
    """The sentiment of one item, aggregated from its units.

    Attributes:
        label: ``"negative"``, ``"neutral"`` or ``"positive"``.
        score: Length-weighted mean unit score in ``[-1, 1]``.
        n_units: How many units the item had.
    """

    label: str
    score: float
    n_units: int


def label_probs(probs: FloatArray) -> list[str]:
    """The most probable class of each row of ``probs`` (shape ``(n, 3)``, :data:`LABELS` order)."""
    matrix = np.asarray(probs, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(LABELS):
        raise InvalidInputError(
            f"Sentiment probabilities must have shape (n, 3). Got {matrix.shape}."
        )
    return [LABELS[i] for i in matrix.argmax(axis=1).tolist()]


def scores_of(probs: FloatArray) -> FloatArray:
    """``P(positive) - P(negative)`` of each row, clipped to ``[-1, 1]``."""
    matrix = np.asarray(probs, dtype=np.float64)
    scores: FloatArray = np.clip(matrix[:, 2] - matrix[:, 0], -1.0, 1.0)
    return scores


def aggregate_items(
    n_items: int,
    item_index: Sequence[int],
    unit_probs: FloatArray,
    unit_lengths: Sequence[int],
) -> list[ItemSentiment]:
    """Aggregate unit probabilities into one result per item (length-weighted mean).

    Args:
        n_items: Number of items; items with no unit are neutral with score 0.
        item_index: For each unit, the index of its item in ``0..n_items-1``.
        unit_probs: One probability row per unit, shape ``(n_units, 3)`` in :data:`LABELS` order.
        unit_lengths: One length (characters) per unit; a length below 1 counts as 1.
    """
    probs = np.asarray(unit_probs, dtype=np.float64).reshape(-1, len(LABELS))
    if not len(item_index) == len(probs) == len(unit_lengths):
        raise InvalidInputError(
            f"aggregate_items needs one item index, probability row and length per unit. Got "
            f"{len(item_index)} indices, {len(probs)} rows, {len(unit_lengths)} lengths."
        )
    index = np.asarray(item_index, dtype=np.int64)
    if index.size and (index.min() < 0 or index.max() >= n_items):
        raise InvalidInputError(
            f"Unit item indices must lie in 0..{n_items - 1}. Got {index.min()}..{index.max()}."
        )
    weights = np.maximum(np.asarray(unit_lengths, dtype=np.float64), 1.0)
    mass = np.bincount(index, weights=weights, minlength=n_items)
    counts = np.bincount(index, minlength=n_items)
    means = np.zeros((n_items, len(LABELS)))
    means[:, 1] = 1.0  # an item without units is neutral
    for k in range(len(LABELS)):
        totals = np.bincount(index, weights=weights * probs[:, k], minlength=n_items)
        np.divide(totals, mass, out=means[:, k], where=mass > 0)
    labels = label_probs(means)
    scores = np.where(counts > 0, scores_of(means), 0.0)
    return [
        ItemSentiment(label=label, score=float(score), n_units=int(count))
        for label, score, count in zip(labels, scores.tolist(), counts.tolist(), strict=True)
    ]


class SentimentClassifier:
    """A linear sentiment head over one embedder's vectors.

    Args:
        coef: Weights of shape ``(3, dim)``, rows in :data:`LABELS` order.
        intercept: Biases of shape ``(3,)``.
        embedder: Registry name of the embedder the head was trained on.
        name: Name of the head (for results and errors).
    """

    def __init__(
        self,
        *,
        coef: npt.ArrayLike,
        intercept: npt.ArrayLike,
        embedder: str,
        name: str = "sentiment",
    ) -> None:
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        if self.coef_.ndim != 2 or self.coef_.shape[0] != len(LABELS):
            raise ModelLoadError(
                f"Sentiment head '{name}': coef must have shape (3, dim). Got {self.coef_.shape}."
            )
        if self.intercept_.shape != (len(LABELS),):
            raise ModelLoadError(
                f"Sentiment head '{name}': intercept must have shape (3,). "
                f"Got {self.intercept_.shape}."
            )
        self.embedder = embedder
        self.name = name

    @property
    def dim(self) -> int:
        """The embedding dimension the head expects."""
        return int(self.coef_.shape[1])

    @classmethod
    def from_dir(cls, path: Path, *, name: str | None = None) -> SentimentClassifier:
        """Load a head saved as ``manifest.json`` + weights ``.npz`` in ``path``."""
        manifest_path = path / "manifest.json"
        try:
            manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
            weights_file = path / str(manifest["weights"])
            with np.load(weights_file, allow_pickle=False) as arrays:
                coef, intercept = arrays["coef"], arrays["intercept"]
            labels = tuple(manifest["labels"])
            embedder = str(manifest["embedder"])
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ModelLoadError(
                f"The sentiment head in '{path}' could not be read ({error}). Restore the "
                "folder from the repository (manifest.json and its weights file)."
            ) from None
        if labels != LABELS:
            raise ModelLoadError(
                f"The sentiment head in '{path}' has labels {list(labels)}; expected "
                f"{list(LABELS)}."
            )
        return cls(
            coef=coef,
            intercept=intercept,
            embedder=embedder,
            name=name or str(manifest.get("name", path.name)),
        )

    @classmethod
    def from_arrays_file(
        cls, weights_file: Path, *, embedder: str, name: str = "sentiment"
    ) -> SentimentClassifier:
        """Load ``coef`` and ``intercept`` from an ``.npz`` (no pickle) for ``embedder``."""
        try:
            with np.load(weights_file, allow_pickle=False) as arrays:
                coef, intercept = arrays["coef"], arrays["intercept"]
        except (OSError, KeyError, ValueError) as error:
            raise ModelLoadError(
                f"The sentiment head '{weights_file}' could not be read ({error}). Restore it "
                "from the repository."
            ) from None
        return cls(coef=coef, intercept=intercept, embedder=embedder, name=name)

    def _check(self, embeddings: npt.ArrayLike) -> FloatArray:
        matrix = np.asarray(embeddings, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise InvalidInputError(
                f"Sentiment head '{self.name}' needs embeddings of shape (n, {self.dim}) from "
                f"'{self.embedder}'. Got shape {matrix.shape}. Embed with that model."
            )
        return matrix

    def predict_proba(self, embeddings: npt.ArrayLike) -> FloatArray:
        """Class probabilities, shape ``(n, 3)`` in :data:`LABELS` order (rows sum to 1)."""
        logits = self._check(embeddings) @ self.coef_.T + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs: FloatArray = exp / exp.sum(axis=1, keepdims=True)
        return probs

    def score(self, embeddings: npt.ArrayLike) -> FloatArray:
        """One score per row: ``P(positive) - P(negative)`` in ``[-1, 1]``."""
        return scores_of(self.predict_proba(embeddings))

    def predict(self, embeddings: npt.ArrayLike) -> tuple[list[str], FloatArray]:
        """Labels (most probable class) and scores of each row."""
        probs = self.predict_proba(embeddings)
        return label_probs(probs), scores_of(probs)
