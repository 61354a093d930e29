"""Sentence-transformers models loaded from a folder inside an installed package."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from feedback_nlp.embed.base import FloatMatrix, l2_normalise


class SentenceTransformerEmbedder:
    """Embed texts with a sentence-transformers model read from ``model_dir`` (offline, CPU).

    Args:
        model_dir: folder with ``modules.json``, config and weights.
        name: the registry name reported in results.
        batch_size: texts per forward pass.
    """

    dim: int

    def __init__(self, *, model_dir: Path, name: str, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"Model in {model_dir} does not declare its embedding dimension.")
        self.dim = int(dim)

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; rows are L2-normalised."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        return l2_normalise(np.asarray(vectors, dtype=np.float32))
