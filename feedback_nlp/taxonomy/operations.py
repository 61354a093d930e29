"""A recorded taxonomy edit: what an analyst asked for, in which order, and what it did.

Every edit of a workspace's themes is an :class:`Operation` with a ``seq`` (1, 2, ... per
workspace: the order in which edits are replayed), a ``kind`` and the ``params`` it was made
with. ``params`` never change after the edit is recorded; ``effect`` says what its latest
application did (on which mining run), ``status`` whether it applied fully (``applied``), in part
(``partial``: some of its themes or units were gone), not at all (``skipped``), or was undone.

``params`` of each kind (JSON)::

    merge   {"theme_ids": [...], "keep": id, "label": str|null, "previous_label": str|null}
    split   {"theme_id": id, "k": int, "seed": int, "children": [id, ...], "labels": [...]}
    move    {"units": [{"key", "text_hash", "item", "unit_index"}], "to": id|null}
    ignore  {"theme_id": id}
    seed    {"theme_id": id, "name": str, "examples": [str, ...], "threshold": float}
    rename  {"theme_id": id, "label": str|null, "previous_label": str|null}

A redo (:mod:`feedback_nlp.taxonomy.redo`) is a new operation of the undone one's kind with its
``params`` plus ``"redo_of": <the undone seq>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from feedback_nlp.errors import TaxonomyEditError

__all__ = [
    "KINDS",
    "MAX_EXAMPLES",
    "MAX_K",
    "MAX_LABEL_CHARS",
    "MAX_MOVED_UNITS",
    "STATUSES",
    "Operation",
    "check_examples",
    "check_k",
    "check_label",
    "check_seed",
    "check_threshold",
    "child_ids",
    "seeded_id",
    "summary_of",
    "themes_named",
]

KINDS: Final = ("merge", "split", "move", "ignore", "seed", "rename")
STATUSES: Final = ("applied", "partial", "skipped", "undone")
MAX_LABEL_CHARS: Final = 200
MAX_K: Final = 20
MAX_EXAMPLES: Final = 50
MAX_EXAMPLE_CHARS: Final = 1000
MAX_MOVED_UNITS: Final = 10_000


@dataclass(frozen=True, slots=True)
class Operation:
    """One recorded edit of a workspace's taxonomy.

    Attributes:
        seq: Its place in the workspace's order of edits (1, 2, ...).
        kind: One of :data:`KINDS`.
        params: What was asked for (see the module docstring); never changed afterwards.
        actor: Who made it: the API key's name, or ``cli:<user>``.
        created_at: When it was made.
        status: One of :data:`STATUSES`.
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


def themes_named(kind: str, params: dict[str, Any]) -> list[str]:
    """The themes whose history records an operation of ``kind`` made with ``params``."""
    if kind == "merge":
        return [str(t) for t in params["theme_ids"]]
    if kind == "split":
        return [str(params["theme_id"]), *params["children"]]
    if kind == "move":
        return [] if params.get("to") is None else [str(params["to"])]
    return [str(params["theme_id"])]


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


def seeded_id(seq: int) -> str:
    """The id of the theme a seed operation makes (``s_000007`` for operation 7)."""
    return f"s_{seq:06d}"


def child_ids(seq: int, k: int) -> list[str]:
    """The ids of the ``k`` themes a split operation makes (``c_000007_1`` ...)."""
    return [f"c_{seq:06d}_{i}" for i in range(1, k + 1)]


def check_label(label: object, what: str = "A theme label") -> str | None:
    """``label`` stripped, or ``None``; raises when it is blank, not text or too long."""
    if label is None:
        return None
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
        raise TaxonomyEditError(
            f"{what} must be a non-blank string of at most {MAX_LABEL_CHARS} characters. "
            f"Got {label!r}. Send another, or null for the generated one."
        )
    return label.strip()


def check_k(k: object) -> int:
    """The number of children of a split: an int in ``2..MAX_K``."""
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_K:
        raise TaxonomyEditError(
            f"The 'k' parameter of a split must be an int in the range [2, {MAX_K}]. "
            f"Got {k!r} instead."
        )
    return k


def check_seed(seed: object) -> int:
    """The k-means seed of a split: an int in ``0..2**31-1``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise TaxonomyEditError(
            f"The 'seed' parameter of a split must be an int in the range [0, 2**31). "
            f"Got {seed!r} instead."
        )
    return seed


def check_examples(examples: object) -> list[str]:
    """The example phrases of a seed: 1..MAX_EXAMPLES non-blank strings, stripped."""
    if not isinstance(examples, list | tuple) or not examples:
        raise TaxonomyEditError(
            "A seeded theme needs at least one example phrase (any language). Got "
            f"{examples!r}. Send 'examples': ['phrase one', 'phrase two', ...]."
        )
    if len(examples) > MAX_EXAMPLES:
        raise TaxonomyEditError(
            f"A seeded theme takes at most {MAX_EXAMPLES} example phrases. Got {len(examples)}."
        )
    cleaned = []
    for position, phrase in enumerate(examples):
        if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > MAX_EXAMPLE_CHARS:
            raise TaxonomyEditError(
                f"Example {position} of a seeded theme must be a non-blank string of at most "
                f"{MAX_EXAMPLE_CHARS} characters. Got {phrase!r}."
            )
        cleaned.append(phrase.strip())
    return cleaned


def check_threshold(threshold: object) -> float:
    """A seed's similarity threshold: a number in ``(0, 1]``."""
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 < float(threshold) <= 1.0
    ):
        raise TaxonomyEditError(
            "The 'threshold' parameter of a seed must be a number in the range (0, 1]. "
            f"Got {threshold!r} instead. Leave it out for the workspace's default."
        )
    return float(threshold)
