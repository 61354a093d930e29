"""Embedding preparation before clustering: per-language centring and neighbour smoothing.

Both steps are label-free and were chosen by measurement (``bench/RESULTS.md``):

* **Per-language centring.** Sentence embeddings share a large common component (cosine similarity
  of unrelated e5 sentences is ~0.8), and each language adds its own offset. Subtracting each
  language's mean vector and re-normalising spreads the themes apart and moves translations of the
  same complaint closer together (banking77 English + Arabic, oracle k: NMI 0.615 -> 0.660).
* **Neighbour smoothing.** Each unit is replaced by the normalised sum of itself and its nearest
  neighbours, drawn evenly from every major language present. This denoises single units and builds
  bridges between languages (banking77, oracle k: NMI 0.738 -> 0.767; share of intents with the same
  majority theme in English and Arabic: 0.44 -> 0.78).
* **Rotation between languages** (:func:`align_languages`, before the smoothing). Centring removes
  each language's offset but not a rotation between the languages' spaces, so a unit's nearest
  other-language neighbour is often on another topic that happens to share words with it ("card
  charged twice" next to "courier missed twice"). Rotating each language onto the largest by the
  orthogonal map of its mutual nearest pairs makes those neighbours on-topic (banking77 English +
  Arabic: same majority theme 0.727 -> 0.948, NMI 0.702 -> 0.745; one-language files unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from feedback_nlp.embed.base import l2_normalise_in_place
from feedback_nlp.themes.arrays import FloatMatrix

__all__ = [
    "align_languages",
    "centre_by_language",
    "language_pools",
    "normalise_rows",
    "smooth_neighbours",
]

_BLOCK_ROWS = 1024


def normalise_rows(vectors: npt.NDArray[np.floating]) -> FloatMatrix:
    """Scale each row to unit length (all-zero rows stay zero); returns float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    unit: FloatMatrix = (vectors / norms).astype(np.float32, copy=False)
    return unit


def language_pools(
    langs: Sequence[str], *, min_share: float = 0.05, min_units: int = 10
) -> list[npt.NDArray[np.int64]]:
    """Group unit indices by language; small languages join the largest group.

    A language forms its own pool when it holds at least ``min_share`` of the units and at least
    ``min_units`` units; a pool of a handful of units would give a noisy mean and pull every other
    unit towards it in :func:`smooth_neighbours`.

    Returns:
        Index arrays in order of first appearance, together covering ``range(len(langs))``.
    """
    n = len(langs)
    if n == 0:
        return []
    order: dict[str, list[int]] = {}
    for index, lang in enumerate(langs):
        order.setdefault(lang, []).append(index)
    threshold = max(min_units, math.ceil(min_share * n))
    major = [members for members in order.values() if len(members) >= threshold]
    minor = [i for members in order.values() if len(members) < threshold for i in members]
    if not major:
        return [np.arange(n, dtype=np.int64)]
    largest = max(range(len(major)), key=lambda j: len(major[j]))
    major[largest] = sorted(major[largest] + minor)
    return [np.asarray(members, dtype=np.int64) for members in major]


def centre_by_language(embeddings: FloatMatrix, langs: Sequence[str]) -> FloatMatrix:
    """Subtract each language pool's mean vector and re-normalise the rows.

    Args:
        embeddings: unit-norm vectors, shape ``(n, d)``.
        langs: one language code per row.

    Returns:
        Unit-norm float32 vectors of the same shape.
    """
    centred = np.array(embeddings, dtype=np.float32, copy=True)
    step = _BLOCK_ROWS * 64
    for pool in language_pools(langs):
        mean = np.zeros(centred.shape[1], dtype=np.float64)
        for start in range(0, pool.size, step):
            mean += centred[pool[start : start + step]].sum(axis=0, dtype=np.float64)
        shift = (mean / max(1, pool.size)).astype(np.float32)
        for start in range(0, pool.size, step):
            centred[pool[start : start + step]] -= shift
    return l2_normalise_in_place(centred)


def _mutual_csls_pairs(
    source: FloatMatrix, target: FloatMatrix, n_scale: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row pairs ``(i, j)`` where ``target[j]`` is ``source[i]``'s CSLS-nearest and vice versa."""
    sims = (source @ target.T).astype(np.float64)
    k_source = min(n_scale, target.shape[0])
    k_target = min(n_scale, source.shape[0])
    r_source = -np.partition(-sims, k_source - 1, axis=1)[:, :k_source].mean(axis=1)
    r_target = -np.partition(-sims.T, k_target - 1, axis=1)[:, :k_target].mean(axis=1)
    sims *= 2.0
    sims -= r_source[:, None]
    sims -= r_target[None, :]
    forward = sims.argmax(axis=1)
    backward = sims.argmax(axis=0)
    rows = np.flatnonzero(backward[forward] == np.arange(source.shape[0]))
    return rows.astype(np.int64), forward[rows].astype(np.int64)


def align_languages(
    embeddings: FloatMatrix,
    langs: Sequence[str],
    *,
    iterations: int = 3,
    local_scaling: int = 10,
) -> FloatMatrix:
    """Rotate each language pool onto the largest one (unsupervised orthogonal Procrustes).

    Mean-centring (:func:`centre_by_language`) removes each language's offset but not a
    rotation between the languages' spaces. As in the refinement step of MUSE (Conneau et al.
    2018, "Word translation without parallel data"), each pool is mapped onto the largest by the
    orthogonal matrix that best superposes its mutual CSLS-nearest pairs (a unit and its
    closest unit of the other language, each the other's choice), refitted ``iterations`` times
    on the pairs the last map finds. No label is used; a rotation keeps every within-language
    similarity. A pool with fewer pairs than dimensions is left as it is (the map would be
    underdetermined).

    Args:
        embeddings: unit-norm vectors (usually the output of :func:`centre_by_language`).
        langs: one language code per row.
        iterations: refits of the map (``0`` returns a copy).
        local_scaling: neighbours of the CSLS local scales of the pairing.

    Returns:
        Unit-norm float32 vectors of the same shape.
    """
    aligned = np.array(embeddings, dtype=np.float32, copy=True)
    pools = language_pools(langs)
    if iterations == 0 or len(pools) < 2:
        return aligned
    reference = max(range(len(pools)), key=lambda number: pools[number].size)
    target = aligned[pools[reference]]
    dim = aligned.shape[1]
    for number, pool in enumerate(pools):
        if number == reference:
            continue
        source = aligned[pool]
        rotation = np.eye(dim, dtype=np.float64)
        for _ in range(iterations):
            mapped = (source @ rotation).astype(np.float32)
            rows, matches = _mutual_csls_pairs(mapped, target, local_scaling)
            if rows.size < dim:
                break
            cross = source[rows].astype(np.float64).T @ target[matches].astype(np.float64)
            left, _, right = np.linalg.svd(cross)
            rotation = left @ right
        aligned[pool] = normalise_rows(source @ rotation.astype(np.float32))
    return aligned


def smooth_neighbours(
    embeddings: FloatMatrix,
    langs: Sequence[str],
    *,
    n_neighbours: int = 5,
    shared_topic_ratio: float = 0.0,
) -> FloatMatrix:
    """Replace each row by the normalised sum of itself and its nearest neighbours.

    With one language pool the neighbours are the ``n_neighbours`` most similar other rows. With
    ``P`` pools, ``ceil(n_neighbours / P)`` neighbours come from each pool, so that every unit is
    pulled towards its closest paraphrases in every major language.

    Args:
        embeddings: unit-norm vectors (usually the output of :func:`centre_by_language`).
        langs: one language code per row.
        n_neighbours: neighbours added to each row; ``0`` returns a copy.
        shared_topic_ratio: a neighbour from another language pool is added only when its
            similarity reaches this share of the weakest neighbour drawn from the row's own
            pool: a language with no unit on the row's topic adds nothing, instead of pulling
            the row towards whatever is least far (``0`` keeps every neighbour).

    Returns:
        Unit-norm float32 vectors of the same shape.
    """
    n = embeddings.shape[0]
    if n_neighbours == 0 or n < 2:
        return embeddings.copy()
    pools = language_pools(langs)
    per_pool = math.ceil(n_neighbours / len(pools))
    pool_of = np.empty(n, dtype=np.int64)
    for number, pool in enumerate(pools):
        pool_of[pool] = number
    summed = embeddings.astype(np.float64, copy=True)
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(n, start + _BLOCK_ROWS)
        rows = np.arange(start, stop)
        sims = embeddings[start:stop] @ embeddings.T
        sims[np.arange(stop - start), rows] = -np.inf
        found: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float32]]] = []
        for number, pool in enumerate(pools):
            take = min(per_pool, pool.size - 1) if pool.size > 1 else 0
            if take <= 0:
                continue
            block = sims[:, pool]
            nearest = np.argpartition(-block, take - 1, axis=1)[:, :take]
            found.append((number, pool[nearest], np.take_along_axis(block, nearest, axis=1)))
        own_floor = np.full(stop - start, np.inf)
        for number, _, values in found:
            mine = pool_of[rows] == number
            weakest = np.where(np.isfinite(values), values, np.inf).min(axis=1)
            own_floor[mine] = weakest[mine]
        for number, chosen, values in found:
            # A row's own index is at -inf and never chosen unless the pool is exhausted.
            mask = np.isfinite(values)
            if shared_topic_ratio > 0.0:
                other = (pool_of[rows] != number)[:, None]
                floor = shared_topic_ratio * np.where(np.isfinite(own_floor), own_floor, 0.0)
                mask &= ~other | (values >= floor[:, None])
            summed[start:stop] += (embeddings[chosen] * mask[..., None]).sum(axis=1)
    return normalise_rows(summed)
