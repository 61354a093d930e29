from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from synthetic_themes import sphere_blobs, topic_texts

from feedback_nlp.errors import NotFoundError
from feedback_nlp.themes import ThemeMiner, ThemeRegistry


def _registered(
    seed: int = 0,
) -> tuple[ThemeRegistry, np.ndarray, np.ndarray, list[str], list[str]]:
    vectors, truth, _ = sphere_blobs(n_blobs=4, per_blob=30, seed=seed)
    langs = ["en"] * len(vectors)
    texts = topic_texts(truth, langs)
    keys = [f"u{i}" for i in range(len(vectors))]
    result = ThemeMiner(n_resamples=0).fit(vectors, texts, langs)
    registry = ThemeRegistry()
    ids = registry.update(result, vectors, keys)
    assert ids == [f"t_{i:06d}" for i in range(1, 5)]
    return registry, vectors, truth, texts, keys


def _ids_by_blob(ids: list[str], assignments: np.ndarray, truth: np.ndarray) -> dict[int, str]:
    out = {}
    for blob in np.unique(truth):
        themes = assignments[(truth == blob) & (assignments >= 0)]
        out[int(blob)] = ids[int(np.bincount(themes).argmax())]
    return out


def test_registry_keeps_ids_under_permutation_and_perturbation() -> None:
    registry, vectors, truth, texts, keys = _registered()
    first = ThemeMiner(n_resamples=0).fit(vectors, texts)
    before = _ids_by_blob([t.id for t in registry.active_themes], first.assignments, truth)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(vectors))
    moved = vectors[order] + 0.02 * rng.normal(size=vectors.shape).astype(np.float32)
    second = ThemeMiner(n_resamples=0).fit(moved, [texts[i] for i in order])
    ids = registry.update(second, moved, [keys[i] for i in order])
    after = _ids_by_blob(ids, second.assignments, truth[order])
    assert after == before
    assert registry.next_id_ == 5


def test_registry_gives_new_themes_new_ids_and_retires_missing_ones() -> None:
    registry, vectors, truth, texts, keys = _registered()
    extra, _, _ = sphere_blobs(n_blobs=1, per_blob=30, seed=99)
    keep = truth != 3
    both = np.vstack([vectors[keep], extra])
    result = ThemeMiner(n_resamples=0).fit(
        both, [texts[i] for i in np.flatnonzero(keep)] + ["x"] * 30
    )
    kept_keys = [keys[i] for i in np.flatnonzero(keep)]
    ids = registry.update(result, both, kept_keys + [f"n{i}" for i in range(30)])
    assert "t_000005" in ids
    assert len(registry.active_themes) == 4
    assert sum(not t.active for t in registry.themes_) == 1


def test_registry_assigns_new_units_without_re_mining() -> None:
    registry, _, _, _, _ = _registered()
    near, truth, _ = sphere_blobs(n_blobs=4, per_blob=25, seed=0)  # same centres, new noise
    assigned = registry.assign(near)
    assert assigned.count(None) <= 10  # the acceptance bar is each theme's 5% quantile
    for blob in range(4):
        ids = {assigned[i] for i in np.flatnonzero(truth == blob)} - {None}
        assert len(ids) == 1
    opposite = -registry.active_themes[0].centroid[None, :]
    assert registry.assign(opposite) == [None]


def test_registry_lists_emerging_themes_from_the_unassigned_pool() -> None:
    registry, _, _, _, _ = _registered()
    fresh, _, _ = sphere_blobs(n_blobs=1, per_blob=15, dim=32, seed=42)
    assert registry.assign(fresh).count(None) >= 12
    registry.add_unassigned(fresh, [f"e{i}" for i in range(15)], ["en"] * 15)
    emerging = registry.emerging(min_members=8)
    assert len(emerging) == 1
    assert len(emerging[0].members) >= 8
    assert registry.emerging(min_members=40) == []


def test_registry_round_trips_through_save_and_load(tmp_path: Path) -> None:
    registry, vectors, _, _, _ = _registered()
    registry.add_unassigned(vectors[:3], ["p0", "p1", "p2"], ["ar", "he", "fa"])
    registry.save(tmp_path)
    assert json.loads((tmp_path / "registry.json").read_text(encoding="utf-8"))["next_id"] == 5
    loaded = ThemeRegistry.load(tmp_path)
    assert [t.id for t in loaded.themes_] == [t.id for t in registry.themes_]
    assert loaded.themes_ == registry.themes_
    for a, b in zip(loaded.themes_, registry.themes_, strict=True):
        np.testing.assert_array_equal(a.centroid, b.centroid)
    assert loaded.pool_langs_[-3:] == ["ar", "he", "fa"]
    assert loaded.assign(vectors) == registry.assign(vectors)
    assert loaded.next_id_ == registry.next_id_


def test_registry_load_of_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"registry\.json"):
        ThemeRegistry.load(tmp_path / "nothing")


def test_registry_keeps_ids_by_member_overlap_after_an_embedder_change() -> None:
    registry, vectors, truth, texts, keys = _registered()
    registry.space_ = "model-a"
    first = ThemeMiner(n_resamples=0).fit(vectors, texts)
    before = _ids_by_blob([t.id for t in registry.active_themes], first.assignments, truth)
    # The same units (same blob per unit) embedded by another model: 16 dimensions, other space.
    other, other_truth, _ = sphere_blobs(n_blobs=4, per_blob=30, seed=5, dim=16)
    assert (other_truth == truth).all()
    result = ThemeMiner(n_resamples=0).fit(other, texts)
    ids = registry.update(result, other, keys, space="model-b")
    assert _ids_by_blob(ids, result.assignments, truth) == before
    assert registry.space_ == "model-b"
    assert {t.centroid.shape for t in registry.themes_} == {(16,)}


def test_registry_never_compares_centroids_across_embedders() -> None:
    registry, vectors, _, texts, _ = _registered()
    registry.space_ = "model-a"
    result = ThemeMiner(n_resamples=0).fit(vectors, texts)
    fresh_keys = [f"other{i}" for i in range(len(vectors))]
    # Identical vectors would match by centroid in the same space; here no member is shared.
    ids = registry.update(result, vectors, fresh_keys, space="model-b")
    assert ids == [f"t_{i:06d}" for i in range(5, 9)]
    same_space = registry.update(result, vectors, fresh_keys, space="model-b")
    assert same_space == ids
