"""Where the analytics state reads rows: the :class:`StateSource` protocol (the store is one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from feedback_nlp.analytics.rows import AnalyticsMarks, AnalyticsRows

__all__ = ["StateSource"]


class StateSource(Protocol):
    """Where the state reads rows (the :class:`~feedback_nlp.store.Store` is one)."""

    def analytics_marks(self, workspace_id: int) -> AnalyticsMarks:
        """The cheap change marks."""
        ...

    def analytics_rows(
        self,
        workspace_id: int,
        *,
        after_id: int | None = None,
        updated_after: datetime | None = None,
        ids: Any = (),
    ) -> AnalyticsRows:
        """Every row, or the rows changed after the watermarks."""
        ...

    def analytics_item_count(self, workspace_id: int, *, max_id: int | None = None) -> int:
        """How many items the workspace has."""
        ...

    def analytics_updates(
        self, workspace_id: int, *, since: datetime
    ) -> list[tuple[int, datetime]]:
        """``(id, updated_at)`` of the items updated at or after ``since``."""
        ...

    def analytics_item_ids(self, workspace_id: int) -> list[int]:
        """Every item id, ascending."""
        ...

    def analytics_identity(self, workspace_id: int) -> str | None:
        """What tells this workspace apart from one of another database."""
        ...
