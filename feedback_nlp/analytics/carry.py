"""What a merged frame keeps of what the frame it was merged from derived.

A :class:`~feedback_nlp.analytics.frame.FeedbackFrame` keeps what it derives (group codes,
mention cells, customers, duration orders...; :meth:`~feedback_nlp.analytics.frame.
FeedbackFrame.derived`). When :mod:`~feedback_nlp.analytics.merge` folds new or changed items
into a frame, the values that come out exactly as a computation over the merged frame would
are handed over or extended here, so a new analytics snapshot of a large workspace does not
derive everything again.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics.breakdown import score_columns
from feedback_nlp.analytics.customers import Customers, extended_customers
from feedback_nlp.analytics.durations import appended_rankings
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.tails import appended

__all__ = ["carry_appended", "carry_replaced", "replaced_columns"]

IntArray = npt.NDArray[np.int64]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _seed(frame: FeedbackFrame, key: Hashable, value: Any) -> None:
    frame.derived(key, lambda: value)


def carry_appended(old: FeedbackFrame, delta: FeedbackFrame, merged: FeedbackFrame) -> None:
    """Seed ``merged`` (= ``old`` + ``delta`` appended) with what ``old`` already derived.

    Only values that come out exactly as a computation over ``merged`` would: the mention
    cells and score terms (row-wise), the codes of one segment attribute when the new rows
    bring no new value, period codes when the new rows fall inside the known span, the
    customers (:func:`~feedback_nlp.analytics.customers.extended_customers`) and the orders
    of the durations (:func:`~feedback_nlp.analytics.durations.appended_rankings`).
    """
    for ranked, ranking in appended_rankings(old, delta).items():
        _seed(merged, ranked, ranking)
    offset = old.n_items
    customers = old.kept("customers")
    if isinstance(customers, Customers):
        _seed(merged, "customers", extended_customers(customers, delta))
    cells = old.kept("mention_cells")
    if cells is not None:
        rows, cols = delta.mention_cells()
        merged.derived(
            "mention_cells",
            lambda: (appended(cells[0], rows + offset), appended(cells[1], cols)),
        )
    if delta.units.empty:  # the units did not change: what only they decide holds
        for name in ("pool_cells", "quote_order"):
            kept = old.kept(name)
            if kept is not None:
                _seed(merged, name, kept)
    csr = old.kept("theme_csr")
    if csr is not None:
        _seed(merged, "theme_csr", _appended_csr(csr, delta, merged.n_items))
    terms = old.kept("score_columns")
    if terms is not None:
        added = score_columns(delta)
        merged.derived("score_columns", lambda: appended(terms, added))
    for key, value in list(old._derived.items()):
        if not isinstance(key, tuple) or value is None:
            continue
        if key[0] == "segment_codes" and len(key[1]) == 1:
            codes, labels = value
            values = delta.items[key[1][0]].to_numpy(dtype=object)
            known = pd.notna(values)
            found = pd.Index(labels).get_indexer(values[known])
            if (found < 0).any():
                continue
            new = np.full(delta.n_items, -1, dtype=np.int64)
            new[known] = found
            _seed(merged, key, (appended(codes, new), labels))
        elif key[0] == "period_codes":
            codes, labels = value
            if not labels:
                continue
            new_codes, new_labels = delta.period_codes(key[1])
            if not new_labels:
                shifted = new_codes
            else:
                start = labels.index(new_labels[0]) if new_labels[0] in labels else -1
                if start < 0 or new_labels[-1] not in labels:
                    continue
                shifted = np.where(new_codes >= 0, new_codes + start, -1)
            _seed(
                merged,
                key,
                (appended(codes.astype(np.int64, copy=False), shifted.astype(np.int64)), labels),
            )


#: The item columns each kept value of a frame is computed from, by the name of its key (the
#: first element of a tuple key); the other kept values depend on the units too.
_ITEM_COLUMNS_OF: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "churned", "revenue"),
    "score_columns": ("nps", "csat", "ces", "sentiment"),
    "period_codes": ("created_at",),
}


def _item_columns_of(key: Hashable) -> tuple[str, ...] | None:
    """The item columns the kept value ``key`` depends on (``None``: units too, or unknown)."""
    if isinstance(key, str):
        return _ITEM_COLUMNS_OF.get(key)
    if not isinstance(key, tuple) or not key:
        return None
    if key[0] == "segment_codes":  # ("segment_codes", (attribute, ...))
        return tuple(key[1])
    if key[0] == "duration_rank":  # ("duration_rank", column)
        return (str(key[1]),)
    return _ITEM_COLUMNS_OF.get(key[0])


def replaced_columns(old: FeedbackFrame, rows: pd.DataFrame, target: IntArray) -> set[str]:
    """The item columns of ``old`` whose values at positions ``target`` differ from ``rows``'s.

    ``rows`` has ``old``'s columns, one row per position of ``target``, in that order.
    """
    return {
        name
        for name in old.items.columns
        if not old.items[name]
        .iloc[target]
        .reset_index(drop=True)
        .equals(rows[name].reset_index(drop=True))
    }


def carry_replaced(
    old: FeedbackFrame,
    delta: FeedbackFrame,
    merged: FeedbackFrame,
    target: IntArray,
    changed: set[str] | None = None,
) -> None:
    """Seed ``merged`` with what ``old`` kept that replacing rows ``target`` cannot change.

    ``merged`` is ``old`` with those rows replaced by ``delta``'s, no row added or moved. A
    value computed from item columns only is kept when those columns are equal on the
    replaced rows (a new theme assignment changes units, not items); the mention cells are
    those of the other rows with the replaced rows' new cells in their place. ``changed``: the
    :func:`replaced_columns` of those rows, when the caller has them already.
    """
    if changed is None:
        changed = replaced_columns(old, merged.items.iloc[target], target)
    for key, value in list(old._derived.items()):
        columns = _item_columns_of(key)
        if value is not None and columns is not None and not changed & set(columns):
            _seed(merged, key, value)
    cells = old.kept("mention_cells")
    if cells is not None:
        replaced = np.zeros(merged.n_items, dtype=np.bool_)
        replaced[target] = True
        keep = ~replaced[cells[0]]
        rows, cols = delta.mention_cells()
        new_rows = target[rows]
        order = np.argsort(new_rows, kind="stable")  # by row; each row's themes stay ascending
        new_rows, new_cols = new_rows[order], cols[order]
        kept_rows, kept_cols = cells[0][keep], cells[1][keep]
        at = np.searchsorted(kept_rows, new_rows, side="right")
        _seed(
            merged,
            "mention_cells",
            (
                _frozen(np.insert(kept_rows, at, new_rows)),
                _frozen(np.insert(kept_cols, at, new_cols)),
            ),
        )


def _appended_csr(csr: Any, delta: FeedbackFrame, n_items: int) -> Any:
    """:meth:`~FeedbackFrame.theme_csr` of the merged frame from the old one and ``delta``'s.

    Each theme's row gains the new items that mention it after its old ones, which is the
    item order a new build gives.
    """
    if not delta.mentions.any():
        return type(csr)((csr.data, csr.indices, csr.indptr), shape=(csr.shape[0], n_items))
    from scipy import sparse

    return sparse.hstack([csr, delta.theme_csr()], format="csr")
