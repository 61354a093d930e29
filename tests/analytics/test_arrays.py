"""The sort-based distinct values equal ``np.unique``'s, inverse included."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp.analytics.arrays import distinct, distinct_with_inverse


@pytest.mark.parametrize("size", [0, 1, 2, 7, 1000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_distinct_values_and_inverse_are_np_unique(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-3, 12, size)  # duplicates and negatives (-1 = no group)
    np.testing.assert_array_equal(distinct(values), np.unique(values))
    got, inverse = distinct_with_inverse(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(inverse, expected_inverse)
    np.testing.assert_array_equal(got[inverse], values)


def test_distinct_of_nearly_sorted_cells() -> None:
    rows = np.repeat(np.arange(50), 3)
    groups = np.tile([2, 0, 2], 50)  # item-major, unsorted and repeated within an item
    keys = rows * 3 + groups
    np.testing.assert_array_equal(distinct(keys), np.unique(keys))
