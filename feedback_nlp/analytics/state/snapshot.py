"""A published snapshot of a workspace, and the entry that holds it with its refresh and save marks.

A :class:`Snapshot` is never changed once published; a :class:`WorkspaceEntry` is what
:class:`~feedback_nlp.analytics.state.AnalyticsState` keeps per workspace: the current snapshot,
the lock of the one refresh that may build the next, and where and when it was last saved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.merge import FrameParts
from feedback_nlp.analytics.rows import AnalyticsMarks
from feedback_nlp.analytics.state.memo import Memo

__all__ = ["Snapshot", "WorkspaceEntry"]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One published state of a workspace (never changed after publication).

    Attributes:
        parts: The frame and its database ids.
        marks: The marks read together with the rows it holds.
        max_id: Its largest item id (watermark of new items).
        updated: Its newest item ``updated_at`` (watermark of changed items).
        version: Increases with every published snapshot of the workspace.
        repaired_at: When (monotonic seconds) the last repair pass ran.
        memo: Answers computed over it.
        frames: Filtered frames of it (few: each can be as large as the frame).
        seen: ``updated_at`` of the items it merged within ``repair_overlap`` of its watermark
            (a repair pass reads only the writes of that window it has not seen).
        built_at: When it was built (epoch seconds): how old an answer computed over it is.
    """

    parts: FrameParts
    marks: AnalyticsMarks
    max_id: int
    updated: datetime | None
    version: int
    repaired_at: float
    memo: Memo = field(default_factory=Memo)
    frames: Memo = field(default_factory=lambda: Memo(4))
    seen: Mapping[int, datetime] = field(default_factory=dict)
    built_at: float = field(default_factory=time.time)

    @property
    def frame(self) -> FeedbackFrame:
        """The frame."""
        return self.parts.frame


@dataclass(slots=True)
class WorkspaceEntry:
    """A workspace's current snapshot, its builder lock, and how its saves and refreshes stand."""

    builder: threading.Lock = field(default_factory=threading.Lock)
    snapshot: Snapshot | None = None
    directory: Path | None = None  # where its snapshot is saved (None: not saved)
    persisted_at: float = float("-inf")
    persisted_version: int = -1
    persisting: bool = False
    refreshing: bool = False  # a background refresh is under way
    kicked_at: float = float("-inf")
    source: Any = None  # what background refreshes read (set by the first one)
