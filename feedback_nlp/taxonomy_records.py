"""What the taxonomy edits keep and read: recorded operations, the state they apply to, results.

Plain records below the store, so that the store (:mod:`feedback_nlp.store.taxonomy`) reads and
writes them without importing the taxonomy services above it:

* :class:`Operation` -- one recorded edit (its kinds and parameters:
  :mod:`feedback_nlp.taxonomy.operations`);
* :class:`TaxonomyBase` -- a workspace's taxonomy as the edits read it, read from the store in
  one transaction: every unit of the latest mining run (:class:`UnitTable`) with the theme the
  run gave it (``mined``) and the theme it has now (``current``), and every theme row
  (:class:`ThemeState`) with what the run found about it;
* :class:`Application` and :class:`ReplayResult` -- what applying one operation did, and the
  taxonomy after the replay (:mod:`feedback_nlp.taxonomy.replay`), compared with ``current`` to
  write only what changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Application",
    "Operation",
    "ReplayResult",
    "TaxonomyBase",
    "ThemeState",
    "UnitTable",
    "summary_of",
    "unit_key",
]

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


@dataclass(frozen=True, slots=True)
class Operation:
    """One recorded edit of a workspace's taxonomy.

    Attributes:
        seq: Its place in the workspace's order of edits (1, 2, ...).
        kind: One of :data:`~feedback_nlp.taxonomy.operations.KINDS`.
        params: What was asked for (per kind: :mod:`feedback_nlp.taxonomy.operations`); never
            changed afterwards.
        actor: Who made it: the API key's name, or ``cli:<user>``.
        created_at: When it was made.
        status: One of :data:`~feedback_nlp.taxonomy.operations.STATUSES`.
        effect: What its latest application did (``run_id``, counts, the units it took).
        note: Why it was not (fully) applied, in words.
        run_id: The mining run it was last applied to.
        undone_at: When it was undone (``None``: in force).
        undone_by: Who undid it.
    """

    seq: int
    kind: str
    params: dict[str, Any]
    actor: str | None
    created_at: datetime
    status: str = "applied"
    effect: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    run_id: int | None = None
    undone_at: datetime | None = None
    undone_by: str | None = None

    @property
    def in_force(self) -> bool:
        """Whether it is replayed (not undone)."""
        return self.undone_at is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the effect without its long unit lists)."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "params": self.params,
            "effect": summary_of(self.effect),
            "status": self.status,
            "note": self.note,
            "run_id": self.run_id,
            "actor": self.actor,
            "created_at": self.created_at.isoformat(),
            "undone_at": None if self.undone_at is None else self.undone_at.isoformat(),
            "undone_by": self.undone_by,
        }


_LONG = frozenset({"claimed", "members", "quotes", "centroids"})


def summary_of(effect: dict[str, Any]) -> dict[str, Any]:
    """An effect without its unit-key lists and vectors (what listings show)."""
    shown: dict[str, Any] = {}
    for key, value in effect.items():
        if key in _LONG:
            continue
        if key == "children" and isinstance(value, list):
            value = [{k: v for k, v in child.items() if k not in _LONG} for child in value]
        shown[key] = value
    return shown


@dataclass(frozen=True, slots=True)
class Application:
    """What applying one operation did.

    Attributes:
        status: ``applied``, ``partial`` (some of its themes or units were gone) or ``skipped``.
        note: Why it was (partly) not applied (``None`` when fully applied).
        effect: What it did (``run_id``, counts, unit keys it took, child centres...).
    """

    status: str
    note: str | None
    effect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The taxonomy after the edits.

    Attributes:
        assigned: The theme of each unit of the base (``None``: unassigned).
        themes: Every theme, as it should be stored.
        removed: Themes made by edits that are no longer in force (their rows go).
        applications: What each operation in force did, by ``seq``.
    """

    assigned: tuple[str | None, ...]
    themes: dict[str, ThemeState]
    removed: frozenset[str]
    applications: dict[int, Application]

    def report(self, operations: Iterable[Operation]) -> dict[str, Any]:
        """How the edits fared: counts, and every one not (fully) applied with the reason."""
        by_seq = {op.seq: op for op in operations}
        counts = Counter(a.status for a in self.applications.values())
        problems = [
            {"seq": seq, "kind": by_seq[seq].kind, "status": a.status, "note": a.note}
            for seq, a in sorted(self.applications.items())
            if a.status != "applied"
        ]
        return {
            "operations": len(self.applications),
            "applied": counts["applied"],
            "partial": counts["partial"],
            "skipped": counts["skipped"],
            "not_applied": problems,
        }
