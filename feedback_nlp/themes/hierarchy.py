"""Two-level hierarchy: related themes grouped under parent themes.

Theme centres are clustered with average linkage on cosine distance, cut at ``parent_distance``.
Centres should come from the language-centred space (:func:`~feedback_nlp.themes.reduce.
centre_by_language`), where unrelated themes are far apart; raw sentence embeddings are all close
together and would need a much smaller threshold.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist

from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.themes.arrays import FloatMatrix, IntArray

__all__ = ["group_themes"]

_PARENT_DISTANCE = Interval("float", 0.0, 2.0, closed="right")


def group_themes(
    centroids: FloatMatrix, sizes: IntArray, *, parent_distance: float = 0.75
) -> IntArray:
    """Return the parent of each theme; parents are numbered by decreasing total size.

    Args:
        centroids: unit-norm theme centres, shape ``(k, d)``.
        sizes: units per theme, shape ``(k,)`` (orders the parents).
        parent_distance: cosine distance at which the tree of centres is cut; larger values give
            fewer, broader parents.

    Returns:
        Integer parent index per theme, shape ``(k,)``.
    """
    check_param("group_themes", "parent_distance", parent_distance, _PARENT_DISTANCE)
    k = centroids.shape[0]
    if k < 2:
        return np.zeros(k, dtype=np.int64)
    distances = np.clip(pdist(centroids.astype(np.float64), metric="cosine"), 0.0, 2.0)
    groups = fcluster(linkage(distances, method="average"), parent_distance, "distance") - 1
    totals = np.bincount(groups, weights=sizes.astype(np.float64))
    first = np.array([np.flatnonzero(groups == g)[0] for g in range(totals.size)])
    order = np.lexsort((first, -totals))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    parents: IntArray = rank[groups].astype(np.int64)
    return parents
