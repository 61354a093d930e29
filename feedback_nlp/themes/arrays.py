"""The array inputs of the theme components: unit embeddings, language codes, per-unit lists.

Parameters are checked with :mod:`feedback_nlp.constraints`; this module checks the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from feedback_nlp.errors import InvalidInputError

__all__ = ["FloatMatrix", "IntArray", "as_embeddings", "as_langs", "check_same_length"]

FloatMatrix = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

_UNIT_TOLERANCE = 1e-4


def as_embeddings(embeddings: object, *, owner: str) -> FloatMatrix:
    """Return ``embeddings`` as a finite float32 matrix with rows of unit length.

    Rows are re-normalised (an all-zero row stays zero), so callers may pass raw vectors. A float32
    matrix whose rows are already of unit length is returned as it is, without a copy: callers
    never write into the result.

    Raises:
        InvalidInputError: the input is not a finite 2-D numeric array.
    """
    array = np.asarray(embeddings)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise InvalidInputError(
            f"{owner} needs embeddings as a 2-D numeric array (units x dimensions). "
            f"Got an array of shape {array.shape} and dtype {array.dtype}. "
            "Pass the output of an embedder's encode()."
        )
    # einsum sums each row's squares without the two n x d temporaries of np.linalg.norm.
    norms = np.sqrt(np.einsum("ij,ij->i", array, array, dtype=np.float64))[:, None]
    if not np.all(np.isfinite(norms)):
        raise InvalidInputError(
            f"{owner} got embeddings with NaN or infinite values. Re-embed the affected texts."
        )
    already_unit = np.all((np.abs(norms - 1.0) <= _UNIT_TOLERANCE) | (norms == 0.0))
    if array.dtype == np.float32 and already_unit:
        unit: FloatMatrix = array  # an embedder's output: no copy (1M x 384 floats is 1.5 GB)
        return unit
    matrix = array.astype(np.float32, copy=True)
    norms[norms == 0.0] = 1.0
    matrix /= norms.astype(np.float32)
    return matrix


def as_langs(langs: Sequence[str] | None, n: int, *, owner: str) -> list[str]:
    """Return one language code per unit; ``None`` means every unit is ``"und"`` (undetermined)."""
    if langs is None:
        return ["und"] * n
    codes = [str(lang) for lang in langs]
    if len(codes) != n:
        raise InvalidInputError(
            f"{owner} got {len(codes)} language codes for {n} units. Pass one code per unit "
            "(or None when languages are unknown)."
        )
    return codes


def check_same_length(owner: str, name: str, values: Sequence[object], n: int) -> None:
    """Raise InvalidInputError unless ``values`` has one entry per unit."""
    if len(values) != n:
        raise InvalidInputError(
            f"{owner} got {len(values)} {name} for {n} embeddings. Pass one per unit, in order."
        )
