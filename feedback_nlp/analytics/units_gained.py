"""The newest items gaining their units: a frame's mention rows revised, its item table kept.

New feedback is stored without opinion units; the ``assign`` job splits it, gives the units
themes a little later and bumps the items' ``updated_at``, so the analytics state reads every
batch a second time, as changed items. A general merge copies every column of a million-item
frame for that (1.5 s on this project's machines). In the usual case nothing of the items
changed and they had no units, after every item that has some: then their units go at the end
of the unit table (appended in place, :mod:`~feedback_nlp.analytics.tails`), the item columns
are kept (but ``sentiment``, which falls back to the units' mean), and only the mention matrix
and that column are copied, with their rows revised.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics.carry import carry_replaced, replaced_columns
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.tails import appended_table, revised

__all__ = ["with_units_gained"]

IntArray = npt.NDArray[np.int64]
SENTIMENT = "sentiment"  # the one item column units decide (their mean, for an item without one)


def with_units_gained(
    old: FeedbackFrame, gained: FeedbackFrame, target: IntArray
) -> FeedbackFrame | None:
    """``old`` whose items at positions ``target`` get ``gained``'s units; ``None``: another case.

    Args:
        old: The current frame.
        gained: The same items as they are now (item ``k`` is ``old``'s item ``target[k]``),
            with ``old``'s columns and dtypes.
        target: Ascending positions in ``old``.

    Returns:
        The frame a rebuild would give, or ``None`` unless: the items' columns are unchanged
        (``sentiment`` may change), and no unit of ``old`` belongs to one of them or to a later
        item.
    """
    if target.size == 0:
        return old
    unit_items = old.units["item"].to_numpy()
    if unit_items.size and int(unit_items[-1]) >= int(target[0]):
        return None
    if list(gained.items.columns) != list(old.items.columns):
        return None
    changed = replaced_columns(old, gained.items, target)
    if changed - {SENTIMENT}:
        return None
    items = old.items
    if changed:  # an item without a sentiment of its own takes its units' mean
        sentiment = gained.items[SENTIMENT].to_numpy(dtype=np.float64)
        columns = {name: old.items[name] for name in old.items.columns}
        columns[SENTIMENT] = pd.Series(
            revised(old.items[SENTIMENT].to_numpy(dtype=np.float64), target, sentiment),
            copy=False,
        )
        items = pd.DataFrame(columns, copy=False)
    moved = gained.units.assign(item=target[gained.units["item"].to_numpy()])
    frame = FeedbackFrame(
        items=items,
        segments=old.segments,
        theme_ids=old.theme_ids,
        mentions=revised(old.mentions, target, gained.mentions),
        units=appended_table(old.units, moved) if not moved.empty else old.units,
    )
    carry_replaced(old, gained, frame, target, changed)
    return frame
