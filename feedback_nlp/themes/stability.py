"""Theme confidence from resampling: how consistently each theme reappears.

The units are subsampled ``n_resamples`` times (a ``fraction`` of them, without replacement, each
draw with its own seed, and at most ``max_units`` units: on a large corpus a resample is one
clustering of a sample, a fraction of the cost of the main run) and re-clustered. For every theme
and resample, the best Jaccard overlap between the theme's sampled members and any theme of the
resample is recorded; a theme's confidence is the mean over resamples (1.0: it reappears exactly
every time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from feedback_nlp.constraints import Constraint, Interval, check_params
from feedback_nlp.themes.arrays import FloatMatrix, IntArray
from feedback_nlp.themes.cluster import ThemeClusterer

__all__ = ["best_jaccard", "theme_confidence"]

_PARAMETERS: dict[str, Constraint] = {
    "n_resamples": Interval("int", 0),
    "fraction": Interval("float", 0.0, 1.0, closed="right"),
    "max_units": Interval("int", 2),
}


def best_jaccard(reference: IntArray, other: IntArray, n_themes: int) -> npt.NDArray[np.float64]:
    """For each reference theme, the best Jaccard overlap with any theme of ``other``.

    Both arrays label the same units; ``-1`` (unassigned) is never a theme.
    """
    best = np.zeros(n_themes, dtype=np.float64)
    mask = (reference >= 0) & (other >= 0)
    if not mask.any():
        return best
    m = int(other.max()) + 1
    joint = np.zeros((n_themes, m), dtype=np.int64)
    np.add.at(joint, (reference[mask], other[mask]), 1)
    ref_sizes = np.bincount(reference[reference >= 0], minlength=n_themes)[:, None]
    other_sizes = np.bincount(other[other >= 0], minlength=m)[None, :]
    union = ref_sizes + other_sizes - joint
    jaccard = np.divide(joint, union, out=np.zeros(joint.shape), where=union > 0)
    return np.asarray(jaccard.max(axis=1), dtype=np.float64)


def theme_confidence(
    embeddings: FloatMatrix,
    langs: Sequence[str],
    labels: IntArray,
    *,
    make_clusterer: Callable[[int], ThemeClusterer],
    n_resamples: int = 3,
    fraction: float = 0.8,
    max_units: int = 4000,
    seed: int = 0,
) -> npt.NDArray[np.float64]:
    """Return one confidence in ``[0, 1]`` per theme of ``labels``.

    Args:
        embeddings: the units' vectors, shape ``(n, d)``.
        langs: one language code per unit.
        labels: themes found on all units (``-1``: unassigned).
        make_clusterer: builds the clusterer of one resample from its seed.
        n_resamples: re-clusterings; ``0`` returns NaN confidences (not measured).
        fraction: share of units in each resample, in ``(0, 1]``.
        max_units: at most this many units in a resample (the clustering cost grows with the
            square of the units clustered; a resample never needs the assignment pass).
        seed: seed of the first resample; resample ``r`` uses ``seed + r``.
    """
    values = {"n_resamples": n_resamples, "fraction": fraction, "max_units": max_units}
    check_params("theme_confidence", _PARAMETERS, values)
    n_themes = int(labels.max()) + 1 if labels.size else 0
    if n_resamples == 0:
        return np.full(n_themes, np.nan)
    n = labels.size
    total = np.zeros(n_themes, dtype=np.float64)
    for r in range(n_resamples):
        rng = np.random.default_rng(seed + r)
        size = min(max(1, round(fraction * n)), max_units)
        sample = np.sort(rng.choice(n, size=size, replace=False))
        clusterer = make_clusterer(seed + r).fit(embeddings[sample], [langs[i] for i in sample])
        total += best_jaccard(labels[sample], clusterer.labels_, n_themes)
    return total / n_resamples
