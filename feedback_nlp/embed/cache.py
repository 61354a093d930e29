"""A content-hash cache so that unchanged text is never embedded twice.

The key of a text is ``sha256(namespace, NUL, text)``, where the namespace is the embedder's
``cache_namespace`` when it has one (the model name, runtime and weights hash of a built model)
and its name otherwise: the same text embedded by another model, or by the same model on another
runtime, gets another key. Vectors are stored as float32 bytes, either in memory or in an SQLite
file that survives restarts (one file per working directory, safe for several reader processes).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from feedback_nlp.embed.base import Embedder, FloatMatrix


def cache_namespace(embedder: Embedder) -> str:
    """What the cache keys ``embedder``'s vectors by: its ``cache_namespace``, else its name."""
    namespace = getattr(embedder, "cache_namespace", None)
    return namespace if isinstance(namespace, str) and namespace else embedder.name


def content_key(embedder_name: str, text: str) -> str:
    """Return the cache key of ``text`` embedded by ``embedder_name``."""
    return hashlib.sha256(f"{embedder_name}\0{text}".encode()).hexdigest()


class VectorCache(Protocol):
    """Stores vectors by content key."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored vectors (float32 bytes) of those ``keys`` that are present."""
        ...

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store vectors (float32 bytes) by key; existing keys are left as they are."""
        ...


class MemoryVectorCache:
    """A process-local cache (a dict); for tests and one-off runs."""

    def __init__(self) -> None:
        self._vectors: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._vectors)

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored vectors of the present ``keys``."""
        return {key: self._vectors[key] for key in keys if key in self._vectors}

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store vectors by key."""
        for key, value in items.items():
            self._vectors.setdefault(key, value)


class SqliteVectorCache:
    """A cache in an SQLite file (WAL mode), shared by the processes of one installation.

    Args:
        path: the database file; its folder is created when missing.
    """

    _CHUNK = 500

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()
        return int(count)

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored vectors of the present ``keys``."""
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), self._CHUNK):
                chunk = list(keys[start : start + self._CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                    chunk,
                )
                found.update((str(key), bytes(vector)) for key, vector in rows)
        return found

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store vectors by key in one transaction."""
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", items.items()
            )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


class CachedEmbedder:
    """Wraps an embedder: texts already in ``cache`` are read back, only new ones are embedded.

    Duplicate texts within one call are embedded once.

    Args:
        embedder: the model that embeds cache misses.
        cache: where vectors are kept.
    """

    def __init__(self, embedder: Embedder, cache: VectorCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.name = embedder.name
        self.namespace = cache_namespace(embedder)
        self.dim = embedder.dim
        self.hits = 0
        self.misses = 0

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``, reusing cached vectors; rows are L2-normalised."""
        keys = [content_key(self.namespace, text) for text in texts]
        stored = self.cache.get_many(list(dict.fromkeys(keys)))
        missing = _unique_missing(keys, texts, stored)
        if missing:
            vectors = self.embedder.encode(list(missing.values()))
            fresh = {key: vectors[i].tobytes() for i, key in enumerate(missing)}
            self.cache.put_many(fresh)
            stored.update(fresh)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = np.frombuffer(stored[key], dtype=np.float32)
        return out


def _unique_missing(
    keys: Iterable[str], texts: Iterable[str], stored: Mapping[str, bytes]
) -> dict[str, str]:
    missing: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in stored and key not in missing:
            missing[key] = text
    return missing
