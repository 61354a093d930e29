"""Outcome columns of the frame, the order-statistic bootstrap, durations and theme effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from feedback_nlp.analytics.bootstrap import (
    bootstrap_quantiles,
    check_resamples,
    percentile_interval,
    sort_groups,
)
from feedback_nlp.analytics.durations import duration_effect, durations_by, mann_whitney_by_theme
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.outcomes import has_outcomes, outcome_availability
from feedback_nlp.errors import InvalidInputError

MINUTES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def _frame(**columns: list[object]) -> FeedbackFrame:
    """Ten items i0..i9 created over five days from 2026-09-01; sso: i0..i3, bill: i3..i9."""
    n = len(next(iter(columns.values()))) if columns else len(MINUTES)
    ids = [f"i{k}" for k in range(n)]
    created = [f"2026-09-0{1 + k % 5}" for k in range(n)]
    items = pd.DataFrame({"item_id": ids, "created_at": created, **columns})
    units = [{"item_id": f"i{k}", "theme_id": "sso"} for k in range(min(4, n))]
    units += [{"item_id": f"i{k}", "theme_id": "bill"} for k in range(3, n)]
    return FeedbackFrame.from_records(items.to_dict(orient="records"), units)


# --- frame columns ------------------------------------------------------------------------


def test_frame_outcome_columns_are_parsed_and_not_segments() -> None:
    frame = _frame(
        resolution_minutes=[1.5, None, *MINUTES[2:]],
        churned=[True, False, None, 1, 0, 1, 0, 0, 0, 0],
        revenue=[100, 0, *([None] * 8)],
        customer_id=["c1", None, *(f"c{k}" for k in range(8))],
        plan=["pro"] * 10,
    )
    assert frame.segments == ("plan",)
    assert frame.outcome("resolution_minutes")[:2].tolist()[0] == 1.5
    assert np.isnan(frame.outcome("resolution_minutes")[1])
    assert frame.outcome("churned")[:5].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(frame.outcome("churned")[2])
    assert frame.items["customer_id"].iloc[1] is None
    assert np.isnan(frame.outcome("first_response_minutes")).all()  # absent column
    assert outcome_availability(frame) == {
        "resolution": True,
        "first_response": False,
        "churn": True,
        "revenue": True,
    }
    kept = frame.subset(np.arange(10) >= 5)
    assert kept.outcome("resolution_minutes").tolist() == [60, 70, 80, 90, 100]


def test_frame_reads_churned_as_text() -> None:
    frame = _frame(churned=["true", "False", " yes ", "no", "1", 0, None, np.nan, "TRUE", True])
    values = frame.outcome("churned")
    assert values[:6].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert np.isnan(values[6:8]).all()
    assert values[8:].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("resolution_minutes", -1, "resolution_minutes"),
        ("first_response_minutes", "soon", "must be a number"),
        ("churned", 2, "true/false"),
        ("revenue", -0.5, "revenue"),
    ],
)
def test_frame_rejects_bad_outcome_values(column: str, value: object, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        _frame(**{column: [value, *([None] * 9)]})


def test_frame_without_outcomes_has_none() -> None:
    frame = _frame(nps=[5] * 10)
    assert not has_outcomes(frame)
    assert "revenue" not in frame.items.columns
    with pytest.raises(InvalidInputError, match="outcome column"):
        frame.outcome("customer_id")


# --- bootstrap ----------------------------------------------------------------------------


def test_sorted_group_quantiles_match_numpy_linear() -> None:
    groups = sort_groups([40, 10, 30, 20, 7, np.nan], [0, 0, 0, 0, 2, 0], 3)
    assert groups.sizes.tolist() == [4, 0, 1]
    # [10, 20, 30, 40]: median (20 + 30) / 2; p90: h = 3 * 0.9 = 2.7 -> 30 + 0.7 * 10.
    assert groups.quantiles(0.5)[[0, 2]].tolist() == [25.0, 7.0]
    assert groups.quantiles(0.9)[0] == pytest.approx(37.0)
    assert np.isnan(groups.quantiles(0.5)[1])


def test_bootstrap_is_reproducible_and_depends_on_seed() -> None:
    groups = sort_groups(MINUTES, [0] * 10, 1)
    first = bootstrap_quantiles(groups, 0.5, 500, np.random.default_rng(7))
    again = bootstrap_quantiles(groups, 0.5, 500, np.random.default_rng(7))
    other = bootstrap_quantiles(groups, 0.5, 500, np.random.default_rng(8))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    # Every resampled median is a data value or the mean of two.
    assert set(np.unique(first * 2) % 10) == {0.0}


def test_bootstrap_edge_groups() -> None:
    groups = sort_groups([5.0], [1], 2)
    draws = bootstrap_quantiles(groups, 0.9, 50, np.random.default_rng(0))
    low, high = percentile_interval(draws, 0.95)
    assert np.isnan(low[0])
    assert np.isnan(high[0])
    assert (low[1], high[1]) == (5.0, 5.0)
    with pytest.raises(InvalidInputError, match="n_resamples"):
        check_resamples("x", 5)


@pytest.mark.parametrize("bad", [9, 10.0, True, np.int64(9), None])
def test_check_resamples_rejects_fewer_than_ten_or_non_ints(bad: object) -> None:
    with pytest.raises(InvalidInputError, match=r"must be an int in the range \[10, inf\]"):
        check_resamples("durations_by", bad)


def test_check_resamples_returns_a_plain_int() -> None:
    value = check_resamples("durations_by", np.int64(10))
    assert value == 10
    assert type(value) is int


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_bootstrap_matches_brute_force_resampling(p: float) -> None:
    data = np.random.default_rng(3).exponential(60.0, size=31).round()
    groups = sort_groups(data, np.zeros(31, dtype=np.int64), 1)
    draws = bootstrap_quantiles(groups, p, 40_000, np.random.default_rng(1))[0]
    index = np.random.default_rng(2).integers(0, 31, size=(40_000, 31))
    brute = np.quantile(data[index], p, axis=1)
    # Same distribution: same support and close probabilities of every resampled value.
    values = np.union1d(draws, brute)
    ours = np.searchsorted(np.sort(draws), values, side="right") / draws.size
    theirs = np.searchsorted(np.sort(brute), values, side="right") / brute.size
    assert np.abs(ours - theirs).max() < 0.015


# --- durations ----------------------------------------------------------------------------


def test_durations_by_theme_hand_computed() -> None:
    table = durations_by(_frame(resolution_minutes=MINUTES), n_resamples=200).set_index("group")
    # sso: 10, 20, 30, 40; bill: 40..100 (7 values, median 70, p90 = 90 + 0.4 * 10).
    assert table.loc["sso", ["n", "median", "p90"]].tolist() == [4, 25.0, 37.0]
    assert table.loc["bill", ["n", "median", "p90"]].tolist() == [7, 70.0, 94.0]
    for theme in ("sso", "bill"):
        row = table.loc[theme]
        assert row["median_low"] <= row["median"] <= row["median_high"]
        assert row["p90_low"] <= row["p90"] <= row["p90_high"]
    assert (table["median_low"] >= 10).all()
    assert (table["p90_high"] <= 100).all()


def test_durations_count_missing_and_group_by_period_and_segment() -> None:
    minutes: list[object] = [*MINUTES[:9], None]
    frame = _frame(first_response_minutes=minutes, plan=["a"] * 5 + ["b"] * 5)
    by_day = durations_by(frame, "day", column="first_response_minutes", n_resamples=100)
    # Day 1 holds i0 (10) and i5 (60); day 5 holds i4 (50) and i9 (missing).
    assert by_day["group"].tolist()[0] == "2026-09-01"
    assert by_day.loc[0, ["n", "n_missing", "median"]].tolist() == [2, 0, 35.0]
    assert by_day.loc[4, ["n", "n_missing", "median"]].tolist() == [1, 1, 50.0]
    by_plan = durations_by(frame, "plan", column="first_response_minutes", n_resamples=100)
    assert by_plan.set_index("group")["median"].to_dict() == {
        "a": 30.0,
        "b": 75.0,
    }  # b: 60, 70, 80, 90 (i9 missing)


def test_durations_are_reproducible_with_a_seed() -> None:
    minutes = np.random.default_rng(0).exponential(60.0, size=300).tolist()
    frame = _frame(resolution_minutes=minutes)
    first = durations_by(frame, seed=5, n_resamples=300)
    assert first.equals(durations_by(frame, seed=5, n_resamples=300))
    assert not first.equals(durations_by(frame, seed=6, n_resamples=300))


def test_duration_effect_hand_computed() -> None:
    frame = _frame(resolution_minutes=MINUTES)
    table = duration_effect(frame, n_resamples=500).set_index("theme_id")
    sso = table.loc["sso"]
    # sso: median 25 vs the others 50..100: median 75 -> effect -50.
    assert sso[["n_mentioning", "n_other", "median_mentioning", "median_other"]].tolist() == [
        4,
        6,
        25.0,
        75.0,
    ]
    assert sso["effect"] == -50.0
    assert sso["effect_low"] <= -50.0 <= sso["effect_high"] < 0
    # U = 0 (every sso item is faster); mu = 4 * 6 / 2 = 12, sigma = sqrt(4 * 6 * 11 / 12),
    # z = (24 - 12 - 0.5) / sigma, p = 2 * (1 - Phi(z)).
    z = (24 - 12 - 0.5) / np.sqrt(4 * 6 * 11 / 12)
    assert sso["u"] == 0.0
    assert sso["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert table.loc["bill", "effect"] == 70.0 - 20.0
    # BH over the two themes: the larger p stays, the smaller becomes min(2 p, larger).
    p = table["p_value"].to_numpy()
    assert table["q_value"].tolist() == pytest.approx([max(p), max(p)])


def test_mann_whitney_matches_scipy_with_ties() -> None:
    minutes = [5, 5, 7, 30, 30, 30, 9, 12, 5, 60]
    frame = _frame(resolution_minutes=minutes)
    u, _, p = mann_whitney_by_theme(frame)
    sso, rest = minutes[:4], minutes[4:]
    expected = stats.mannwhitneyu(sso, rest, method="asymptotic")
    position = frame.theme_position("sso")
    assert u[position] == pytest.approx(expected.statistic)
    assert p[position] == pytest.approx(expected.pvalue)


def test_duration_effect_without_data_has_no_test() -> None:
    table = duration_effect(_frame(nps=[1] * 10), n_resamples=20)
    assert (table["test"] == "none").all()
    assert table["effect"].isna().all()
    assert table["q_value"].isna().all()
