"""Theme volume per period, spike detection and emerging themes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.trends import POOL, detect_spikes, emerging_themes, theme_trends

WEEKS = 10
PER_WEEK = 50
MONDAY = pd.Timestamp("2026-06-01", tz="UTC")  # a Monday


def _weekly(mentions_x: list[int], candidates: dict[str, list[int]] | None = None):  # type: ignore[no-untyped-def]
    """50 items a week; the first ``mentions_x[w]`` of week w mention x, every 10th mentions y."""
    items, units = [], []
    for week in range(WEEKS):
        for k in range(PER_WEEK):
            item_id = f"w{week}-{k}"
            items.append(
                {"item_id": item_id, "created_at": MONDAY + pd.Timedelta(days=7 * week + k % 7)}
            )
            if k < mentions_x[week]:
                units.append({"item_id": item_id, "theme_id": "x", "sentiment": -0.5})
            if k % 10 == 9:
                units.append({"item_id": item_id, "theme_id": "y", "sentiment": 0.5})
            for offset, (name, counts) in enumerate((candidates or {}).items()):
                if 20 + 10 * offset <= k < 20 + 10 * offset + counts[week]:
                    units.append({"item_id": item_id, "theme_id": None, "candidate": name})
    return FeedbackFrame.from_records(items, units)


def test_theme_trends_counts_volume_share_and_sentiment_per_week() -> None:
    frame = _weekly([5] * WEEKS)
    trends = theme_trends(frame, "week")
    x = trends[trends["theme_id"] == "x"]
    assert x["period"].tolist()[:2] == ["2026-06-01", "2026-06-08"]
    assert x["mentions"].tolist() == [5] * WEEKS
    assert x["n_items"].tolist() == [PER_WEEK] * WEEKS
    np.testing.assert_allclose(x["share"], 0.1)
    np.testing.assert_allclose(x["sentiment"], -0.5)
    assert not trends["spike"].any()


def test_detect_spikes_flags_a_jump_over_a_flat_baseline_only() -> None:
    frame = _weekly([5] * 8 + [20, 5])
    spikes = detect_spikes(frame, "week", window=4)
    assert spikes[["period", "theme_id"]].values.tolist() == [["2026-07-27", "x"]]
    # Baseline shares 0.1 with sd 0: floor sqrt(p'(1 - p') / 50), p' = 20.5 / 201.
    smoothed = 20.5 / 201
    expected_z = (0.4 - 0.1) / np.sqrt(smoothed * (1 - smoothed) / PER_WEEK)
    assert spikes.loc[0, "z"] == pytest.approx(expected_z)
    assert spikes.loc[0, "baseline"] == pytest.approx(0.1)


def test_detect_spikes_needs_min_count_and_a_baseline() -> None:
    frame = _weekly([0] * 8 + [4, 0])
    assert detect_spikes(frame, "week", min_count=5).empty
    assert not detect_spikes(frame, "week", min_count=3).empty
    early = _weekly([20, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    assert detect_spikes(early, "week").empty  # the first week has no baseline


def test_emerging_themes_flags_a_growing_candidate_and_not_a_steady_one() -> None:
    frame = _weekly([5] * WEEKS, {"E1": [1] * 8 + [8, 9], "E2": [2] * WEEKS})
    table = emerging_themes(frame, "week", recent=2).set_index("candidate")
    assert bool(table.loc["E1", "emerging"])
    assert not bool(table.loc["E2", "emerging"])
    assert table.loc["E1", "counts"] == [1] * 8 + [8, 9]
    assert table.loc["E1", "recent_count"] == 17
    assert table.loc["E1", "growth"] == pytest.approx((17 / 100) / (8 / 400))
    assert table.loc[POOL, "n_units"] == 8 + 17 + 20


def test_emerging_themes_without_candidates_reports_the_pool() -> None:
    frame = _weekly([5] * WEEKS)
    table = emerging_themes(frame, "week")
    assert table["candidate"].tolist() == [POOL]
    assert table.loc[0, "n_units"] == 0
    assert not bool(table.loc[0, "emerging"])
