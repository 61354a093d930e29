"""A recorded taxonomy edit: what an analyst asked for, in which order, and what it did.

Every edit of a workspace's themes is an :class:`~feedback_nlp.taxonomy_records.Operation`
with a ``seq`` (1, 2, ... per workspace: the order in which edits are replayed), a ``kind`` and
the ``params`` it was made with. ``params`` never change after the edit is recorded; ``effect``
says what its latest application did (on which mining run), ``status`` whether it applied fully
(``applied``), in part (``partial``: some of its themes or units were gone), not at all
(``skipped``), or was undone.

``params`` of each kind (JSON)::

    merge   {"theme_ids": [...], "keep": id, "label": str|null, "previous_label": str|null}
    split   {"theme_id": id, "k": int, "seed": int, "children": [id, ...], "labels": [...]}
    move    {"units": [{"key", "text_hash", "item", "unit_index"}], "to": id|null}
    ignore  {"theme_id": id}
    seed    {"theme_id": id, "name": str, "examples": [str, ...], "threshold": float,
             "name_is_phrase": bool}
    rename  {"theme_id": id, "label": str|null, "previous_label": str|null}

A seed matches units against its :func:`seed_phrases`: the examples, and its name as one more
phrase when ``name_is_phrase`` (every seed recorded since 2026-12-07; older ones lack the key and
replay as they were recorded).

A redo (:mod:`feedback_nlp.taxonomy.redo`) is a new operation of the undone one's kind with its
``params`` plus ``"redo_of": <the undone seq>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from feedback_nlp.constraints import Interval
from feedback_nlp.errors import TaxonomyEditError

__all__ = [
    "KINDS",
    "MAX_EXAMPLES",
    "MAX_K",
    "MAX_LABEL_CHARS",
    "MAX_MOVED_UNITS",
    "SEED_THRESHOLD",
    "SPLIT_K",
    "SPLIT_SEED",
    "STATUSES",
    "check_examples",
    "check_k",
    "check_label",
    "check_seed",
    "check_threshold",
    "child_ids",
    "seed_phrases",
    "seeded_id",
    "themes_named",
]

KINDS: Final = ("merge", "split", "move", "ignore", "seed", "rename")
STATUSES: Final = ("applied", "partial", "skipped", "undone")
MAX_LABEL_CHARS: Final = 200
MAX_K: Final = 20
MAX_EXAMPLES: Final = 50
MAX_EXAMPLE_CHARS: Final = 1000
MAX_MOVED_UNITS: Final = 10_000
#: ``k`` of a split: the number of children.
SPLIT_K: Final = Interval("int", 2, MAX_K)
#: ``seed`` of a split: the k-means seed.
SPLIT_SEED: Final = Interval("int", 0, 2**31 - 1)
#: ``threshold`` of a seed: the similarity a unit needs.
SEED_THRESHOLD: Final = Interval("float", 0.0, 1.0, closed="right")
#: ``expected_seq`` of an edit: the latest operation the caller saw (0: none yet).
EXPECTED_SEQ: Final = Interval("int", 0, none_ok=True)
#: ``seq`` of an undo or a redo: the operation (``None``: the latest one).
OPERATION_SEQ: Final = Interval("int", 1, none_ok=True)
#: A unit's index in its item (a move names units by item and index).
UNIT_INDEX: Final = Interval("int", 0)


def themes_named(kind: str, params: dict[str, Any]) -> list[str]:
    """The themes whose history records an operation of ``kind`` made with ``params``."""
    if kind == "merge":
        return [str(t) for t in params["theme_ids"]]
    if kind == "split":
        return [str(params["theme_id"]), *params["children"]]
    if kind == "move":
        return [] if params.get("to") is None else [str(params["to"])]
    return [str(params["theme_id"])]


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
    """The number of children of a split (:data:`SPLIT_K`)."""
    if not SPLIT_K.accepts(k):
        raise TaxonomyEditError(
            f"The 'k' parameter of a split must be {SPLIT_K.describe()}. Got {k!r} instead."
        )
    return int(SPLIT_K.convert(k))


def check_seed(seed: object) -> int:
    """The k-means seed of a split (:data:`SPLIT_SEED`)."""
    if not SPLIT_SEED.accepts(seed):
        raise TaxonomyEditError(
            f"The 'seed' parameter of a split must be {SPLIT_SEED.describe()}. "
            f"Got {seed!r} instead."
        )
    return int(SPLIT_SEED.convert(seed))


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


def seed_phrases(params: Mapping[str, Any]) -> list[str]:
    """The phrases a seed's units are matched against: its examples, then its name if it counts.

    The name counts (``name_is_phrase``) unless it repeats an example. On banking77 TRAIN rows
    (20 groups of 10 intents, 3 examples each, each seed's default bar) the name as a fourth
    phrase raised the seeded themes' macro F1 from 0.451 to 0.459 (bench/RESULTS.md).
    """
    phrases = [str(phrase) for phrase in params["examples"]]
    name = str(params.get("name") or "").strip()
    known = {phrase.casefold() for phrase in phrases}
    if params.get("name_is_phrase") and name and name.casefold() not in known:
        phrases.append(name)
    return phrases


def check_threshold(threshold: object) -> float:
    """A seed's similarity threshold (:data:`SEED_THRESHOLD`: a number in ``(0, 1]``)."""
    if not SEED_THRESHOLD.accepts(threshold):
        raise TaxonomyEditError(
            "The 'threshold' parameter of a seed must be a number in the range (0, 1]. "
            f"Got {threshold!r} instead. Leave it out for the seed's default."
        )
    return float(SEED_THRESHOLD.convert(threshold))
