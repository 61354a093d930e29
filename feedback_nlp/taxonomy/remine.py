"""Re-mining keeps the analysts' edits: the replay a mining job runs as it saves its run.

A mining run writes what it found (every unit in its mined theme, ``mined_theme_id`` =
``theme_id``); in the same transaction :class:`RemineReplay` replays every operation in force on
the new run and writes the result, so no reader ever sees the run without the edits. Merged
themes stay merged and renamed ones keep their labels (their ids are stable, from the theme
registry); seeded themes claim the units similar to their examples in the new run; split themes
send their units to the nearest child centre; moved units stay moved unless their text changed;
ignored themes stay ignored. What could not be applied (its themes vanished) is in
:attr:`RemineReplay.report`, which the job puts in its result.

The job holds every unit's vector (:class:`~feedback_nlp.taxonomy.vectors.KeyedVectors`) and its
embedder for the seeds' examples, so nothing is embedded or read from the cache in the
transaction. The taxonomy lock is taken first in the transaction (:meth:`lock`), before any
unit row is written, so that an edit and a run never wait on each other's locks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from feedback_nlp.taxonomy.draft import ReplayContext
from feedback_nlp.taxonomy.replay import Replay
from feedback_nlp.taxonomy.vectors import MissingVectors, TextEmbedder, UnitVectors
from feedback_nlp.taxonomy_records import Application

if TYPE_CHECKING:
    from feedback_nlp.store import Store

__all__ = ["RemineReplay"]

logger = logging.getLogger(__name__)


class RemineReplay:
    """Replays a workspace's taxonomy edits in the transaction that saves a mining run.

    Args:
        store: The store.
        workspace_id: The workspace mined.
        vectors: The run's unit vectors by unit key.
        embed_phrases: Embeds seed examples with the run's embedder.
    """

    def __init__(
        self,
        store: Store,
        workspace_id: int,
        *,
        vectors: UnitVectors,
        embed_phrases: TextEmbedder,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.context = ReplayContext(vectors=vectors, embed_phrases=embed_phrases)
        self.report: dict[str, Any] = {
            "operations": 0,
            "applied": 0,
            "partial": 0,
            "skipped": 0,
            "not_applied": [],
        }

    def lock(self, connection: Connection) -> None:
        """Take the workspace's taxonomy lock (call first in the run's transaction)."""
        self.store.lock_taxonomy(connection, self.workspace_id)

    def __call__(self, connection: Connection, run_id: int) -> None:
        """Replay the operations in force on run ``run_id`` and write the result."""
        self.lock(connection)  # held already when :meth:`lock` ran first (it nests)
        base = self.store.read_base(connection, self.workspace_id)
        operations = self.store.read_operations(connection, self.workspace_id)
        in_force = [op for op in operations if op.in_force]
        if not in_force:
            return
        run = Replay(base, self.context)
        for op in in_force:
            try:
                run.apply(op)
            except MissingVectors:
                raise
            except Exception as error:  # one broken edit must not cost the run, nor vanish
                logger.exception("taxonomy operation %d could not be replayed", op.seq)
                note = f"could not be replayed on run {run_id}: {type(error).__name__}: {error}"
                run.applications[op.seq] = Application("skipped", note, dict(op.effect))
        result = run.finish(operations)
        self.store.write_replay(connection, self.workspace_id, base, result, operations)
        self.report = result.report(operations)
