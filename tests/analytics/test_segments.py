"""Over/under-indexing of themes per segment with BH control, and sentiment per segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.segments import (
    segment_sentiment,
    theme_over_index,
    theme_sentiment_by_segment,
)


def _frame(segments: list[str], themes: list[list[str]], **extra: object) -> FeedbackFrame:
    ids = [str(k) for k in range(len(segments))]
    items = pd.DataFrame({"item_id": ids, "seg": segments})
    rows = [
        {"item_id": i, "theme_id": t, **extra}
        for i, ts in zip(ids, themes, strict=True)
        for t in ts
    ]
    units = pd.DataFrame(rows, columns=["item_id", "theme_id", *extra])
    return FeedbackFrame.from_frames(items, units, theme_ids=["x", "y"])


def _planted() -> FeedbackFrame:
    # Segment "a": 100 items, 40 mention x. Segment "b": 300 items, 30 mention x.
    # y: 10% everywhere.
    segments = ["a"] * 100 + ["b"] * 300
    themes = [
        (["x"] if (k < 40 if k < 100 else k < 130) else []) + (["y"] if k % 10 == 0 else [])
        for k in range(400)
    ]
    return _frame(segments, themes)


def test_theme_over_index_counts_and_lift_match_hand_values() -> None:
    table = theme_over_index(_planted(), "seg").set_index(["segment", "theme_id"])
    ax = table.loc[("a", "x")]
    assert (ax["mentions_segment"], ax["n_segment"]) == (40, 100)
    assert (ax["mentions_rest"], ax["n_rest"]) == (30, 300)
    assert ax["lift"] == pytest.approx(0.40 / 0.10)
    assert ax["test"] == "chi2"
    ref = stats.chi2_contingency([[40, 60], [30, 270]], correction=False).pvalue
    assert ax["p_value"] == pytest.approx(ref)
    assert ax["direction"] == "over"
    assert table.loc[("b", "x"), "direction"] == "under"
    assert table.loc[("a", "y"), "direction"] == "none"
    assert table.loc[("a", "y"), "lift"] == pytest.approx(1.0)


def test_theme_over_index_adjusts_all_cells_together_like_statsmodels() -> None:
    table = theme_over_index(_planted(), "seg")
    expected = multipletests(table["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(table["q_value"], expected)


def test_theme_over_index_uses_fisher_for_small_expected_counts() -> None:
    frame = _frame(["a"] * 4 + ["b"] * 16, [["x"]] * 3 + [[]] * 17)
    row = theme_over_index(frame, "seg").set_index(["segment", "theme_id"]).loc[("a", "x")]
    assert row["test"] == "fisher"
    assert row["p_value"] == pytest.approx(stats.fisher_exact([[3, 1], [0, 16]]).pvalue)
    # no mention outside the segment: 0.5 is added to every cell for the lift
    assert row["lift"] == pytest.approx((3.5 / 5) / (0.5 / 17))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans(), st.booleans()),
        min_size=4,
        max_size=80,
    )
)
def test_theme_over_index_lift_intervals_contain_the_lift(rows) -> None:  # type: ignore[no-untyped-def]
    frame = _frame(
        [r[0] for r in rows], [(["x"] if r[1] else []) + (["y"] if r[2] else []) for r in rows]
    )
    table = theme_over_index(frame, "seg").dropna(subset=["lift"])
    assert (table["lift_low"] <= table["lift"] * (1 + 1e-9)).all()
    assert (table["lift"] <= table["lift_high"] * (1 + 1e-9)).all()
    assert ((table["q_value"] >= table["p_value"] - 1e-12) | table["p_value"].isna()).all()


def test_segment_sentiment_matches_hand_means() -> None:
    items = pd.DataFrame(
        {"item_id": ["1", "2", "3"], "seg": ["a", "a", "b"], "sentiment": [0.5, -0.5, 1.0]}
    )
    units = pd.DataFrame(
        {
            "item_id": ["1", "2", "2", "3"],
            "theme_id": ["x", "x", "y", "y"],
            "sentiment": [0.5, -0.8, -0.2, 1.0],
            "label": ["positive", "negative", "negative", "positive"],
        }
    )
    frame = FeedbackFrame.from_frames(items, units)
    table = segment_sentiment(frame, "seg").set_index("segment")
    assert table.loc["a", "sentiment"] == pytest.approx(0.0)
    assert table.loc["a", "share_negative"] == pytest.approx(2 / 3)
    assert table.loc["b", "sentiment_n"] == 1
    cells = theme_sentiment_by_segment(frame, "seg").set_index(["segment", "theme_id"])
    assert cells.loc[("a", "x"), "sentiment"] == pytest.approx(-0.15)
    assert cells.loc[("a", "x"), "n_units"] == 2
    assert cells.loc[("b", "x"), "n_units"] == 0
    assert np.isnan(cells.loc[("b", "x"), "sentiment"])
