"""The embedder contract shared by every embedding backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; returns an array of shape ``(len(texts), dim)``, rows of unit norm."""
        ...


def l2_normalise(vectors: FloatMatrix) -> FloatMatrix:
    """Scale each row to unit length; all-zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    normalised: FloatMatrix = (vectors / norms).astype(np.float32, copy=False)
    return normalised
