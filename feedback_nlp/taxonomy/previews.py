"""What a split or a seed would do, shown before it is applied (nothing is written).

A preview runs the very applier the edit would run, on the taxonomy as it is now, and reads its
effect: a split is deterministic (fixed k-means seed), so the split applied after its preview
makes the same children; a seed shows how many units its threshold claims, from which themes,
and the distribution of the scores, so the analyst can move the threshold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from feedback_nlp.taxonomy.draft import Draft
from feedback_nlp.taxonomy_records import Application

__all__ = ["SeedPreview", "SplitPreview", "seed_preview", "split_preview"]


@dataclass(frozen=True, slots=True)
class SplitPreview:
    """The children a split would make.

    Attributes:
        theme_id: The theme split.
        k: Number of children.
        min_theme_size: The latest run's smallest theme size (each child should reach it).
        children: ``{"theme_id", "size", "label", "keyphrases", "quotes"}`` per child (the ids
            the split will give them; quotes as ``{"text", "lang", "external_id"}``).
    """

    theme_id: str
    k: int
    min_theme_size: int
    children: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SeedPreview:
    """The units a seed would claim.

    Attributes:
        theme_id: The id the seeded theme will get.
        name: Its name.
        threshold: The similarity asked of a unit.
        default_threshold: The seed's default (what ``threshold`` is unless told).
        n_claimed: Units it would claim now.
        n_from_examples: Of those, the ones the examples themselves claim (before the members').
        taken_from: Claimed units per theme they are in now (``"unassigned"``: the pool).
        scores: Quantiles of every unit's score (``q50``, ``q90``, ``q99``, ``q100``).
        quotes: Its most central claimed units.
    """

    theme_id: str
    name: str
    threshold: float
    default_threshold: float
    n_claimed: int
    n_from_examples: int
    taken_from: dict[str, int]
    scores: dict[str, float]
    quotes: list[dict[str, str]]


def _quotes(draft: Draft, keys: list[str]) -> list[dict[str, str]]:
    units = draft.units
    rows = [units.positions[key] for key in keys if key in units.positions]
    return [
        {"text": units.texts[r], "lang": units.langs[r], "external_id": units.external_ids[r]}
        for r in rows
    ]


def split_preview(
    draft: Draft, done: Application, theme_id: str, k: int, min_theme_size: int
) -> SplitPreview:
    """The preview of a split from its application on a throw-away draft."""
    children = [
        {
            "theme_id": child["theme_id"],
            "size": child["size"],
            "label": child["label"],
            "keyphrases": child["keyphrases"],
            "quotes": _quotes(draft, child["quotes"]),
        }
        for child in done.effect["children"]
    ]
    return SplitPreview(theme_id=theme_id, k=k, min_theme_size=min_theme_size, children=children)


def seed_preview(
    draft: Draft,
    before: list[str | None],
    done: Application,
    *,
    theme_id: str,
    name: str,
    default: float,
) -> SeedPreview:
    """The preview of a seed from its application; ``before``: each unit's theme before it."""
    effect = done.effect
    positions = draft.units.positions
    taken = Counter(before[positions[key]] or "unassigned" for key in effect["claimed"])
    return SeedPreview(
        theme_id=theme_id,
        name=name,
        threshold=float(effect["threshold"]),
        default_threshold=default,
        n_claimed=int(effect["n_claimed"]),
        n_from_examples=int(effect["n_from_examples"]),
        taken_from=dict(taken.most_common()),
        scores=dict(effect["scores"]),
        quotes=_quotes(draft, list(effect["quotes"])),
    )
