"""Seeding a theme: the units most similar to an analyst's example phrases, and to each other.

Similarities are taken in the miner's space (:class:`SeedSpace`): every unit minus the mean of
its language pool (:func:`~feedback_nlp.themes.reduce.language_pools`), re-normalised. Raw
sentence embeddings share a large common component (unrelated e5 sentences are ~0.8 similar),
so a threshold on raw similarities would jump from "nothing" to "everything" within a few
hundredths; centred, unrelated units are near 0 and the threshold spreads out. An example phrase
is centred by the pool whose mean it is closest to (its language's, without identifying it).

A unit's score is its best similarity to the examples: to their centroid or to any one example
(so one Arabic and one English example each find their own language's units). Units at or above
the threshold are the seed's core; then the core's own centroid (its members) claims the units at
or above the threshold too.

The default threshold is the seed's own: most units of a workspace are unrelated to any one seed,
so the median and the median absolute deviation of its scores describe the unrelated units, and a
unit is claimed when it stands :data:`SPREAD_Z` robust standard deviations above them
(:func:`seed_threshold`). It depends on the seed, the embedder and the corpus, so the analyst
sees it in the preview and may change it. Pure computation: arrays in, values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from feedback_nlp.themes.arrays import FloatMatrix, IntArray
from feedback_nlp.themes.reduce import language_pools, normalise_rows

__all__ = [
    "FALLBACK_THRESHOLD",
    "SPREAD_Z",
    "SeedMatch",
    "SeedSpace",
    "claim_new_units",
    "match_seed",
    "seed_scores",
    "seed_threshold",
]

FALLBACK_THRESHOLD = 0.4
"""The default threshold where there are too few units to measure (:data:`MIN_UNITS_MEASURED`)."""
MIN_UNITS_MEASURED = 20
"""Fewer units than this give no usable median and spread of a seed's scores."""
SPREAD_Z = 3.5
"""How many robust standard deviations (1.4826 x MAD) above the median score a claimed unit
stands. Chosen on banking77 TRAIN rows (70 intents seeded from 3 train phrases each, one at a time:
mean unit F1 0.419 at 3.5, 0.374 at 3.0, 0.418 at 4.0, against 0.317-0.436 for any one fixed
threshold from 0.40 to 0.60); bench/RESULTS.md has the measurement."""

_QUANTILES = (0.5, 0.9, 0.99, 1.0)


@dataclass(frozen=True, slots=True)
class SeedSpace:
    """Unit vectors centred per language pool, and the pool means to centre phrases with.

    Attributes:
        units: Centred, unit-norm unit vectors, shape ``(n, d)``.
        means: The mean (raw) vector of each language pool, shape ``(p, d)``.
    """

    units: FloatMatrix
    means: FloatMatrix

    @classmethod
    def of(cls, vectors: FloatMatrix, langs: Sequence[str]) -> SeedSpace:
        """The space of these units (one language code per row)."""
        raw = np.asarray(vectors, dtype=np.float32)
        if raw.shape[0] == 0:
            return cls(raw, np.zeros((1, raw.shape[1] if raw.ndim == 2 else 0), np.float32))
        pools = language_pools(list(langs))
        means = np.stack([raw[pool].mean(axis=0, dtype=np.float64) for pool in pools])
        centred = raw.copy()
        for pool, mean in zip(pools, means, strict=True):
            centred[pool] -= mean.astype(np.float32)
        return cls(normalise_rows(centred), means.astype(np.float32))

    def phrases(self, vectors: FloatMatrix) -> FloatMatrix:
        """Phrase vectors centred by the pool mean each is most similar to."""
        raw = np.asarray(vectors, dtype=np.float32)
        nearest = (raw @ normalise_rows(self.means).T).argmax(axis=1)
        return normalise_rows(raw - self.means[nearest])


@dataclass(frozen=True, slots=True)
class SeedMatch:
    """The units a seed claims.

    Attributes:
        claimed: Rows claimed, by decreasing score.
        scores: Each row's score (best similarity to the examples or to the core's centroid).
        n_core: Rows claimed by the examples themselves.
        centre: Unit-norm centroid of the claimed rows (of the examples when none).
    """

    claimed: IntArray
    scores: npt.NDArray[np.float64]
    n_core: int
    centre: FloatMatrix

    def score_quantiles(self) -> dict[str, float]:
        """Median, 90th, 99th percentile and maximum of the scores (to choose a threshold)."""
        if self.scores.size == 0:
            return {}
        return {
            f"q{round(q * 100)}": round(float(np.quantile(self.scores, q)), 4) for q in _QUANTILES
        }


def match_seed(vectors: FloatMatrix, examples: FloatMatrix, threshold: float) -> SeedMatch:
    """Score every unit against the examples and claim those at or above ``threshold``.

    Args:
        vectors: Unit-norm vectors of every candidate unit, shape ``(n, d)`` (a seed space's).
        examples: Unit-norm vectors of the example phrases, shape ``(m, d)``, ``m >= 1``.
        threshold: The similarity a unit needs.
    """
    centre = normalise_rows(examples.mean(axis=0, keepdims=True))
    if vectors.shape[0] == 0:
        return SeedMatch(np.empty(0, np.int64), np.empty(0), 0, centre[0])
    scores = seed_scores(vectors, examples)
    core = scores >= threshold
    n_core = int(core.sum())
    if n_core:
        members = normalise_rows(vectors[core].mean(axis=0, keepdims=True))
        scores = np.maximum(scores, (vectors @ members[0]).astype(np.float64))
        centre = members
    claimed = np.flatnonzero(scores >= threshold)
    claimed = claimed[np.argsort(-scores[claimed], kind="stable")]
    return SeedMatch(claimed.astype(np.int64), scores, n_core, centre[0])


def claim_new_units(
    vectors: FloatMatrix, examples: FloatMatrix, members: FloatMatrix, threshold: float
) -> npt.NDArray[np.bool_]:
    """Which new units (between mining runs) a seed claims, without matching it again.

    A new unit's score is its best similarity to the examples (their centroid or any one) or to
    the centroid of the units the seed claimed on the run (its members, as :func:`match_seed`
    widens its core); it is claimed at or above ``threshold``.

    Args:
        vectors: The new units in the seed space, shape ``(n, d)``.
        examples: The example phrases in the seed space, shape ``(m, d)``, ``m >= 1``.
        members: The units the seed claimed on the run, shape ``(k, d)`` (``k`` may be 0).
        threshold: The seed's threshold.
    """
    if vectors.shape[0] == 0:
        return np.zeros(0, dtype=np.bool_)
    scores = seed_scores(vectors, examples)
    if members.shape[0]:
        centre = normalise_rows(members.mean(axis=0, keepdims=True))[0]
        scores = np.maximum(scores, vectors @ centre)
    return np.asarray(scores >= threshold, dtype=np.bool_)


def seed_scores(vectors: FloatMatrix, examples: FloatMatrix) -> npt.NDArray[np.float64]:
    """Each unit's best similarity to the examples: to their centroid or to any one of them.

    Args:
        vectors: Unit-norm vectors of the units, shape ``(n, d)`` (a seed space's).
        examples: Unit-norm vectors of the example phrases, shape ``(m, d)``, ``m >= 1``.
    """
    centre = normalise_rows(examples.mean(axis=0, keepdims=True))
    anchors = np.vstack([centre, examples])
    return np.asarray((vectors @ anchors.T).max(axis=1), dtype=np.float64)


def seed_threshold(vectors: FloatMatrix, examples: FloatMatrix) -> float:
    """The seed's default threshold: its median score plus :data:`SPREAD_Z` robust deviations.

    The robust deviation is 1.4826 times the median absolute deviation of the scores
    (:func:`seed_scores`), the standard deviation of a normal background. Rounded to two
    decimals and kept within ``[0.05, 0.95]``; :data:`FALLBACK_THRESHOLD` below
    :data:`MIN_UNITS_MEASURED` units.

    Args:
        vectors: Unit-norm vectors of every candidate unit, shape ``(n, d)`` (a seed space's).
        examples: Unit-norm vectors of the example phrases, shape ``(m, d)``, ``m >= 1``.
    """
    if vectors.shape[0] < MIN_UNITS_MEASURED:
        return FALLBACK_THRESHOLD
    scores = seed_scores(vectors, examples)
    median = float(np.median(scores))
    spread = 1.4826 * float(np.median(np.abs(scores - median)))
    return round(min(0.95, max(0.05, median + SPREAD_Z * spread)), 2)
