from __future__ import annotations

import numpy as np
from synthetic_themes import sphere_blobs

from feedback_nlp.themes.reduce import centre_by_language, language_pools, smooth_neighbours


def test_language_pools_fold_small_languages_into_the_largest() -> None:
    langs = ["en"] * 50 + ["ar"] * 40 + ["he"] * 2
    pools = language_pools(langs)
    assert len(pools) == 2
    assert sorted(np.concatenate(pools).tolist()) == list(range(92))
    assert 90 in pools[0]
    assert 91 in pools[0]


def test_centre_by_language_removes_a_language_offset() -> None:
    vectors, labels, _ = sphere_blobs(n_blobs=4, per_blob=30, dim=32, seed=0)
    rng = np.random.default_rng(1)
    offset = rng.normal(size=32).astype(np.float32) * 3 / np.sqrt(32)
    shifted = vectors.copy()
    shifted[1::2] += offset  # every other unit is "Arabic"
    shifted /= np.linalg.norm(shifted, axis=1, keepdims=True)
    langs = ["en" if i % 2 == 0 else "ar" for i in range(len(vectors))]

    def cross_lingual_same_topic(matrix: np.ndarray) -> float:
        sims = matrix @ matrix.T
        en, ar = np.arange(0, len(matrix), 2), np.arange(1, len(matrix), 2)
        same = labels[en][:, None] == labels[ar][None, :]
        return float(sims[np.ix_(en, ar)][same].mean() - sims[np.ix_(en, ar)][~same].mean())

    centred = centre_by_language(shifted, langs)
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)
    assert cross_lingual_same_topic(centred) > cross_lingual_same_topic(shifted)


def test_smooth_neighbours_keeps_shape_and_unit_norm() -> None:
    vectors, _, _ = sphere_blobs(seed=2)
    smoothed = smooth_neighbours(vectors, ["en"] * len(vectors), n_neighbours=5)
    assert smoothed.shape == vectors.shape
    assert smoothed.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(smoothed, axis=1), 1.0, atol=1e-5)


def test_smooth_neighbours_pulls_units_towards_their_blob_centre() -> None:
    vectors, labels, centres = sphere_blobs(noise=0.8, seed=3)
    smoothed = smooth_neighbours(vectors, ["en"] * len(vectors), n_neighbours=5)
    before = (vectors * centres[labels]).sum(axis=1).mean()
    after = (smoothed * centres[labels]).sum(axis=1).mean()
    assert after > before


def test_smooth_neighbours_with_zero_neighbours_is_a_copy() -> None:
    vectors, _, _ = sphere_blobs(seed=4)
    np.testing.assert_array_equal(smooth_neighbours(vectors, ["en"] * 200, n_neighbours=0), vectors)
