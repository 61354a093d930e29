"""Splitting one theme: its units' embeddings re-clustered into ``k`` children.

The members' vectors are centred per language (:func:`~feedback_nlp.themes.reduce.
centre_by_language`, as the miner does, so a bilingual theme splits by topic rather than by
language) and clustered by k-means with a fixed seed: the same members give the same children,
so a preview and the split applied after it agree. Children are numbered by size. Each child
keeps the unit-norm mean of its members' (uncentred) vectors: later runs send the units of the
split theme to the nearest child centre (:func:`nearest_child`), so the split survives re-mines.
Pure computation: arrays in, arrays out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from feedback_nlp.themes.arrays import FloatMatrix, IntArray
from feedback_nlp.themes.content import content_texts
from feedback_nlp.themes.label import KeyphraseLabeler, ThemeLabel
from feedback_nlp.themes.quotes import representative_quotes
from feedback_nlp.themes.reduce import centre_by_language, normalise_rows

__all__ = [
    "SplitChildren",
    "child_quotes",
    "decode_centres",
    "encode_centres",
    "label_children",
    "nearest_child",
    "split_vectors",
]


@dataclass(frozen=True, slots=True)
class SplitChildren:
    """The children of a split.

    Attributes:
        labels: The child (``0 .. k-1``, by decreasing size) of each member.
        centres: Unit-norm mean of each child's member vectors, shape ``(k, d)``.
    """

    labels: IntArray
    centres: FloatMatrix


def split_vectors(
    vectors: FloatMatrix, langs: Sequence[str], k: int, *, seed: int = 0
) -> SplitChildren:
    """Cluster a theme's member vectors into ``k`` children (k-means, ``n_init=10``).

    Args:
        vectors: Unit-norm member vectors, shape ``(n, d)`` with ``n >= k``.
        langs: One language code per member.
        k: Number of children.
        seed: The k-means seed.
    """
    from sklearn.cluster import KMeans  # here: importing the store must not import scikit-learn

    centred = centre_by_language(vectors, langs)
    fitted = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(centred)
    raw = np.asarray(fitted.labels_, dtype=np.int64)
    sizes = np.bincount(raw, minlength=k)
    first = np.array([int(np.flatnonzero(raw == c)[0]) if sizes[c] else raw.size for c in range(k)])
    order = np.lexsort((first, -sizes))  # biggest child first, ties: earliest member
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    labels = rank[raw]
    return SplitChildren(labels=labels, centres=child_centres(vectors, labels, k))


def child_centres(vectors: FloatMatrix, labels: IntArray, k: int) -> FloatMatrix:
    """Unit-norm mean vector of each child (zero for an empty one)."""
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors.astype(np.float64))
    return normalise_rows(sums)


def nearest_child(vectors: FloatMatrix, centres: FloatMatrix) -> IntArray:
    """The child whose centre is most similar to each row."""
    if vectors.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    return np.asarray((vectors @ centres.T).argmax(axis=1), dtype=np.int64)


def label_children(
    texts: Sequence[str], langs: Sequence[str], labels: IntArray, k: int
) -> list[ThemeLabel]:
    """Keyphrase labels of the children (c-TF-IDF across the children: what sets each apart)."""
    return KeyphraseLabeler().label(content_texts(list(texts)), list(langs), labels, k)


def child_quotes(
    vectors: FloatMatrix, texts: Sequence[str], centre: FloatMatrix, n_quotes: int = 5
) -> list[int]:
    """Rows of the most central, diverse members of one child (its quotes)."""
    if vectors.shape[0] == 0:
        return []
    picked = representative_quotes(vectors, centre, texts=list(texts), n_quotes=n_quotes)
    return [int(i) for i in picked]


def encode_centres(centres: FloatMatrix) -> str:
    """Child centres as base64 float32 (what an operation's effect keeps)."""
    return base64.b64encode(np.ascontiguousarray(centres, dtype=np.float32).tobytes()).decode()


def decode_centres(text: str, k: int) -> FloatMatrix:
    """Child centres written by :func:`encode_centres`, shape ``(k, d)``."""
    flat = np.frombuffer(base64.b64decode(text), dtype=np.float32).copy()
    return flat.reshape(k, -1)
