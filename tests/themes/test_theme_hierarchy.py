from __future__ import annotations

import numpy as np

from feedback_nlp.themes.hierarchy import group_themes


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_hierarchy_groups_near_centroids_under_one_parent() -> None:
    rng = np.random.default_rng(0)
    a, b = np.eye(16)[0], np.eye(16)[1]
    centroids = _unit(
        np.stack(
            [a + 0.2 * rng.normal(size=16) / 4 for _ in range(3)]
            + [b + 0.2 * rng.normal(size=16) / 4 for _ in range(2)]
        )
    )
    parents = group_themes(centroids, np.array([10, 9, 8, 50, 40]), parent_distance=0.5)
    assert len(set(parents[:3].tolist())) == 1
    assert len(set(parents[3:].tolist())) == 1
    assert parents[0] != parents[3]
    assert parents[3] == 0  # the larger group (90 units) comes first


def test_hierarchy_keeps_unrelated_themes_apart() -> None:
    centroids = np.eye(4, dtype=np.float32)
    parents = group_themes(centroids, np.array([4, 3, 2, 1]), parent_distance=0.5)
    assert parents.tolist() == [0, 1, 2, 3]


def test_hierarchy_of_one_theme_has_one_parent() -> None:
    assert group_themes(np.eye(1, 4, dtype=np.float32), np.array([3])).tolist() == [0]
