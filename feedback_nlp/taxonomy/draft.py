"""The working state of a replay: unit assignments and themes while the edits are applied.

A :class:`Draft` starts as the mining run left the workspace: each unit in its mined theme, each
mined theme shown when the latest run found it, nothing ignored, merged or split, themes made by
edits hidden until their edit is applied again. Appliers (:mod:`feedback_nlp.taxonomy.appliers`)
change it one operation at a time; :mod:`feedback_nlp.taxonomy.replay` turns it into the result.
It lives only inside one replay (never shared), so it is mutable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from feedback_nlp.taxonomy.vectors import TextEmbedder, UnitVectors
from feedback_nlp.taxonomy_records import TaxonomyBase, ThemeState
from feedback_nlp.themes.arrays import FloatMatrix, IntArray

__all__ = ["Draft", "ReplayContext"]


@dataclass(frozen=True, slots=True)
class ReplayContext:
    """What a replay may use besides the stored rows.

    Attributes:
        vectors: Unit vectors (splits and seeds; a seed recomputed on a new run needs all).
        embed_phrases: Embeds a seed's examples in the units' space (``None``: cannot).
    """

    vectors: UnitVectors
    embed_phrases: TextEmbedder | None = None


def _as_mined(theme: ThemeState, run_id: int | None) -> ThemeState:
    """A theme row as the mining run left it, before any edit."""
    if theme.origin != "mined":
        return replace(theme, active=False, ignored=False, retired_by_op=None)
    found = (
        theme.active if theme.level == 1 else run_id is not None and theme.last_seen_run == run_id
    )
    return replace(
        theme, active=found, ignored=False, retired_by_op=None, quotes=theme.mined_quotes
    )


class Draft:
    """Unit assignments and themes during a replay.

    Args:
        base: What the replay starts from.
    """

    def __init__(self, base: TaxonomyBase) -> None:
        self.base = base
        self.units = base.units
        self.assigned: np.ndarray[Any, np.dtype[np.object_]] = np.array(
            list(base.units.mined), dtype=object
        )
        self.themes: dict[str, ThemeState] = {
            theme_id: _as_mined(theme, base.run_id) for theme_id, theme in base.themes.items()
        }
        self.absorbed: dict[str, list[str]] = {}
        self.quote_keys: dict[str, list[str]] = {}

    @property
    def run_id(self) -> int | None:
        """The mining run the edits are applied to."""
        return self.base.run_id

    def live(self, theme_id: str | None) -> bool:
        """Whether ``theme_id`` is a shown level-0 theme that can take units."""
        theme = self.themes.get(theme_id) if theme_id is not None else None
        return theme is not None and theme.live

    def members(self, theme_id: str) -> IntArray:
        """Rows of the units assigned to ``theme_id`` now."""
        if len(self.assigned) == 0:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.assigned == theme_id).astype(np.int64)

    def assign(self, rows: IntArray | list[int], theme_id: str | None) -> None:
        """Put units ``rows`` into ``theme_id`` (``None``: the unassigned pool)."""
        if len(rows):
            self.assigned[np.asarray(rows, dtype=np.int64)] = theme_id

    def update(self, theme_id: str, **changes: Any) -> None:
        """Change fields of a theme."""
        self.themes[theme_id] = replace(self.themes[theme_id], **changes)

    def create(self, theme_id: str, **fields: Any) -> None:
        """Make (or remake) a theme of an edit; a row from an earlier run keeps its first run."""
        previous = self.themes.get(theme_id)
        first = previous.first_seen_run if previous is not None else self.run_id
        defaults: dict[str, Any] = {
            "level": 0,
            "label": {},
            "keyphrases": {},
            "quotes": [],
            "mined_quotes": [],
            "languages": {},
            "parent_id": None,
            "size": 0,
            "confidence": None,
            "active": True,
            "custom_label": None if previous is None else previous.custom_label,
            "first_seen_run": first,
            "last_seen_run": self.run_id,
        }
        self.themes[theme_id] = ThemeState(theme_id=theme_id, **(defaults | fields))

    def vectors_of(self, context: ReplayContext, rows: IntArray | list[int]) -> FloatMatrix:
        """The vectors of units ``rows`` (raises ``MissingVectors`` when not held)."""
        picked = [int(i) for i in rows]
        keys = [self.units.keys[i] for i in picked]
        return context.vectors(keys, self.units.subset_texts(picked))

    def run_note(self) -> str:
        """How the current run is named in notes."""
        return "the latest mining run" if self.run_id is None else f"mining run {self.run_id}"
