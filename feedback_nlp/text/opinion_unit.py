"""The opinion unit: one opinion-bearing piece of a feedback item, with exact offsets.

A record of its own, below both :mod:`feedback_nlp.text.units` (which makes units) and
:mod:`feedback_nlp.text.stage` (whose batches carry them).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OpinionUnit"]


@dataclass(frozen=True, slots=True)
class OpinionUnit:
    """One opinion-bearing piece of a feedback item.

    Attributes:
        item_index: Position of the item in the batch it came from.
        unit_index: Position of the unit within its item, from 0.
        text: The unit's text, exactly ``original[start:end]``.
        start: Code-point offset of the unit's first character in the original item.
        end: Code-point offset one past the unit's last character.
    """

    item_index: int
    unit_index: int
    text: str
    start: int
    end: int
