"""Appending rows in a shared buffer: equal to a concatenation, and never changing an older view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.tails import appended, appended_table, revised


def test_appended_equals_concatenate_for_vectors_matrices_and_objects() -> None:
    vector = np.arange(5, dtype=np.int64)
    matrix = np.eye(3, dtype=np.bool_)
    texts = np.array(["a", None, "c"], dtype=object)
    assert np.array_equal(appended(vector, np.array([7, 8])), [0, 1, 2, 3, 4, 7, 8])
    grown = appended(matrix, np.ones((2, 3), dtype=np.bool_))
    assert np.array_equal(grown, np.concatenate([matrix, np.ones((2, 3), dtype=np.bool_)]))
    assert list(appended(texts, np.array(["d"], dtype=object))) == ["a", None, "c", "d"]


def test_appended_grows_the_newest_array_in_place_and_keeps_older_views() -> None:
    first = appended(np.arange(3, dtype=np.float64), np.array([3.0]))
    second = appended(first, np.array([4.0, 5.0]))
    third = appended(second, np.array([6.0]))
    assert np.shares_memory(first, third)  # no copy: the same buffer, a longer view
    assert list(first) == [0.0, 1.0, 2.0, 3.0]
    assert list(second) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(third) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_appended_to_an_older_array_copies_instead_of_overwriting_a_newer_one() -> None:
    base = appended(np.zeros(2, dtype=np.int64), np.array([1]))
    newer = appended(base, np.array([2, 3]))
    branch = appended(base, np.array([9]))  # the rows after base are newer's
    assert list(newer) == [0, 0, 1, 2, 3]
    assert list(branch) == [0, 0, 1, 9]
    assert not np.shares_memory(branch, newer)


def test_appended_copies_when_the_buffer_is_full() -> None:
    grown = appended(np.zeros(0, dtype=np.int64), np.arange(10))
    start = grown
    while np.shares_memory(grown, start):
        grown = appended(grown, np.arange(100))
    assert grown.shape == (10 + 100 * ((grown.size - 10) // 100),)
    assert np.array_equal(grown[:10], np.arange(10))
    assert np.array_equal(grown[-100:], np.arange(100))


def test_appended_returns_read_only_arrays() -> None:
    grown = appended(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match="read-only"):
        grown[0] = 5


def test_appended_of_different_dtypes_is_their_concatenation() -> None:
    grown = appended(np.arange(2, dtype=np.int64), np.array([0.5]))
    assert grown.dtype == np.float64
    assert list(grown) == [0.0, 1.0, 0.5]


def test_appended_rejects_rows_of_another_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        appended(np.zeros((2, 3)), np.zeros((1, 4)))


def test_revised_copies_changes_rows_and_then_grows_in_place() -> None:
    old = appended(np.zeros((3, 2), dtype=np.bool_), np.zeros((1, 2), dtype=np.bool_))
    changed = revised(old, np.array([1, 3]), np.ones((2, 2), dtype=np.bool_))
    assert not old.any()  # the older array is untouched
    assert changed.tolist() == [[False, False], [True, True], [False, False], [True, True]]
    grown = appended(changed, np.ones((1, 2), dtype=np.bool_))
    assert np.shares_memory(grown, changed)
    assert grown.shape == (5, 2)


def test_appended_table_equals_concat_and_keeps_the_datetime_type() -> None:
    old = pd.DataFrame(
        {
            "item": np.arange(3, dtype=np.int64),
            "text": pd.Series(["a", None, "c"], dtype=object),
            "at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"], utc=True),
        }
    )
    new = old.iloc[:2].reset_index(drop=True)
    grown = appended_table(old, new)
    pd.testing.assert_frame_equal(grown, pd.concat([old, new], ignore_index=True))
    again = appended_table(grown, new)
    assert np.shares_memory(again["item"].to_numpy(), grown["item"].to_numpy())
