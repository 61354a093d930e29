"""Topical vs general-sentiment themes, decided from the corpus itself.

Openings and closings ("Not happy at all.", "Thank you!", "I'm thinking about cancelling.")
carry sentiment or courtesy but name no topic. They recur in every kind of feedback, so they
form tight, large themes that would otherwise top every ranking. Nothing here lists phrases;
the decision is measured in two steps:

1. **Satellite themes.** A unit that is a whole item by itself (a one-unit item) says what the
   item is about. Satellite units accompany such content and rarely stand alone. A theme is a
   *seed* satellite when its share of whole-item units is far below the corpus rate: a one-sided
   binomial test, ``P(X <= solo | size, rate) < seed_p_value``.
2. **A corpus-specific topicality model.** A logistic regression on the language-centred vectors
   learns seed-satellite units (positives) against whole-item units (negatives) of the same
   corpus. A theme is *general* when its members' mean predicted probability reaches
   ``threshold``; this also catches satellite themes too small for the test.

Corpora with one unit per item (tickets split into nothing, or an evaluation file) have no
satellites: every theme stays topical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.stats import binom
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from feedback_nlp.themes.arrays import FloatMatrix, IntArray

__all__ = ["general_themes"]

_MIN_SEED_UNITS = 20
_MIN_SOLO_UNITS = 20


def _solo_units(items: Sequence[int]) -> npt.NDArray[np.bool_]:
    """True for each unit that is the only unit of its item."""
    codes = np.asarray(items, dtype=np.int64)
    _, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse] == 1)


def general_themes(
    centred: FloatMatrix,
    labels: IntArray,
    n_themes: int,
    items: Sequence[int] | None,
    *,
    seed_p_value: float = 0.01,
    threshold: float = 0.3,
) -> npt.NDArray[np.bool_]:
    """Return, for each theme ``0 .. n_themes-1``, whether it belongs to the general pool.

    Args:
        centred: language-centred unit vectors, shape ``(n, d)``.
        labels: theme of each unit (``-1``: unassigned).
        n_themes: number of themes.
        items: the item each unit comes from (``None``: one item per unit, nothing is general).
        seed_p_value: significance of the satellite test that picks the training themes.
        threshold: mean predicted probability above which a theme is general.
    """
    general = np.zeros(n_themes, dtype=bool)
    if items is None or n_themes < 2:
        return general
    solo = _solo_units(items)
    assigned = labels >= 0
    rate = float(solo[assigned].mean()) if assigned.any() else 0.0
    if rate <= 0.0 or rate >= 1.0:
        return general
    sizes = np.bincount(labels[assigned], minlength=n_themes)
    solos = np.bincount(labels[assigned & solo], minlength=n_themes)
    seeds = np.flatnonzero(binom.cdf(solos, sizes, rate) < seed_p_value)
    positive = np.isin(labels, seeds) & ~solo
    negative = solo & ~np.isin(labels, seeds)
    if positive.sum() < _MIN_SEED_UNITS or negative.sum() < _MIN_SOLO_UNITS:
        return general
    features = np.vstack([centred[positive], centred[negative]]).astype(np.float64)
    target = np.r_[np.ones(int(positive.sum())), np.zeros(int(negative.sum()))]
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
        model.fit(features, target)
        probability = model.predict_proba(centred[assigned].astype(np.float64))[:, 1]
    totals = np.bincount(labels[assigned], weights=probability, minlength=n_themes)
    mean = totals / np.maximum(1, sizes)
    general[:] = (mean >= threshold) & (sizes > 0)
    return general
