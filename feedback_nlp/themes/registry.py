"""Theme registry: stable theme ids across re-mines, assignment of new units, emerging themes.

* **Stable ids.** After each mining run, new themes are matched to the registered ones with the
  Hungarian method (:func:`scipy.optimize.linear_sum_assignment`) on a score mixing centroid cosine
  similarity and member overlap (Jaccard of unit keys). A pair is accepted when the new centroid is
  at least as close to the old one as the old theme's typical (median) member, or when the members
  overlap by ``match_overlap``. Matched themes keep their id; unmatched new themes get the next id
  from the registry's counter (``t_000123``); unmatched old themes become inactive.
* **Assignment without re-mining.** A new unit joins the nearest active theme when its similarity
  reaches that theme's ``accept_similarity`` (the ``accept_quantile`` of its members'
  similarities at registration time), and otherwise stays unassigned.
* **Emerging themes.** Unassigned units are kept in a pool; :meth:`ThemeRegistry.emerging`
  clusters the pool and returns the groups with at least ``min_members`` units.

State saves as ``registry.json`` (ids, counter, labels, members, parameters) and ``registry.npz``
(centroids, pool vectors): no pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy.optimize import linear_sum_assignment

from feedback_nlp.constraints import Constraint, Interval, check_param, check_params
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.themes.arrays import FloatMatrix, as_embeddings, as_langs, check_same_length
from feedback_nlp.themes.cluster import MIN_THEME_SIZE, ThemeClusterer
from feedback_nlp.themes.miner import MiningResult
from feedback_nlp.themes.reduce import normalise_rows

__all__ = ["EmergingTheme", "RegisteredTheme", "ThemeRegistry"]

FORMAT_VERSION = 1
# An emerging group is a theme of the pool: the smallest theme's bound, without "automatic".
_MIN_MEMBERS = replace(MIN_THEME_SIZE, none_ok=False)


@dataclass(frozen=True, slots=True)
class RegisteredTheme:
    """A theme as the registry knows it."""

    id: str
    label: dict[str, str]
    size: int
    accept_similarity: float
    typical_similarity: float
    active: bool
    members: frozenset[str] = field(repr=False)
    centroid: FloatMatrix = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class EmergingTheme:
    """A group of unassigned units that may become a theme."""

    members: tuple[str, ...]
    centroid: FloatMatrix = field(repr=False, compare=False)


class ThemeRegistry:
    """Keeps theme ids stable across mining runs and assigns new units to known themes.

    Args:
        match_overlap: member Jaccard overlap that alone is enough to match two themes.
        overlap_weight: weight of the overlap (vs. centroid similarity) in the matching score.
        accept_quantile: quantile of member similarities used as a theme's acceptance bar.
        id_prefix: prefix of theme ids.
    """

    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "match_overlap": Interval("float", 0.0, 1.0, closed="right"),
        "overlap_weight": Interval("float", 0.0, 1.0),
        "accept_quantile": Interval("float", 0.0, 1.0),
    }

    def __init__(
        self,
        *,
        match_overlap: float = 0.5,
        overlap_weight: float = 0.5,
        accept_quantile: float = 0.05,
        id_prefix: str = "t_",
    ) -> None:
        self.match_overlap = match_overlap
        self.overlap_weight = overlap_weight
        self.accept_quantile = accept_quantile
        self.id_prefix = id_prefix
        self.themes_: list[RegisteredTheme] = []
        self.next_id_ = 1
        self.pool_vectors_: FloatMatrix = np.empty((0, 0), dtype=np.float32)
        self.pool_keys_: list[str] = []
        self.pool_langs_: list[str] = []
        self.space_: str | None = None

    def get_config(self) -> dict[str, Any]:
        """Return the parameters as a JSON-ready dict."""
        return {
            "match_overlap": self.match_overlap,
            "overlap_weight": self.overlap_weight,
            "accept_quantile": self.accept_quantile,
            "id_prefix": self.id_prefix,
        }

    def _validate(self) -> None:
        check_params(type(self).__name__, self.parameter_constraints, self.get_config())

    def _new_id(self) -> str:
        theme_id = f"{self.id_prefix}{self.next_id_:06d}"
        self.next_id_ += 1
        return theme_id

    @property
    def active_themes(self) -> list[RegisteredTheme]:
        """Themes found by the latest mining run."""
        return [theme for theme in self.themes_ if theme.active]

    def update(
        self,
        result: MiningResult,
        embeddings: object,
        unit_keys: Sequence[str],
        langs: Sequence[str] | None = None,
        *,
        space: str | None = None,
    ) -> list[str]:
        """Register the themes of a mining run; returns the stable id of each theme index.

        Args:
            result: the mining run.
            embeddings: the units' vectors, as given to the miner.
            unit_keys: a stable key per unit (e.g. feedback id + unit number).
            langs: one language code per unit (kept for the unassigned pool).
            space: the embedder behind ``embeddings``. When it differs from the previous run's
                (or the dimensions differ), centroids cannot be compared and themes are matched
                on member overlap alone.
        """
        self._validate()
        vectors = as_embeddings(embeddings, owner="ThemeRegistry.update")
        check_same_length("ThemeRegistry.update", "unit keys", unit_keys, vectors.shape[0])
        if result.assignments.size != vectors.shape[0]:
            raise InvalidInputError(
                f"ThemeRegistry.update got {vectors.shape[0]} embeddings for a mining result of "
                f"{result.assignments.size} units. Pass the embeddings the miner was fitted on."
            )
        keys = [str(key) for key in unit_keys]
        codes = as_langs(langs, len(keys), owner="ThemeRegistry.update")
        fresh = [self._describe(result, t, vectors, keys) for t in range(len(result.themes))]
        old = self.themes_
        moved = space is not None and self.space_ not in (None, space)
        if moved or any(theme.centroid.shape != vectors.shape[1:] for theme in old):
            # Centroids of another embedder cannot be compared: they are cleared (zero), so the
            # old themes can match by member overlap only, now and in later runs.
            blank = np.zeros(vectors.shape[1], dtype=np.float32)
            old = [replace(theme, centroid=blank) for theme in old]
        matched = self._match(old, fresh)
        self.space_ = space if space is not None else self.space_
        ids = [matched.get(t) or self._new_id() for t in range(len(fresh))]
        renamed = [replace(theme, id=theme_id) for theme, theme_id in zip(fresh, ids, strict=True)]
        kept = [replace(theme, active=False) for theme in old if theme.id not in set(ids)]
        self.themes_ = renamed + kept
        assigned = result.assignments >= 0
        self.pool_vectors_ = vectors[~assigned]
        self.pool_keys_ = [keys[i] for i in np.flatnonzero(~assigned)]
        self.pool_langs_ = [codes[i] for i in np.flatnonzero(~assigned)]
        return ids

    def _describe(
        self, result: MiningResult, index: int, vectors: FloatMatrix, keys: list[str]
    ) -> RegisteredTheme:
        members = np.flatnonzero(result.assignments == index)
        centroid = normalise_rows(vectors[members].mean(axis=0, keepdims=True))[0]
        sims = vectors[members] @ centroid
        return RegisteredTheme(
            id="",
            label=dict(result.themes[index].label),
            size=int(members.size),
            accept_similarity=float(np.quantile(sims, self.accept_quantile)),
            typical_similarity=float(np.median(sims)),
            active=True,
            members=frozenset(keys[i] for i in members),
            centroid=centroid,
        )

    def _match(self, old: list[RegisteredTheme], fresh: list[RegisteredTheme]) -> dict[int, str]:
        """Hungarian matching of fresh themes to registered ones; returns ``index -> id``.

        An old theme with a cleared (zero) centroid can only match by member overlap.
        """
        if not old or not fresh:
            return {}
        cosine = np.stack([t.centroid for t in old]) @ np.stack([t.centroid for t in fresh]).T
        overlap = np.array(
            [
                [len(a.members & b.members) / max(1, len(a.members | b.members)) for b in fresh]
                for a in old
            ]
        )
        score = (1.0 - self.overlap_weight) * cosine + self.overlap_weight * overlap
        rows, cols = linear_sum_assignment(-score)
        found: dict[int, str] = {}
        for r, c in zip(rows, cols, strict=True):
            close = bool(old[r].centroid.any()) and cosine[r, c] >= old[r].typical_similarity
            if close or overlap[r, c] >= self.match_overlap:
                found[int(c)] = old[r].id
        return found

    def assign(self, embeddings: object) -> list[str | None]:
        """Assign new units to the nearest active theme, or ``None`` (unassigned)."""
        vectors = as_embeddings(embeddings, owner="ThemeRegistry.assign")
        active = self.active_themes
        if not active or vectors.shape[0] == 0:
            return [None] * vectors.shape[0]
        sims = vectors @ np.stack([t.centroid for t in active]).T
        nearest = sims.argmax(axis=1)
        bars = np.array([t.accept_similarity for t in active])
        ok = sims[np.arange(len(nearest)), nearest] >= bars[nearest]
        return [active[j].id if good else None for j, good in zip(nearest, ok, strict=True)]

    def add_unassigned(
        self, embeddings: object, unit_keys: Sequence[str], langs: Sequence[str] | None = None
    ) -> None:
        """Add units that stayed unassigned to the pool that :meth:`emerging` clusters."""
        vectors = as_embeddings(embeddings, owner="ThemeRegistry.add_unassigned")
        check_same_length("ThemeRegistry.add_unassigned", "unit keys", unit_keys, len(vectors))
        codes = as_langs(langs, vectors.shape[0], owner="ThemeRegistry.add_unassigned")
        if self.pool_vectors_.size == 0:
            self.pool_vectors_ = vectors
        else:
            self.pool_vectors_ = np.vstack([self.pool_vectors_, vectors])
        self.pool_keys_ += [str(key) for key in unit_keys]
        self.pool_langs_ += codes

    def emerging(self, *, min_members: int = 10, seed: int = 0) -> list[EmergingTheme]:
        """Cluster the unassigned pool; return the groups with at least ``min_members`` units."""
        check_param("ThemeRegistry.emerging", "min_members", min_members, _MIN_MEMBERS)
        if len(self.pool_keys_) < min_members:
            return []
        clusterer = ThemeClusterer(min_theme_size=min_members, seed=seed)
        clusterer.fit(self.pool_vectors_, self.pool_langs_)
        found = []
        for t in range(clusterer.n_themes_):
            members = np.flatnonzero(clusterer.labels_ == t)
            if members.size >= min_members:
                keys = tuple(self.pool_keys_[i] for i in members)
                found.append(EmergingTheme(members=keys, centroid=clusterer.centroids_[t]))
        return found

    def get(self, theme_id: str) -> RegisteredTheme:
        """Return the theme registered as ``theme_id``."""
        for theme in self.themes_:
            if theme.id == theme_id:
                return theme
        raise NotFoundError(f"No theme is registered as '{theme_id}'. List them with themes_.")

    def save(self, directory: Path) -> None:
        """Write ``registry.json`` and ``registry.npz`` into ``directory`` (created if needed)."""
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "format_version": FORMAT_VERSION,
            "config": self.get_config(),
            "next_id": self.next_id_,
            "themes": [
                {
                    "id": t.id,
                    "label": t.label,
                    "size": t.size,
                    "accept_similarity": t.accept_similarity,
                    "typical_similarity": t.typical_similarity,
                    "active": t.active,
                    "members": sorted(t.members),
                }
                for t in self.themes_
            ],
            "pool_keys": self.pool_keys_,
            "pool_langs": self.pool_langs_,
        }
        (directory / "registry.json").write_text(
            json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        dim = self.themes_[0].centroid.size if self.themes_ else self.pool_vectors_.shape[-1]
        centroids = np.stack([t.centroid for t in self.themes_]) if self.themes_ else None
        np.savez(
            directory / "registry.npz",
            centroids=centroids if centroids is not None else np.empty((0, dim), np.float32),
            pool=self.pool_vectors_,
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        """Read a registry written by :meth:`save`."""
        path = directory / "registry.json"
        if not path.is_file():
            raise NotFoundError(f"No theme registry at {directory}: '{path.name}' is missing.")
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format_version") != FORMAT_VERSION:
            raise InvalidInputError(
                f"The theme registry at {directory} has format version "
                f"{state.get('format_version')!r}; this version reads {FORMAT_VERSION}."
            )
        with np.load(directory / "registry.npz", allow_pickle=False) as arrays:
            centroids = arrays["centroids"].astype(np.float32)
            pool = arrays["pool"].astype(np.float32)
        registry = cls(**state["config"])
        registry.next_id_ = int(state["next_id"])
        registry.themes_ = [
            RegisteredTheme(
                id=t["id"],
                label=dict(t["label"]),
                size=int(t["size"]),
                accept_similarity=float(t["accept_similarity"]),
                typical_similarity=float(t["typical_similarity"]),
                active=bool(t["active"]),
                members=frozenset(t["members"]),
                centroid=centroids[i],
            )
            for i, t in enumerate(state["themes"])
        ]
        registry.pool_vectors_ = pool
        registry.pool_keys_ = list(state["pool_keys"])
        registry.pool_langs_ = list(state["pool_langs"])
        return registry
