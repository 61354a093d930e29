from __future__ import annotations

import numpy as np
from synthetic_themes import sphere_blobs

from feedback_nlp.themes.cluster import ThemeClusterer
from feedback_nlp.themes.stability import best_jaccard, theme_confidence


def test_best_jaccard_matches_a_hand_worked_example() -> None:
    reference = np.array([0, 0, 0, 1, 1, -1])
    other = np.array([2, 2, 1, 1, 1, 0])
    # theme 0 = {0,1,2}: best is {0,1} (J = 2/3); theme 1 = {3,4}: best is {2,3,4} (J = 2/3).
    np.testing.assert_allclose(best_jaccard(reference, other, 2), [2 / 3, 2 / 3])


def test_stability_is_high_for_separated_blobs() -> None:
    vectors, _, _ = sphere_blobs(n_blobs=4, per_blob=40, seed=0)
    labels = ThemeClusterer().fit(vectors).labels_
    confidence = theme_confidence(
        vectors, ["en"] * len(vectors), labels, make_clusterer=lambda s: ThemeClusterer(seed=s)
    )
    assert confidence.shape == (4,)
    assert confidence.min() > 0.9


def test_stability_without_resamples_is_not_measured() -> None:
    vectors, _, _ = sphere_blobs(n_blobs=2, seed=1)
    labels = ThemeClusterer().fit(vectors).labels_
    confidence = theme_confidence(
        vectors, ["en"] * len(vectors), labels, make_clusterer=ThemeClusterer, n_resamples=0
    )
    assert np.isnan(confidence).all()
