from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from synthetic_themes import sphere_blobs

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.themes.cluster import ThemeClusterer, auto_min_theme_size


@pytest.mark.parametrize("n_blobs", [3, 5, 8])
def test_clusterer_finds_the_number_of_blobs(n_blobs: int) -> None:
    vectors, truth, _ = sphere_blobs(n_blobs=n_blobs, seed=n_blobs)
    clusterer = ThemeClusterer().fit(vectors)
    assert clusterer.n_themes_ == n_blobs
    assigned = clusterer.labels_ >= 0
    assert adjusted_rand_score(truth[assigned], clusterer.labels_[assigned]) > 0.99


def test_clusterer_same_seed_gives_identical_labels() -> None:
    vectors, _, _ = sphere_blobs(seed=1)
    first = ThemeClusterer(seed=3).fit(vectors).labels_
    second = ThemeClusterer(seed=3).fit(vectors.copy()).labels_
    np.testing.assert_array_equal(first, second)


def test_clusterer_is_seed_independent_below_max_units() -> None:
    vectors, _, _ = sphere_blobs(seed=2)
    np.testing.assert_array_equal(
        ThemeClusterer(seed=0).fit(vectors).labels_, ThemeClusterer(seed=7).fit(vectors).labels_
    )


def test_clusterer_sends_far_units_to_unassigned() -> None:
    vectors, _, _ = sphere_blobs(n_blobs=4, per_blob=50, dim=64, seed=3)
    rng = np.random.default_rng(0)
    strays = rng.normal(size=(4, 64)).astype(np.float32)
    strays /= np.linalg.norm(strays, axis=1, keepdims=True)
    clusterer = ThemeClusterer().fit(np.vstack([vectors, strays]))
    assert clusterer.n_themes_ == 4
    assert np.all(clusterer.labels_[-4:] == -1)
    assert (clusterer.labels_ == -1).mean() <= 0.05


def test_clusterer_numbers_themes_by_size_and_returns_unit_centroids() -> None:
    big, _, _ = sphere_blobs(n_blobs=1, per_blob=60, seed=4)
    small, _, _ = sphere_blobs(n_blobs=1, per_blob=20, seed=5)
    clusterer = ThemeClusterer().fit(np.vstack([small, big]))
    sizes = np.bincount(clusterer.labels_[clusterer.labels_ >= 0])
    assert list(sizes) == sorted(sizes, reverse=True)
    np.testing.assert_allclose(np.linalg.norm(clusterer.centroids_, axis=1), 1.0, atol=1e-5)


def test_clusterer_respects_min_theme_size() -> None:
    vectors, _, _ = sphere_blobs(n_blobs=3, per_blob=30, seed=6)
    few, _, _ = sphere_blobs(n_blobs=1, per_blob=4, seed=7)
    clusterer = ThemeClusterer(min_theme_size=10).fit(np.vstack([vectors, few]))
    sizes = np.bincount(clusterer.labels_[clusterer.labels_ >= 0])
    assert sizes.min() >= 10
    assert clusterer.n_themes_ == 3


def test_clusterer_samples_above_max_units_and_assigns_the_rest() -> None:
    vectors, truth, _ = sphere_blobs(n_blobs=4, per_blob=60, seed=8)
    clusterer = ThemeClusterer(max_units=120, seed=1).fit(vectors)
    assert clusterer.labels_.shape == truth.shape
    assigned = clusterer.labels_ >= 0
    assert adjusted_rand_score(truth[assigned], clusterer.labels_[assigned]) > 0.99


def test_clusterer_handles_tiny_inputs() -> None:
    assert ThemeClusterer().fit(np.zeros((0, 8))).n_themes_ == 0
    assert ThemeClusterer(min_theme_size=2).fit(np.ones((1, 8))).labels_.tolist() == [-1]
    two = ThemeClusterer(min_theme_size=2).fit(np.ones((2, 8)))
    assert two.labels_.tolist() == [0, 0]
    assert ThemeClusterer().fit(np.eye(3, 8)).labels_.tolist() == [-1, -1, -1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"merge_distance": 0.0}, "'merge_distance' parameter of ThemeClusterer"),
        ({"min_theme_size": 1}, "must be an int in the range [2, 100000]. Got 1 instead"),
        ({"min_theme_size": 100_001}, "must be an int in the range [2, 100000]. Got 100001"),
        ({"min_theme_size": 2.0}, "'min_theme_size' parameter of ThemeClusterer must be an int"),
        ({"outlier_z": -1.0}, "'outlier_z'"),
        ({"seed": -1}, "'seed'"),
    ],
)
def test_clusterer_rejects_bad_parameters(params: dict[str, float], message: str) -> None:
    vectors, _, _ = sphere_blobs(seed=9)
    with pytest.raises(InvalidInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ThemeClusterer(**params).fit(vectors)  # type: ignore[arg-type]


def test_clusterer_rejects_nan_embeddings() -> None:
    vectors = np.ones((10, 4))
    vectors[3, 1] = np.nan
    with pytest.raises(InvalidInputError, match="NaN"):
        ThemeClusterer().fit(vectors)


def test_auto_min_theme_size_scales_with_units() -> None:
    assert auto_min_theme_size(100, share=0.002, floor=5) == 5
    assert auto_min_theme_size(10_000, share=0.002, floor=5) == 20
