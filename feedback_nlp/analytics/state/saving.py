"""Publishing a workspace's snapshot, and saving it in the background to be loaded after a restart.

With a ``directory``, a snapshot is saved (:mod:`~feedback_nlp.analytics.persist`) after a
rebuild and at most every ``persist_interval`` seconds after merges, in a background thread,
under a folder named by the workspace and a digest of the namespace and the database's
identity; the watermarks and marks it was read up to are saved with it. Loading answers
``None`` for a snapshot that is missing, damaged, half written or of another database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback_nlp.analytics.persist import load_snapshot, save_snapshot
from feedback_nlp.analytics.rows import AnalyticsMarks
from feedback_nlp.analytics.state.snapshot import Snapshot, WorkspaceEntry
from feedback_nlp.analytics.state.source import StateSource

__all__ = ["SnapshotSaver"]

logger = logging.getLogger(__name__)


class SnapshotSaver:
    """Publishes snapshots and saves and loads them.

    Mixed into :class:`~feedback_nlp.analytics.state.AnalyticsState`, which sets these
    attributes (see its arguments).
    """

    directory: Path | None
    namespace: str
    persist_interval: float
    clock: Callable[[], float]
    _threads: list[threading.Thread]

    def _publish(
        self, workspace_id: int, entry: WorkspaceEntry, snapshot: Snapshot, *, rebuilt: bool = False
    ) -> None:
        entry.snapshot = snapshot
        if entry.directory is None or entry.persisting:
            return
        due = self.clock() - entry.persisted_at >= self.persist_interval
        if snapshot.version == entry.persisted_version or not (rebuilt or due):
            return
        entry.persisting = True
        thread = threading.Thread(
            target=self._save,
            args=(workspace_id, entry, snapshot),
            name=f"analytics-save-{workspace_id}",
            daemon=True,
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _directory(self, workspace_id: int, identity: str) -> Path:
        assert self.directory is not None
        digest = hashlib.sha256(f"{self.namespace}\n{identity}".encode()).hexdigest()[:16]
        return self.directory / f"ws{workspace_id}-{digest}"

    def _save(self, workspace_id: int, entry: WorkspaceEntry, snapshot: Snapshot) -> None:
        assert entry.directory is not None
        try:
            meta = {
                "max_id": snapshot.max_id,
                "updated": None if snapshot.updated is None else snapshot.updated.isoformat(),
                "marks": _marks_json(snapshot.marks),
                "seen": [[item, at.isoformat()] for item, at in snapshot.seen.items()],
            }
            save_snapshot(entry.directory, snapshot.parts, meta)
            entry.persisted_at = self.clock()
            entry.persisted_version = snapshot.version
        except Exception:
            logger.exception("could not save the analytics state of workspace %d", workspace_id)
        finally:
            entry.persisting = False

    def _load(
        self, source: StateSource, workspace_id: int, entry: WorkspaceEntry
    ) -> Snapshot | None:
        if self.directory is None:
            return None
        identity = source.analytics_identity(workspace_id)
        if identity is None:
            return None
        entry.directory = self._directory(workspace_id, identity)
        loaded = load_snapshot(entry.directory)
        if loaded is None:
            return None
        parts, meta = loaded
        try:
            marks = _marks_from_json(meta["marks"])
            updated = None if meta["updated"] is None else datetime.fromisoformat(meta["updated"])
            max_id = int(meta["max_id"])
            seen = {int(item): datetime.fromisoformat(at) for item, at in meta.get("seen", [])}
        except (KeyError, TypeError, ValueError):
            return None
        return Snapshot(
            parts=parts,
            marks=marks,
            max_id=max_id,
            updated=updated,
            version=1,
            repaired_at=0.0,
            seen=seen,
        )


def _marks_json(marks: AnalyticsMarks) -> dict[str, Any]:
    return {
        "items_updated": None if marks.items_updated is None else marks.items_updated.isoformat(),
        "run_id": marks.run_id,
        "themes_updated": None
        if marks.themes_updated is None
        else marks.themes_updated.isoformat(),
        "n_themes": marks.n_themes,
    }


def _marks_from_json(data: dict[str, Any]) -> AnalyticsMarks:
    def instant(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return AnalyticsMarks(
        items_updated=instant(data["items_updated"]),
        run_id=None if data["run_id"] is None else int(data["run_id"]),
        themes_updated=instant(data["themes_updated"]),
        n_themes=int(data["n_themes"]),
    )
