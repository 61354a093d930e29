"""Score tables per segment, theme and period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.analytics.breakdown import scores_by_period, scores_by_segment, scores_by_theme
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.scores import csat, nps

ITEMS = pd.DataFrame(
    {
        "item_id": ["1", "2", "3", "4", "5", "6"],
        "created_at": [
            "2026-06-01",
            "2026-06-02",
            "2026-06-15",
            "2026-06-16",
            "2026-06-16",
            "2026-06-17",
        ],
        "nps": [10, 3, 9, None, 0, 8],
        "csat": [5, 1, None, 4, None, 3],
        "ces": [2, 6, None, None, None, 3],
        "plan": ["free", "free", "pro", "pro", "free", None],
    }
)
UNITS = pd.DataFrame(
    {"item_id": ["1", "2", "2", "3", "5", "6"], "theme_id": ["A", "B", "A", "A", "B", None]}
)


@pytest.fixture
def frame() -> FeedbackFrame:
    return FeedbackFrame.from_frames(ITEMS, UNITS)


def test_scores_by_segment_matches_hand_counts(frame: FeedbackFrame) -> None:
    table = scores_by_segment(frame, "plan").set_index("group")
    # free: items 1, 2, 5 -> nps 10, 3, 0 -> 1 promoter, 2 detractors -> -33.3
    free = table.loc["free"]
    assert free["n_items"] == 3
    assert (free["promoters"], free["passives"], free["detractors"]) == (1, 0, 2)
    assert free["nps"] == pytest.approx(-100 / 3)
    assert (free["csat_n"], free["csat_missing"]) == (2, 1)
    assert free["csat"] == pytest.approx(50.0)
    assert free["ces"] == pytest.approx(4.0)
    # pro: items 3 (nps 9) and 4 (nps missing)
    pro = table.loc["pro"]
    assert (pro["nps_n"], pro["nps_missing"], pro["nps"]) == (1, 1, 100.0)
    assert "None" not in table.index  # item 6 has no plan and is left out


def test_scores_by_segment_agrees_with_the_single_sample_estimates(frame: FeedbackFrame) -> None:
    row = scores_by_segment(frame, "plan").set_index("group").loc["free"]
    expected = nps([10, 3, 0])
    assert (row["nps"], row["nps_low"], row["nps_high"]) == pytest.approx(
        (expected.value, expected.low, expected.high)
    )
    expected_csat = csat([5, 1])
    assert (row["csat_low"], row["csat_high"]) == pytest.approx(
        (expected_csat.low, expected_csat.high)
    )


def test_scores_by_theme_uses_overlapping_groups(frame: FeedbackFrame) -> None:
    table = scores_by_theme(frame).set_index("group")
    # A: items 1, 2, 3 (nps 10, 3, 9); B: items 2, 5 (nps 3, 0)
    assert table.loc["A", "n_items"] == 3
    assert table.loc["A", "nps"] == pytest.approx(100 / 3)
    assert table.loc["B", "nps"] == -100.0


def test_scores_by_period_includes_empty_weeks(frame: FeedbackFrame) -> None:
    table = scores_by_period(frame, "week")
    assert table["group"].tolist() == ["2026-06-01", "2026-06-08", "2026-06-15"]
    assert table["n_items"].tolist() == [2, 0, 4]
    assert np.isnan(table.loc[1, "nps"])


def test_scores_by_segment_of_a_pair_labels_both_values() -> None:
    items = ITEMS.assign(region=["x", "y", "x", "x", "x", "y"])
    table = scores_by_segment(FeedbackFrame.from_frames(items, UNITS), ("plan", "region"))
    assert table["group"].tolist() == ["free|x", "free|y", "pro|x"]
    assert table["n_items"].tolist() == [2, 1, 2]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 10)), st.sampled_from(["a", "b", "c"])),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_scores_by_segment_is_invariant_to_item_order(rows, rng) -> None:  # type: ignore[no-untyped-def]
    items = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(len(rows))],
            "nps": [r[0] for r in rows],
            "seg": [r[1] for r in rows],
        }
    )
    units = pd.DataFrame({"item_id": [], "theme_id": []})
    shuffled = items.sample(frac=1.0, random_state=rng.randint(0, 10_000))
    first = scores_by_segment(FeedbackFrame.from_frames(items, units), "seg")
    second = scores_by_segment(FeedbackFrame.from_frames(shuffled, units), "seg")
    pd.testing.assert_frame_equal(first, second)
    known = first["nps_n"] > 0
    assert (first.loc[known, "nps"].between(-100, 100)).all()
    assert (first.loc[known, "nps_low"] <= first.loc[known, "nps"]).all()
    assert (first.loc[known, "nps"] <= first.loc[known, "nps_high"]).all()
