from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.embed.base import FloatMatrix, l2_normalise
from feedback_nlp.embed.cache import (
    CachedEmbedder,
    MemoryVectorCache,
    SqliteVectorCache,
    content_key,
)


class CountingHashEmbedder:
    """A deterministic embedder (character histogram) that records what it was asked to embed."""

    name = "char-histogram"
    dim = 16

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                out[row, ord(char) % self.dim] += 1.0
        return l2_normalise(out)


def test_cache_key_depends_on_model_and_text() -> None:
    assert content_key("a", "x") != content_key("b", "x")
    assert content_key("a", "x") != content_key("a", "y")
    assert content_key("a", "שלום") == content_key("a", "שלום")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_cache_never_embeds_a_text_twice(backend: str, tmp_path: Path) -> None:
    cache = MemoryVectorCache() if backend == "memory" else SqliteVectorCache(tmp_path / "c.db")
    inner = CountingHashEmbedder()
    cached = CachedEmbedder(inner, cache)
    first = cached.encode(["late delivery", "التوصيل متأخر", "late delivery"])
    second = cached.encode(["التوصيل متأخر", "new text", "late delivery"])
    assert inner.calls == [["late delivery", "التوصيل متأخر"], ["new text"]]
    np.testing.assert_array_equal(first[1], second[0])
    np.testing.assert_array_equal(first[0], second[2])
    np.testing.assert_array_equal(
        second, inner.encode(["التوصيل متأخر", "new text", "late delivery"])
    )
    assert (cached.hits, cached.misses) == (3, 3)


def test_cache_sqlite_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "vectors.sqlite3"
    CachedEmbedder(CountingHashEmbedder(), SqliteVectorCache(path)).encode(["a", "b"])
    inner = CountingHashEmbedder()
    reopened = CachedEmbedder(inner, SqliteVectorCache(path))
    reopened.encode(["b", "a"])
    assert inner.calls == []
    assert len(SqliteVectorCache(path)) == 2


def test_cache_empty_input_gives_an_empty_matrix() -> None:
    cached = CachedEmbedder(CountingHashEmbedder(), MemoryVectorCache())
    assert cached.encode([]).shape == (0, 16)
