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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.stats import FloatArray

IntArray = npt.NDArray[np.int64]

__all__ = ["Customers", "customers_of", "distinct_pairs"]


@dataclass(frozen=True, slots=True)
class Customers:
    """The customers of a frame: ``code[i]`` is item ``i``'s customer (``0..n-1``)."""

    code: IntArray
    n: int
    churned: FloatArray
    revenue: FloatArray


def customers_of(frame: FeedbackFrame) -> Customers:
    """The customers of ``frame`` (kept with the frame; see the module docstring)."""

    def build() -> Customers:
        n_items = frame.n_items
        if "customer_id" in frame.items.columns:
            codes, uniques = pd.factorize(frame.items["customer_id"], sort=False)
            codes = np.asarray(codes, dtype=np.int64)
            lacking = codes < 0
            codes[lacking] = len(uniques) + np.arange(int(lacking.sum()))
            n = len(uniques) + int(lacking.sum())
        else:
            codes, n = np.arange(n_items, dtype=np.int64), n_items
        churn = frame.outcome("churned")
        known = ~np.isnan(churn)
        said = np.bincount(codes[known], minlength=n)
        left = np.bincount(codes[known], weights=churn[known], minlength=n)
        churned = np.where(said > 0, (left > 0).astype(np.float64), np.nan)
        revenue = np.full(n, -np.inf)
        values = frame.outcome("revenue")
        has = ~np.isnan(values)
        np.maximum.at(revenue, codes[has], values[has])
        revenue = np.where(np.isinf(revenue), np.nan, revenue)
        for array in (codes, churned, revenue):
            array.flags.writeable = False
        return Customers(code=codes, n=n, churned=churned, revenue=revenue)

    return frame.derived("customers", build)


def distinct_pairs(customer: IntArray, group: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """The distinct ``(customer, group)`` pairs of parallel arrays (``group < 0`` dropped)."""
    inside = group >= 0
    width = max(n_groups, 1)
    keys = np.sort(customer[inside] * width + group[inside])
    if keys.size:
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return keys // width, keys % width
