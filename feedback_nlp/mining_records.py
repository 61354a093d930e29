"""What a mining run reads and writes: its items, the units and themes it found, its outcome.

Plain records below the store, beside :mod:`feedback_nlp.domain` (which re-exports them): the
job runner (:mod:`feedback_nlp.jobs.runner`) reads :class:`MiningItem` values, and one
:class:`MiningOutcome` -- its :class:`MinedUnit` and :class:`MinedTheme` values and the theme
registry -- is what the store (:mod:`feedback_nlp.store.mining`) writes in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

__all__ = ["MinedTheme", "MinedUnit", "MiningItem", "MiningOutcome"]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class MiningItem:
    """A stored item as a mining run reads it."""

    item_id: int
    external_id: str
    text: str
    lang: str
    text_hash: str


@dataclass(frozen=True, slots=True)
class MinedUnit:
    """One opinion unit as a mining run writes it."""

    item_id: int
    unit_index: int
    start: int
    end: int
    text: str
    lang: str
    text_hash: str
    theme_id: str | None
    sentiment_label: str | None = None
    sentiment_score: float | None = None


@dataclass(frozen=True, slots=True)
class MinedTheme:
    """What a mining run found about one theme (level 0) or parent group (level 1).

    The fields are those of :class:`ThemeRecord` that a run decides; the store keeps a
    theme's custom label, origin and run ids across runs.
    """

    theme_id: str
    level: int
    label: dict[str, str]
    keyphrases: dict[str, list[str]]
    quotes: list[dict[str, str]]
    languages: dict[str, int]
    parent_id: str | None
    size: int
    confidence: float | None


@dataclass(frozen=True, slots=True)
class MiningOutcome(Generic[R]):
    """Everything one mining run writes.

    Attributes:
        registry: The theme registry after the run (a
            :class:`~feedback_nlp.themes.registry.ThemeRegistry`); the store saves its state
            with the run, so the next run keeps the theme ids.
    """

    job_id: str | None
    embedder: str
    started_at: datetime
    item_ids: Sequence[int]
    units: Sequence[MinedUnit]
    themes: Sequence[MinedTheme]
    registry: R
    n_unassigned: int
    config: dict[str, Any]
