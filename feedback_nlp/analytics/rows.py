"""What the incremental analytics state reads from a store: change marks and rows with ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback_nlp.domain import AnalyticsRecords

__all__ = ["AnalyticsMarks", "AnalyticsRows"]


@dataclass(frozen=True, slots=True)
class AnalyticsMarks:
    """Cheap marks of a workspace's analytics data: when one changes, something was written.

    Attributes:
        items_updated: The newest ``updated_at`` of its items (every insert and update sets it).
        run_id: Its latest mining run (a run rewrites every unit's theme).
        themes_updated: The newest ``updated_at`` of its themes (runs, renames, theme edits).
        n_themes: How many themes it has.
    """

    items_updated: datetime | None
    run_id: int | None
    themes_updated: datetime | None
    n_themes: int

    def units_key(self) -> tuple[Any, ...]:
        """What the unit-to-theme assignment depends on (a change means: reload every unit)."""
        return (self.run_id, self.themes_updated, self.n_themes)


@dataclass(frozen=True, slots=True)
class AnalyticsRows:
    """Some of a workspace's items (as :class:`AnalyticsRecords`), with their database ids.

    Attributes:
        records: The items and every unit of those items; ``theme_ids`` are the workspace's
            level-0 themes.
        ids: The database id of each item, in the order of ``records.items`` (ascending).
        updated: The ``updated_at`` of each item.
        marks: The marks read in the same transaction.
    """

    records: AnalyticsRecords
    ids: list[int]
    updated: list[datetime]
    marks: AnalyticsMarks
