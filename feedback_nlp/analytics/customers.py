"""Items grouped into customers, for the outcome analytics that count each customer once.

A customer is the frame's ``customer_id`` when an item has one, else the item itself (so
without customer ids every item is its own customer). Per customer:

* **churned**: 1 when any of their items says churned, 0 when their items say only "not
  churned", unknown (NaN) when none says either;
* **revenue**: the largest known ``revenue`` of their items (the value at stake is a property
  of the customer, usually repeated on each item; summing it over items would count it again
  for every ticket); NaN when none is known;
* **mentions** theme T when any of their items does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import FloatArray

IntArray = npt.NDArray[np.int64]

__all__ = ["Customers", "customers_of", "distinct_pairs", "extended_customers"]

CUSTOMER_ID = "customer_id"


@dataclass(frozen=True, slots=True)
class Customers:
    """The customers of a frame: ``code[i]`` is item ``i``'s customer (``0..n-1``).

    Codes ``0..n_ids-1`` are the distinct customer ids in order of first appearance
    (``ids``); the items without an id follow, one customer each, in item order.
    """

    code: IntArray
    n: int
    churned: FloatArray
    revenue: FloatArray
    ids: npt.NDArray[np.object_]
    n_ids: int
    lookup: _IdLookup = field(default_factory=lambda: _IdLookup(), compare=False, repr=False)


class _IdLookup:
    """``id -> code`` of the first ids of a chain of appended frames, shared along the chain.

    Built on the first append; each append extends it in place when it holds exactly the
    appended-to frame's ids (the usual chain), else the append builds a new one.
    """

    _guard = threading.Lock()

    def __init__(self) -> None:
        self.codes: dict[object, int] | None = None

    def extended(
        self, ids: npt.NDArray[np.object_], n_ids: int, values: list[object]
    ) -> tuple[_IdLookup, npt.NDArray[np.int64], list[object]]:
        """``(lookup of the merged ids, code of each value, the values new to ids)``."""
        with self._guard:
            lookup = self
            if self.codes is None or len(self.codes) != n_ids:
                lookup = self if self.codes is None else _IdLookup()
                lookup.codes = dict(zip(ids.tolist(), range(n_ids), strict=True))
            codes = lookup.codes
            assert codes is not None
            added: list[object] = []
            found = np.empty(len(values), dtype=np.int64)
            for k, value in enumerate(values):
                code = codes.get(value)
                if code is None:
                    code = codes[value] = n_ids + len(added)
                    added.append(value)
                found[k] = code
            return lookup, found, added


def customers_of(frame: FeedbackFrame) -> Customers:
    """The customers of ``frame`` (kept with the frame; see the module docstring)."""

    def build() -> Customers:
        n_items = frame.n_items
        if CUSTOMER_ID in frame.items.columns:
            codes, uniques = pd.factorize(frame.items[CUSTOMER_ID], sort=False)
            codes = np.asarray(codes, dtype=np.int64)
            ids = np.asarray(uniques, dtype=object)
        else:
            codes, ids = np.full(n_items, -1, dtype=np.int64), np.empty(0, dtype=object)
        lacking = codes < 0
        codes[lacking] = ids.size + np.arange(int(lacking.sum()))
        n = ids.size + int(lacking.sum())
        churned = _churned(codes, frame.outcome("churned"), np.full(n, np.nan))
        revenue = _revenue(codes, frame.outcome("revenue"), np.full(n, np.nan))
        return _frozen(Customers(codes, n, churned, revenue, ids, ids.size))

    return frame.derived("customers", build)


def extended_customers(old: Customers, delta: FeedbackFrame) -> Customers:
    """:func:`customers_of` the frame of ``old`` with ``delta``'s items appended, exactly.

    Same codes, churn and revenue as a new factorisation of every item's id, in time linear in
    the customers and the new items. The merged codes are the old ids, the ids new in
    ``delta`` (first appearance), the old items without an id, then ``delta``'s; churn and
    revenue combine exactly (any/max).
    """
    if CUSTOMER_ID in delta.items.columns:
        values = delta.items[CUSTOMER_ID].to_numpy(dtype=object)
    else:
        values = np.full(delta.n_items, None, dtype=object)
    missing = np.asarray(pd.isna(values), dtype=np.bool_)
    found = np.full(delta.n_items, -1, dtype=np.int64)
    lookup, known, first = old.lookup.extended(old.ids, old.n_ids, values[~missing].tolist())
    found[~missing] = known
    n_ids = old.n_ids + len(first)
    old_lacking = old.n - old.n_ids
    found[missing] = n_ids + old_lacking + np.arange(int(missing.sum()))
    shifted = np.where(old.code >= old.n_ids, old.code + len(first), old.code)
    n = n_ids + old_lacking + int(missing.sum())

    def spread(per_customer: FloatArray) -> FloatArray:
        out = np.full(n, np.nan)
        out[: old.n_ids] = per_customer[: old.n_ids]
        out[n_ids : n_ids + old_lacking] = per_customer[old.n_ids :]
        return out

    churned = _churned(found, delta.outcome("churned"), spread(old.churned))
    revenue = _revenue(found, delta.outcome("revenue"), spread(old.revenue))
    ids = np.concatenate([old.ids, np.asarray(first, dtype=object)])
    code = np.concatenate([shifted, found])
    return _frozen(Customers(code, n, churned, revenue, ids, n_ids, lookup))


def _churned(codes: IntArray, churn: FloatArray, base: FloatArray) -> FloatArray:
    """Per customer: 1 (churned), 0 (only "not churned" known) or NaN (nothing known).

    ``base`` is what earlier items said (NaN = nothing); ``churn`` is the items' field.
    """
    known = ~np.isnan(churn)
    said = np.bincount(codes[known], minlength=base.size)
    left = np.bincount(codes[known], weights=churn[known], minlength=base.size)
    value = ((base == 1.0) | (left > 0)).astype(np.float64)
    return np.where(~np.isnan(base) | (said > 0), value, np.nan)


def _revenue(codes: IntArray, values: FloatArray, base: FloatArray) -> FloatArray:
    """Per customer: the largest known revenue of ``base`` and the items' (NaN when none)."""
    largest = np.full(base.size, -np.inf)
    has = ~np.isnan(values)
    np.maximum.at(largest, codes[has], values[has])
    return np.fmax(base, np.where(np.isinf(largest), np.nan, largest))


def _frozen(customers: Customers) -> Customers:
    for array in (customers.code, customers.churned, customers.revenue, customers.ids):
        array.flags.writeable = False
    return customers


def distinct_pairs(customer: IntArray, group: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """The distinct ``(customer, group)`` pairs of parallel arrays (``group < 0`` dropped)."""
    inside = group >= 0
    width = max(n_groups, 1)
    keys = np.sort(customer[inside] * width + group[inside])
    if keys.size:
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return keys // width, keys % width
