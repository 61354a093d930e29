"""A workspace's taxonomy as the edits read it: the latest run's units and the themes.

:class:`TaxonomyBase` is read from the store in one transaction (:mod:`feedback_nlp.store.
taxonomy`): every unit of the latest mining run with the theme the run gave it (``mined``) and
the theme it has now (``current``), and every theme row with what the run found about it. The
replay (:mod:`feedback_nlp.taxonomy.replay`) starts from the mined assignment and applies the
recorded edits; what it returns is compared with ``current`` to write only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TaxonomyBase", "ThemeState", "UnitTable", "unit_key"]

IntArray = npt.NDArray[np.int64]


def unit_key(item_id: int, unit_index: int) -> str:
    """The key of a unit across mining runs: its item's database id and its position."""
    return f"{item_id}:{unit_index}"


@dataclass(frozen=True, slots=True)
class UnitTable:
    """The units of the latest mining run, in (item, unit index) order.

    Attributes:
        row_ids: Database ids of the unit rows (what a write updates).
        keys: :func:`unit_key` of each unit (stable across runs while its text is unchanged).
        external_ids: The external id of each unit's item.
        text_hashes: Each unit's item text hash when it was split.
        texts: The unit texts (redacted).
        langs: The unit languages.
        mined: The theme the run gave each unit (``None``: unassigned).
        current: The theme each unit has now (after the edits last applied).
    """

    row_ids: IntArray
    keys: tuple[str, ...]
    external_ids: tuple[str, ...]
    text_hashes: tuple[str, ...]
    texts: tuple[str, ...]
    langs: tuple[str, ...]
    mined: tuple[str | None, ...]
    current: tuple[str | None, ...]
    positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", {key: i for i, key in enumerate(self.keys)})

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def empty(cls) -> UnitTable:
        """A table without units (a workspace never mined)."""
        return cls(np.empty(0, dtype=np.int64), (), (), (), (), (), (), ())

    def subset_texts(self, rows: Sequence[int]) -> list[str]:
        """The texts of ``rows``."""
        return [self.texts[i] for i in rows]


@dataclass(frozen=True, slots=True)
class ThemeState:
    """One theme row as the taxonomy sees it.

    Attributes:
        theme_id: Its id.
        level: 0 (a theme) or 1 (a parent group; never edited but renamed).
        label: Generated label per language.
        keyphrases: Ranked keyphrases per language.
        quotes: The quotes shown (``{"text", "lang", "external_id"}``).
        mined_quotes: The quotes the mining run chose.
        languages: Member units per language.
        parent_id: Its parent group.
        size: Member units.
        confidence: Stability across resampled runs.
        active: Whether it is shown (found by the run, or made by an edit in force).
        custom_label: A label given by a person.
        origin: ``mined``, ``seeded`` or ``split``.
        ignored: Hidden from the insights.
        created_by_op: The operation that made it (seeded and split themes).
        retired_by_op: The operation that emptied it (merged away, split).
        first_seen_run: The run that created it.
        last_seen_run: The latest run that found it.
        accept_similarity: The registry's acceptance bar of its members (mined themes).
    """

    theme_id: str
    level: int
    label: dict[str, str]
    keyphrases: dict[str, list[str]]
    quotes: list[dict[str, str]]
    mined_quotes: list[dict[str, str]]
    languages: dict[str, int]
    parent_id: str | None
    size: int
    confidence: float | None
    active: bool
    custom_label: str | None
    origin: str = "mined"
    ignored: bool = False
    created_by_op: int | None = None
    retired_by_op: int | None = None
    first_seen_run: int | None = None
    last_seen_run: int | None = None
    accept_similarity: float | None = None

    @property
    def live(self) -> bool:
        """A level-0 theme that is shown and holds (or may hold) units."""
        return self.level == 0 and self.active and self.retired_by_op is None

    def written(self) -> dict[str, Any]:
        """The columns the taxonomy writes back (compared to tell what changed)."""
        return {
            "label": self.label,
            "keyphrases": self.keyphrases,
            "quotes": self.quotes,
            "languages": self.languages,
            "parent_id": self.parent_id,
            "size": self.size,
            "active": self.active,
            "custom_label": self.custom_label,
            "origin": self.origin,
            "ignored": self.ignored,
            "created_by_op": self.created_by_op,
            "retired_by_op": self.retired_by_op,
            "last_seen_run": self.last_seen_run,
        }


@dataclass(frozen=True, slots=True)
class TaxonomyBase:
    """What the edits are applied to.

    Attributes:
        run_id: The latest mining run (``None``: never mined).
        units: The units of that run.
        themes: Every theme row, by id.
        min_theme_size: The smallest theme size of that run (a split's children need as many).
    """

    run_id: int | None
    units: UnitTable
    themes: dict[str, ThemeState]
    min_theme_size: int
