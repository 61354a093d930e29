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


def l2_normalise_in_place(vectors: FloatMatrix, *, block_rows: int = 65_536) -> FloatMatrix:
    """Scale each row of a float32 matrix to unit length in place, block by block.

    Needs no second matrix (one million 256-d rows are 1 GB); all-zero rows stay zero.
    Returns ``vectors``.
    """
    for start in range(0, vectors.shape[0], block_rows):
        block = vectors[start : start + block_rows]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        block /= norms
    return vectors
