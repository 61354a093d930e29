"""Where the edits get vectors: units' stored embeddings and the seeds' example phrases.

Splits and seeds compare units by their embeddings, in the space of the workspace's embedder.
A replay asks a :class:`UnitVectors` for the vectors of some units; inside a write transaction it
must never embed (embedding writes the embeddings cache, a second write), so the vectors are
fetched before and held in memory:

* a mining job holds every unit's vector already (:class:`KeyedVectors`);
* the API and the CLI use :class:`EmbeddedVectors`: the units' content texts through a
  :class:`~feedback_nlp.embed.cache.CachedEmbedder` over the workspace's cache (the vectors the
  mining job stored, so nothing is embedded again), kept in memory. Asked inside the
  transaction for a unit it does not hold, it raises :class:`MissingVectors`; the caller leaves
  the transaction, :meth:`EmbeddedVectors.fetch` es them and tries again.

Example phrases are embedded by the model itself (no cache, no database write), through their
content text like units (:func:`~feedback_nlp.themes.content.content_texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.embed.cache import CachedEmbedder, VectorCache
from feedback_nlp.themes.content import content_texts

__all__ = [
    "EmbeddedVectors",
    "KeyedVectors",
    "LayeredVectors",
    "MissingVectors",
    "TextEmbedder",
    "UnitVectors",
    "phrase_embedder",
]

TextEmbedder = Callable[[Sequence[str]], FloatMatrix]
"""Embeds phrases (a seed's examples) in the units' space."""


class MissingVectors(Exception):
    """Vectors a replay needs are not held yet: fetch them outside the transaction, retry."""

    def __init__(self, keys: Sequence[str], texts: Sequence[str]) -> None:
        super().__init__(f"{len(keys)} unit vectors are not loaded yet")
        self.keys = list(keys)
        self.texts = list(texts)


class UnitVectors(Protocol):
    """The vectors of units, by key (their texts, for a source that embeds)."""

    def __call__(self, keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
        """One unit-norm row per key; raises :class:`MissingVectors` for units it lacks."""
        ...


class KeyedVectors:
    """Vectors held in memory, one row per key (a mining job's units).

    Args:
        keys: One key per row of ``vectors``.
        vectors: Unit-norm rows.
    """

    def __init__(self, keys: Sequence[str], vectors: FloatMatrix) -> None:
        self._rows = {key: i for i, key in enumerate(keys)}
        self._vectors = np.asarray(vectors, dtype=np.float32)

    def __call__(self, keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
        """The rows of ``keys``; :class:`MissingVectors` names the keys it does not hold."""
        missing = [
            (key, text) for key, text in zip(keys, texts, strict=True) if key not in self._rows
        ]
        if missing:
            raise MissingVectors([k for k, _ in missing], [t for _, t in missing])
        rows = [self._rows[key] for key in keys]
        return self._vectors[rows] if rows else np.empty((0, self._vectors.shape[1]), np.float32)

    def holds(self, key: str) -> bool:
        """Whether ``key`` is one of the rows."""
        return key in self._rows


class EmbeddedVectors:
    """Unit vectors from the embeddings cache (embedded on a miss), held once fetched.

    Args:
        embedder: The workspace's embedder (the one its latest run used).
        cache: The workspace's embeddings cache (``store.vector_cache(workspace_id)``).
    """

    def __init__(self, embedder: Embedder, cache: VectorCache) -> None:
        self.embedder = embedder
        self._cached = CachedEmbedder(embedder, cache)
        self._held: dict[str, FloatMatrix] = {}

    def fetch(self, keys: Sequence[str], texts: Sequence[str]) -> None:
        """Read (or embed) the vectors of these units and hold them; call outside transactions."""
        wanted = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in self._held]
        if not wanted:
            return
        vectors = self._cached.encode(content_texts([t for _, t in wanted]))
        for (key, _), vector in zip(wanted, vectors, strict=True):
            self._held[key] = vector

    def __call__(self, keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
        """The held rows of ``keys``; :class:`MissingVectors` for those not fetched yet."""
        missing = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in self._held]
        if missing:
            raise MissingVectors([k for k, _ in missing], [t for _, t in missing])
        if not keys:
            return np.empty((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._held[key] for key in keys]).astype(np.float32, copy=False)


class LayeredVectors:
    """Vectors held in memory first (new units), the others from a second source.

    Args:
        held: The vectors in memory (an assignment pass's new units).
        rest: Where the other units' vectors come from (the embeddings cache).
    """

    def __init__(self, held: KeyedVectors, rest: UnitVectors) -> None:
        self.held = held
        self.rest = rest

    def __call__(self, keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
        """The rows of ``keys``; :class:`MissingVectors` for those neither source holds yet."""
        mine = [i for i, key in enumerate(keys) if self.held.holds(key)]
        other = [i for i, key in enumerate(keys) if not self.held.holds(key)]
        first = self.held([keys[i] for i in mine], [texts[i] for i in mine])
        if not other:
            return first
        second = self.rest([keys[i] for i in other], [texts[i] for i in other])
        out = np.empty((len(keys), second.shape[1]), dtype=np.float32)
        out[mine], out[other] = first, second
        return out


def phrase_embedder(embedder: Embedder) -> TextEmbedder:
    """Embed phrases with ``embedder`` itself, through their content text (no cache write).

    The returned function remembers what it embedded, so a phrase asked for again (a seed's
    default threshold, then its replay; every earlier seed at each edit) is embedded once.
    """
    known: dict[str, npt.NDArray[np.float32]] = {}

    def embed(phrases: Sequence[str]) -> FloatMatrix:
        texts = content_texts(list(phrases))
        if not texts:
            return embedder.encode([])
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            vectors = np.asarray(embedder.encode(missing), dtype=np.float32)
            known.update(zip(missing, vectors, strict=True))
        return np.stack([known[t] for t in texts])

    return embed
