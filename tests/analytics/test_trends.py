"""Theme volume per period, spike detection and emerging themes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.trends import POOL, detect_spikes, emerging_themes, theme_trends
from feedback_nlp.errors import InvalidInputError

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


def _themes_weekly(mentions: dict[str, list[int]]):  # type: ignore[no-untyped-def]
    """50 items a week; the first ``mentions[t][w]`` items of week w mention theme t."""
    n_weeks = len(next(iter(mentions.values())))
    items, units = [], []
    for week in range(n_weeks):
        for k in range(PER_WEEK):
            item_id = f"w{week}-{k}"
            items.append(
                {"item_id": item_id, "created_at": MONDAY + pd.Timedelta(days=7 * week + k % 7)}
            )
            mentioned = [t for t, counts in mentions.items() if k < counts[week]]
            units += [{"item_id": item_id, "theme_id": t} for t in mentioned]
    return FeedbackFrame.from_records(items, units)


def test_theme_trends_p_and_q_values_match_hand_values() -> None:
    # Week 4 of a: 6 mentions, none in weeks 0-3 (200 items). Given 6 mentions in all, each
    # falls in week 4 with probability 50 / 250 = 0.2: p = 0.2^6. Week 5: 1 mention, 6 in the
    # baseline (weeks 1-4): p = P(X >= 1 | 7, 0.2) = 1 - 0.8^7. Weeks 2-3 have no mention in
    # their window, fewer than min_count = 5: untested. Two tests: q = p * 2 / rank, monotone.
    trends = theme_trends(_themes_weekly({"a": [0, 0, 0, 0, 6, 1]}), "week")
    assert trends["p_value"].isna().tolist() == [True] * 4 + [False, False]
    p4, p5 = 0.2**6, 1 - 0.8**7
    assert trends["p_value"].tolist()[4:] == pytest.approx([p4, p5])
    assert trends["q_value"].tolist()[4:] == pytest.approx([2 * p4, p5])
    assert trends["spike"].tolist() == [False] * 4 + [True, False]
    assert trends.loc[4, "ratio"] == np.inf  # nothing in the baseline


def test_theme_trends_spike_needs_q_at_most_fdr() -> None:
    # Week 4 of a: 5 of 50 (10%) over a baseline of 1 of 50 a week (2%): ratio 5, 8 points.
    # p = P(X >= 5 | 9, 0.2) = sum_k C(9, k) 0.2^k 0.8^(9-k), k = 5..9
    #   = 0.016515072 + 0.002752512 + 0.000294912 + 0.000018432 + 0.000000512 = 0.01958144;
    # week 5 (1 mention, 8 in weeks 1-4) has p = 1 - 0.8^9 = 0.8658; weeks 2-3 total 3 and 4
    # mentions (< 5): untested. So q = 2 * 0.01958144 = 0.03916288: a spike at FDR 5%, not 3%.
    frame = _themes_weekly({"a": [1, 1, 1, 1, 5, 1]})
    trends = theme_trends(frame, "week")
    assert trends.loc[4, "p_value"] == pytest.approx(0.01958144, abs=1e-9)
    assert trends.loc[4, "q_value"] == pytest.approx(0.03916288, abs=1e-9)
    assert trends.loc[4, "ratio"] == pytest.approx(5.0)
    assert detect_spikes(frame, "week")["period"].tolist() == ["2026-06-29"]
    assert detect_spikes(frame, "week", fdr=0.03).empty


def test_theme_trends_significant_rise_below_the_effect_size_is_no_spike() -> None:
    # In week 4, b goes from 40% to 70%: significant (35 of its 115 mentions in a week that
    # holds 20% of the items; q = 0.031) but only 1.75x its baseline. c doubles from 4% to 8%
    # on 4 mentions: not significant (q = 0.82). Neither is a spike by default; a (10% -> 40%,
    # 4x, 30 points, q = 0.00026) is.
    frame = _themes_weekly(
        {"a": [5, 5, 5, 5, 20, 5], "b": [20, 20, 20, 20, 35, 20], "c": [2, 2, 2, 2, 4, 2]}
    )
    trends = theme_trends(frame, "week").set_index(["period", "theme_id"])
    week4 = trends.xs("2026-06-29")
    assert week4.loc["b", "q_value"] <= 0.05
    assert week4.loc["c", "q_value"] > 0.05
    assert week4.loc["b", "ratio"] == pytest.approx(1.75)
    assert not week4.loc["b", "spike"]
    assert not week4.loc["c", "spike"]
    assert week4.loc["a", "spike"]
    assert detect_spikes(frame, "week")["theme_id"].tolist() == ["a"]
    # a lower ratio bar lets b through; a lift bar above a's 30 points stops a
    assert detect_spikes(frame, "week", min_ratio=1.5)["theme_id"].tolist() == ["a", "b"]
    assert detect_spikes(frame, "week", min_lift=0.31).empty


def test_theme_trends_q_values_correct_across_all_themes_and_periods() -> None:
    # The same rise of a, alone and next to 20 flat themes: more tests, a larger q.
    alone = theme_trends(_themes_weekly({"a": [1, 1, 1, 1, 5, 1]}), "week")
    flat = {f"f{i:02d}": [5] * 6 for i in range(20)}
    crowded = theme_trends(_themes_weekly({"a": [1, 1, 1, 1, 5, 1], **flat}), "week")
    row = crowded[(crowded["theme_id"] == "a") & (crowded["period"] == "2026-06-29")].iloc[0]
    assert row["p_value"] == pytest.approx(alone.loc[4, "p_value"])
    assert row["q_value"] > 0.05  # 82 tests, 0.0196 the smallest p: q = min(1, 82 * 0.0196) = 1
    assert not row["spike"]
    assert crowded["p_value"].notna().sum() == 2 + 20 * 4


@pytest.mark.parametrize(
    ("name", "value"), [("fdr", 0.0), ("fdr", 1.5), ("min_ratio", 0.5), ("min_lift", -0.1)]
)
def test_theme_trends_rejects_bad_spike_parameters(name: str, value: float) -> None:
    with pytest.raises(InvalidInputError, match=f"The '{name}' parameter of theme_trends"):
        theme_trends(_themes_weekly({"a": [1, 1, 1]}), "week", **{name: value})  # type: ignore[arg-type]


def _siblings_weekly() -> FeedbackFrame:
    """50 items a week for 6 weeks; one complaint split over sibling themes s1 and s2.

    s1 has 1 mention in weeks 0 and 2, s2 1 in weeks 1 and 3 (other items); in week 4 s1 is on
    items 0-3 and s2 on items 3-6: 4 mentions each, 7 items (item 3 mentions both).
    """
    items, units = [], []
    for week in range(6):
        for k in range(PER_WEEK):
            item_id = f"w{week}-{k}"
            items.append(
                {"item_id": item_id, "created_at": MONDAY + pd.Timedelta(days=7 * week + k % 7)}
            )
            themes = []
            if (week in (0, 2) and k == 0) or (week == 4 and k <= 3):
                themes.append("s1")
            if (week in (1, 3) and k == 10) or (week == 4 and 3 <= k <= 6):
                themes.append("s2")
            units += [{"item_id": item_id, "theme_id": t} for t in themes]
    return FeedbackFrame.from_records(items, units)


def test_theme_trends_tests_a_parent_of_sibling_themes_as_one_cell() -> None:
    # Week 4: 4 mentions of each sibling (under min_count 5), 7 items mentioning the parent P
    # (item 3 counted once) against 4 in weeks 0-3. Given 11 in all, each lands in week 4 with
    # probability 50 / 250: p = P(X >= 7 | 11, 0.2) = 0.0019654. Tested: s1 and s2 in weeks 4
    # and 5, P in weeks 4 and 5 (weeks 2-3 have under 5 mentions in all). P's week 4 has the
    # smallest p of the 6 tested cells: q = 6 p = 0.0118 (the parent cells are corrected with
    # the theme cells, not apart, which would give 2 p).
    frame = _siblings_weekly()
    assert detect_spikes(frame, "week").empty
    parents = {"s1": "P", "s2": "P"}
    trends = theme_trends(frame, "week", parents=parents)
    assert trends["level"].tolist() == [0] * 12 + [1] * 6
    parent = trends[trends["theme_id"] == "P"].set_index("period")
    assert parent["mentions"].tolist() == [1, 1, 1, 1, 7, 0]
    assert parent.loc["2026-06-29", "p_value"] == pytest.approx(0.0019654, abs=1e-7)
    assert parent.loc["2026-06-29", "q_value"] == pytest.approx(6 * 0.0019654, abs=1e-6)
    assert int(trends["p_value"].notna().sum()) == 6
    themes = trends[trends["level"] == 0].reset_index(drop=True)
    assert themes["p_value"].equals(theme_trends(frame, "week")["p_value"])
    spikes = detect_spikes(frame, "week", parents=parents)
    assert spikes[["period", "theme_id", "level", "mentions"]].values.tolist() == [
        ["2026-06-29", "P", 1, 7]
    ]


def test_theme_trends_skips_parents_of_one_theme_and_rejects_clashing_ids() -> None:
    frame = _siblings_weekly()
    trends = theme_trends(frame, "week", parents={"s1": "P", "s2": "Q"})
    assert (trends["level"] == 0).all()
    assert trends.equals(theme_trends(frame, "week"))
    # a sibling the frame never mentions does not make a group either
    quiet = frame.subset(~frame.mentions[:, frame.theme_position("s2")])
    assert (theme_trends(quiet, "week", parents={"s1": "P", "s2": "P"})["level"] == 0).all()
    with pytest.raises(InvalidInputError, match="parents that are also themes"):
        theme_trends(frame, "week", parents={"s1": "s2", "s2": "s2"})
