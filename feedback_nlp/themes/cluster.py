"""Clustering of unit embeddings into themes, with the number of themes found automatically.

The method (chosen by measurement, see ``bench/RESULTS.md``) runs in six label-free steps:

1. **Prepare**: centre each language's vectors, rotate each language onto the largest, and smooth
   each unit with its nearest neighbours (:mod:`feedback_nlp.themes.reduce`).
2. **Count**: build an average-linkage tree on cosine distances and cut it at ``merge_distance``;
   the number of themes ``k`` is the number of groups with at least ``min_theme_size`` units.
   Average linkage with a distance threshold finds tight groups but splits them unevenly, so it is
   used only to count.
3. **Partition**: cut a Ward tree of the same vectors into ``k`` themes (Ward gives balanced,
   compact themes).
4. **Refine**: a few rounds of nearest-centroid reassignment in a space whitened by the pooled
   within-theme covariance (a cheap, label-free analogue of LDA refinement).
5. **Prune**: themes left with fewer than ``min_theme_size`` units are dissolved and their units
   move to the nearest remaining theme.
6. **Outliers**: a unit whose cosine similarity to its theme centre (centred, unsmoothed space) is
   more than ``outlier_z`` robust standard deviations (1.4826 MAD) below that theme's median goes
   to the unassigned pool, label ``-1``.

Every step is deterministic; ``seed`` only matters when there are more than ``max_units`` units,
where a seeded sample is clustered (steps 1-5, with the minimum theme size scaled to the sample)
and every other unit is assigned to the nearest centre, block by block: memory stays linear in
the number of units and the quadratic steps are bounded by ``max_units``
(``bench/bench_scale.py``: one million units).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from threadpoolctl import threadpool_limits

from feedback_nlp.constraints import Constraint, Interval, check_params
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.themes.arrays import FloatMatrix, IntArray, as_embeddings, as_langs
from feedback_nlp.themes.reduce import (
    align_languages,
    centre_by_language,
    normalise_rows,
    smooth_neighbours,
)

__all__ = [
    "MIN_THEME_SIZE",
    "ThemeClusterer",
    "auto_min_theme_size",
    "nearest_theme",
    "theme_centroids",
]

# The one bound of a theme's smallest size, read by the clusterer, a mining job's parameters and
# the API: a theme groups at least two units (a single unit is no pattern), and 100,000 units
# (far above the automatic size of a million-unit corpus) catches a typo before a long job.
MIN_THEME_SIZE = Interval("int", 2, 100_000, none_ok=True)

_WHITEN_SHRINK = 1.0  # eigenvalues + shrink * mean eigenvalue: strong shrinkage, stable for small k
_MAD_TO_SD = 1.4826
_BLOCK_ROWS = 1024


def auto_min_theme_size(n_units: int, *, share: float, floor: int) -> int:
    """Return the smallest theme size for ``n_units`` units: ``max(floor, round(share * n))``."""
    return max(floor, round(share * n_units))


def theme_centroids(vectors: FloatMatrix, labels: IntArray, n_themes: int) -> FloatMatrix:
    """Return the unit-norm mean vector of each theme ``0 .. n_themes-1`` (zero when empty)."""
    assigned = np.flatnonzero(labels >= 0)
    # One sparse product instead of np.add.at; the membership matrix has the vectors' dtype, so
    # scipy never makes a float64 copy of them (2 GB for a million 256-d units).
    membership = sparse.csr_matrix(
        (np.ones(assigned.size, dtype=vectors.dtype), (labels[assigned], assigned)),
        shape=(n_themes, vectors.shape[0]),
    )
    sums = np.asarray(membership @ vectors, dtype=np.float64)
    return normalise_rows(sums)


def nearest_theme(vectors: FloatMatrix, centres: FloatMatrix) -> IntArray:
    """Index of the most similar centre for each row, computed block by block."""
    out = np.empty(vectors.shape[0], dtype=np.int64)
    step = _BLOCK_ROWS * 16
    for start in range(0, vectors.shape[0], step):
        out[start : start + step] = (vectors[start : start + step] @ centres.T).argmax(axis=1)
    return out


def _condensed_cosine(vectors: FloatMatrix) -> npt.NDArray[np.float64]:
    """Condensed (upper-triangle) cosine distances of unit vectors, computed block by block."""
    n = vectors.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    position = 0
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(n, start + _BLOCK_ROWS)
        sims = vectors[start:stop] @ vectors.T
        for row in range(start, stop):
            tail = sims[row - start, row + 1 :]
            out[position : position + tail.size] = tail
            position += tail.size
    np.subtract(1.0, out, out=out)
    np.clip(out, 0.0, 2.0, out=out)
    return out


def _whitened_refine(vectors: FloatMatrix, labels: IntArray, iterations: int) -> IntArray:
    """Reassign each unit to the nearest theme centre in a within-theme-whitened space."""
    labels = labels.copy()
    for _ in range(iterations):
        themes = np.unique(labels[labels >= 0])
        if themes.size < 2:
            break
        centres = np.stack([vectors[labels == t].mean(axis=0) for t in themes]).astype(np.float64)
        assigned = labels >= 0
        residual = vectors[assigned] - centres[np.searchsorted(themes, labels[assigned])]
        scatter = residual.T @ residual / max(1, int(assigned.sum()))
        with threadpool_limits(limits=1):  # a d x d matrix: BLAS threads only add contention
            eigenvalues, eigenvectors = np.linalg.eigh(scatter)
        eigenvalues = np.clip(eigenvalues, 0.0, None)
        eigenvalues += _WHITEN_SHRINK * eigenvalues.mean() + 1e-12
        whitener = eigenvectors / np.sqrt(eigenvalues)
        points = vectors @ whitener
        anchors = centres @ whitener
        distances = (anchors**2).sum(axis=1)[None, :] - 2.0 * points @ anchors.T
        nearest = themes[distances.argmin(axis=1)]
        labels = np.where(assigned, nearest, -1).astype(np.int64)
    return labels


class ThemeClusterer:
    """Group unit embeddings into themes; the number of themes is found from the data.

    Args:
        merge_distance: cosine distance at which the average-linkage tree is cut to count themes.
            Larger values give fewer, broader themes.
        min_theme_size: smallest theme, 2..100,000 units (:data:`MIN_THEME_SIZE`); ``None`` uses
            ``max(5, round(min_theme_share * n))``.
        min_theme_share: share of the units a theme needs when ``min_theme_size`` is ``None``.
        n_neighbours: neighbours added to each unit before clustering (0 disables smoothing).
        align_iterations: refits of the rotation of each language pool onto the largest before
            the smoothing (0: no rotation; :func:`~feedback_nlp.themes.reduce.align_languages`).
        refine_iterations: rounds of whitened nearest-centroid refinement (0 disables it).
        outlier_z: robust z-score below a theme's median similarity that makes a unit an outlier;
            larger values give fewer outliers.
        max_units: at most this many units are clustered (memory grows with its square); the
            others are assigned to the nearest theme centre.
        seed: seed of the sample drawn when there are more than ``max_units`` units.

    Attributes:
        labels_: theme index of each unit, ``-1`` for unassigned; themes are numbered by size.
        centroids_: unit-norm mean of each theme's input embeddings, shape ``(n_themes_, d)``.
        n_themes_: number of themes found.
        min_theme_size_: the smallest theme size that was used.
    """

    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "merge_distance": Interval("float", 0.0, 2.0, closed="right"),
        "min_theme_size": MIN_THEME_SIZE,
        "min_theme_share": Interval("float", 0.0, 1.0),
        "n_neighbours": Interval("int", 0),
        "align_iterations": Interval("int", 0),
        "refine_iterations": Interval("int", 0),
        "outlier_z": Interval("float", 0.0, math.inf, closed="right"),
        "max_units": Interval("int", 2),
        "seed": Interval("int", 0),
    }

    labels_: IntArray
    centroids_: FloatMatrix
    n_themes_: int
    min_theme_size_: int

    def __init__(
        self,
        *,
        merge_distance: float = 0.5,
        min_theme_size: int | None = None,
        min_theme_share: float = 0.002,
        n_neighbours: int = 5,
        align_iterations: int = 3,
        refine_iterations: int = 2,
        outlier_z: float = 4.0,
        max_units: int = 8000,
        seed: int = 0,
    ) -> None:
        self.merge_distance = merge_distance
        self.min_theme_size = min_theme_size
        self.min_theme_share = min_theme_share
        self.n_neighbours = n_neighbours
        self.align_iterations = align_iterations
        self.refine_iterations = refine_iterations
        self.outlier_z = outlier_z
        self.max_units = max_units
        self.seed = seed

    def _validate(self) -> None:
        check_params(type(self).__name__, self.parameter_constraints, self.get_config())

    def get_config(self) -> dict[str, float | int | None]:
        """Return the parameters as a JSON-ready dict."""
        return {
            "merge_distance": self.merge_distance,
            "min_theme_size": self.min_theme_size,
            "min_theme_share": self.min_theme_share,
            "n_neighbours": self.n_neighbours,
            "align_iterations": self.align_iterations,
            "refine_iterations": self.refine_iterations,
            "outlier_z": self.outlier_z,
            "max_units": self.max_units,
            "seed": self.seed,
        }

    def with_seed(self, seed: int) -> ThemeClusterer:
        """Return an unfitted copy with the same parameters and another ``seed``."""
        return ThemeClusterer(
            merge_distance=self.merge_distance,
            min_theme_size=self.min_theme_size,
            min_theme_share=self.min_theme_share,
            n_neighbours=self.n_neighbours,
            align_iterations=self.align_iterations,
            refine_iterations=self.refine_iterations,
            outlier_z=self.outlier_z,
            max_units=self.max_units,
            seed=seed,
        )

    def fit(
        self,
        embeddings: object,
        langs: Sequence[str] | None = None,
        *,
        centred: FloatMatrix | None = None,
    ) -> Self:
        """Cluster ``embeddings`` (one row per unit) into themes.

        Args:
            embeddings: array of shape ``(n, d)``; rows are normalised here.
            langs: one language code per unit (``None``: all the same language).
            centred: ``centre_by_language(embeddings, langs)`` when the caller has computed it
                already (it saves a copy of the whole matrix on large corpora).

        Returns:
            ``self``, with ``labels_``, ``centroids_``, ``n_themes_`` and ``min_theme_size_``.
        """
        self._validate()
        owner = type(self).__name__
        vectors = as_embeddings(embeddings, owner=owner)
        codes = as_langs(langs, vectors.shape[0], owner=owner)
        n = vectors.shape[0]
        size = self.min_theme_size
        self.min_theme_size_ = (
            size
            if size is not None
            else auto_min_theme_size(n, share=self.min_theme_share, floor=5)
        )
        if centred is None:
            centred = centre_by_language(vectors, codes) if n else vectors
        elif centred.shape != vectors.shape:
            raise InvalidInputError(
                f"{owner} got centred vectors of shape {centred.shape} for embeddings of shape "
                f"{vectors.shape}. Pass centre_by_language(embeddings, langs) or leave it out."
            )
        if n < max(2, self.min_theme_size_):
            labels = np.full(n, -1 if n < self.min_theme_size_ else 0, dtype=np.int64)
            return self._finish(vectors, labels)
        sample = np.arange(n)
        if n > self.max_units:
            rng = np.random.default_rng(self.seed)
            sample = np.sort(rng.choice(n, size=self.max_units, replace=False))
        labels = np.full(n, -1, dtype=np.int64)
        # Theme sizes scale with the sample: a theme of min_theme_size_ units in the corpus has
        # about min_theme_size_ * m / n units in a sample of m.
        smallest = (
            self.min_theme_size_
            if sample.size == n
            else max(2, round(self.min_theme_size_ * sample.size / n))
        )
        labels[sample] = self._cluster(centred[sample], [codes[i] for i in sample], smallest)
        if sample.size < n:
            k = int(labels.max()) + 1
            if k:
                clustered = labels[sample]
                labels = nearest_theme(centred, theme_centroids(centred, labels, k))
                labels[sample] = clustered
        labels = self._mark_outliers(centred, labels)
        return self._finish(vectors, labels)

    def _cluster(self, centred: FloatMatrix, langs: list[str], smallest: int) -> IntArray:
        """Steps 1-5 on the (sampled) centred vectors; returns labels without outliers.

        ``smallest`` is the minimum theme size in these units (scaled down for a sample).
        """
        aligned = align_languages(centred, langs, iterations=self.align_iterations)
        prepared = smooth_neighbours(aligned, langs, n_neighbours=self.n_neighbours)
        distances = _condensed_cosine(prepared)
        counting = fcluster(linkage(distances, method="average"), self.merge_distance, "distance")
        _, sizes = np.unique(counting, return_counts=True)
        k = max(1, int((sizes >= smallest).sum()))
        np.multiply(distances, 2.0, out=distances)  # unit vectors: |a-b|^2 = 2 (1 - cos)
        np.sqrt(distances, out=distances)
        labels = fcluster(linkage(distances, method="ward"), k, "maxclust").astype(np.int64) - 1
        labels = _whitened_refine(prepared, labels, self.refine_iterations)
        return self._prune(prepared, labels, smallest)

    @staticmethod
    def _prune(prepared: FloatMatrix, labels: IntArray, smallest: int) -> IntArray:
        """Dissolve themes smaller than ``smallest`` units into their nearest neighbours."""
        for _ in range(3):
            themes, sizes = np.unique(labels, return_counts=True)
            keep = themes[sizes >= smallest]
            if keep.size == themes.size:
                break
            if keep.size == 0:
                keep = themes[np.argmax(sizes)][None]
            centres = np.stack([prepared[labels == t].mean(axis=0) for t in keep])
            moved = ~np.isin(labels, keep)
            labels[moved] = keep[(prepared[moved] @ centres.T).argmax(axis=1)]
        return labels

    def _mark_outliers(self, centred: FloatMatrix, labels: IntArray) -> IntArray:
        """Send units far below their theme's typical similarity to the unassigned pool."""
        labels = labels.copy()
        for theme in np.unique(labels[labels >= 0]):
            members = np.flatnonzero(labels == theme)
            centre = normalise_rows(centred[members].mean(axis=0, keepdims=True))[0]
            sims = centred[members] @ centre
            median = float(np.median(sims))
            spread = _MAD_TO_SD * float(np.median(np.abs(sims - median)))
            labels[members[sims < median - self.outlier_z * spread]] = -1
        return labels

    def _finish(self, vectors: FloatMatrix, labels: IntArray) -> Self:
        """Renumber themes by decreasing size (ties: first unit) and store the learned state."""
        themes, first, sizes = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
        order = np.lexsort((first, -sizes))
        mapping = np.full(int(themes.max()) + 2 if themes.size else 1, -1, dtype=np.int64)
        mapping[themes[order]] = np.arange(themes.size)
        self.labels_ = np.where(labels >= 0, mapping[labels], -1).astype(np.int64)
        self.n_themes_ = int(themes.size)
        self.centroids_ = theme_centroids(vectors, self.labels_, self.n_themes_)
        return self
