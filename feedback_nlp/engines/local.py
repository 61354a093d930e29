"""The in-process engine: the model is loaded once in this process and mining runs here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.models import load_model
from feedback_nlp.themes.miner import MiningResult, ThemeMiner

__all__ = ["LocalEngine"]


class LocalEngine:
    """Embeds and mines in the calling process (the default engine).

    Args:
        embedders: Already loaded embedders to use, by name; others are loaded on first use
            and kept.
        chunk_size: Texts per :meth:`embed` call a job makes (progress granularity).
    """

    name = "local"

    def __init__(self, embedders: Sequence[Embedder] = (), *, chunk_size: int = 512) -> None:
        self.chunk_size = chunk_size
        self._embedders: dict[str, Embedder] = {model.name: model for model in embedders}

    def embedder(self, name: str) -> Embedder:
        """Return the embedder ``name``, loading it on first use."""
        if name not in self._embedders:
            self._embedders[name] = load_model(name)
        return self._embedders[name]

    def embed(self, texts: Sequence[str], embedder: str) -> FloatMatrix:
        """Embed ``texts`` here with the model ``embedder``."""
        model = self.embedder(embedder)
        if not texts:
            return np.empty((0, model.dim), dtype=np.float32)
        return np.asarray(model.encode(list(texts)), dtype=np.float32)

    def mine(
        self,
        miner: ThemeMiner,
        embeddings: FloatMatrix,
        texts: Sequence[str],
        langs: Sequence[str],
    ) -> MiningResult:
        """Fit ``miner`` here."""
        return miner.fit(embeddings, texts, langs)

    def close(self) -> None:
        """Forget the loaded models."""
        self._embedders.clear()
