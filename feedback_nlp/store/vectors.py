"""The embeddings cache as a table: a :class:`~feedback_nlp.embed.cache.VectorCache` per workspace.

Keys are :func:`~feedback_nlp.embed.cache.content_key` hashes (embedder name + unit text), so a
unit whose text is unchanged is never embedded again, by any job of the workspace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from feedback_nlp.store.base import StoreBase, chunks
from feedback_nlp.store.schema import embeddings_cache

__all__ = ["SqlVectorCache"]


class SqlVectorCache(StoreBase):
    """Vectors (float32 bytes) by content key, in the ``embeddings_cache`` table.

    Args:
        engine: The store's engine.
        workspace_id: Whose cache: workspaces never share vectors.
    """

    def __init__(self, engine: Engine, workspace_id: int) -> None:
        super().__init__(engine)
        self.workspace_id = workspace_id

    def __len__(self) -> int:
        with self._read() as connection:
            count = connection.execute(
                select(func.count()).where(embeddings_cache.c.workspace_id == self.workspace_id)
            ).scalar_one()
        return int(count)

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored vectors of those ``keys`` that are present."""
        found: dict[str, bytes] = {}
        with self._read() as connection:
            for part in chunks(list(keys)):
                rows = connection.execute(
                    select(embeddings_cache.c.key, embeddings_cache.c.vector).where(
                        embeddings_cache.c.workspace_id == self.workspace_id,
                        embeddings_cache.c.key.in_(part),
                    )
                )
                found.update((str(key), bytes(vector)) for key, vector in rows)
        return found

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store vectors by key in one transaction; keys already present are left alone."""
        rows = [
            {"workspace_id": self.workspace_id, "key": key, "vector": vector}
            for key, vector in sorted(items.items())
        ]
        if not rows:
            return

        def work(connection: Connection) -> None:
            for part in chunks(rows):
                stmt = self._insert(embeddings_cache).values(list(part))
                connection.execute(stmt.on_conflict_do_nothing())

        self._write_retrying(work)
