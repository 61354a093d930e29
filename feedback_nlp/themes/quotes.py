"""Representative quotes of a theme: central but not repetitive (maximal marginal relevance).

The first quote is the unit closest to the theme centre. Each next one maximises

    (1 - diversity) * sim(unit, centre) - diversity * max sim(unit, quotes so far)

among the ``pool_size`` most central units, and units whose text repeats a chosen quote (after
case-folding and whitespace collapsing) are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedback_nlp.constraints import Constraint, Interval, check_params
from feedback_nlp.themes.arrays import FloatMatrix, IntArray

__all__ = ["representative_quotes"]

_PARAMETERS: dict[str, Constraint] = {
    "n_quotes": Interval("int", 1),
    "diversity": Interval("float", 0.0, 1.0),
    "pool_size": Interval("int", 1),
}


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def representative_quotes(
    vectors: FloatMatrix,
    centre: FloatMatrix,
    *,
    texts: Sequence[str] | None = None,
    n_quotes: int = 5,
    diversity: float = 0.5,
    pool_size: int = 50,
) -> IntArray:
    """Pick up to ``n_quotes`` diverse, central rows of ``vectors``.

    Args:
        vectors: unit-norm vectors of the theme's members, shape ``(m, d)``.
        centre: unit-norm theme centre, shape ``(d,)``.
        texts: the members' texts, to skip exact repeats (optional).
        n_quotes: quotes wanted (fewer when the theme has fewer distinct members).
        diversity: weight of dissimilarity to the quotes already chosen, in ``[0, 1]``.
        pool_size: only the ``pool_size`` most central members are candidates.

    Returns:
        Row indices into ``vectors``, in the order chosen.
    """
    values = {"n_quotes": n_quotes, "diversity": diversity, "pool_size": pool_size}
    check_params("representative_quotes", _PARAMETERS, values)
    if vectors.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    relevance = vectors @ centre
    pool = np.argsort(-relevance, kind="stable")[:pool_size]
    chosen: list[int] = []
    seen: set[str] = set()
    redundancy = np.full(pool.size, -np.inf)
    available = np.ones(pool.size, dtype=bool)
    while len(chosen) < n_quotes and available.any():
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        gain = (1.0 - diversity) * relevance[pool] - diversity * penalty
        gain[~available] = -np.inf
        best = int(np.argmax(gain))
        available[best] = False
        row = int(pool[best])
        if texts is not None:
            key = _fold(texts[row])
            if key in seen:
                continue
            seen.add(key)
        chosen.append(row)
        redundancy = np.maximum(redundancy, vectors[pool] @ vectors[row])
    return np.asarray(chosen, dtype=np.int64)
