from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm
from synthetic_themes import sphere_blobs

from feedback_nlp.themes.reduce import (
    align_languages,
    centre_by_language,
    language_pools,
    smooth_neighbours,
)


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


def test_align_languages_undoes_a_rotation_between_languages() -> None:
    english, labels, _ = sphere_blobs(n_blobs=8, per_blob=30, dim=16, noise=0.3, seed=5)
    # a partial rotation, as between the languages of a multilingual encoder after centring
    turn = np.random.default_rng(6).normal(size=(16, 16)) * 0.2
    rotation = expm(turn - turn.T)  # a proper rotation, trace / 16 = 0.51
    arabic = (english @ rotation).astype(np.float32)  # the same topics, a turned basis
    vectors = np.concatenate([english, arabic])
    langs = ["en"] * len(english) + ["ar"] * len(arabic)

    def same_topic_margin(matrix: np.ndarray) -> float:
        sims = matrix[: len(english)] @ matrix[len(english) :].T
        same = labels[:, None] == labels[None, :]
        return float(sims[same].mean() - sims[~same].mean())

    aligned = align_languages(vectors, langs)
    np.testing.assert_allclose(np.linalg.norm(aligned, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(aligned[: len(english)], english)  # the largest pool stays
    before, after, ideal = (
        same_topic_margin(m) for m in (vectors, aligned, np.concatenate([english, english]))
    )
    assert before < 0.6 * ideal
    assert after == pytest.approx(ideal, abs=0.01)
    # a rotation keeps every within-language similarity
    part = aligned[len(english) :]
    np.testing.assert_allclose(part @ part.T, arabic @ arabic.T, atol=1e-4)
    np.testing.assert_array_equal(align_languages(vectors, langs, iterations=0), vectors)
