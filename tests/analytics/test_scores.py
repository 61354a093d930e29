"""NPS, CSAT and CES: hand values, scipy/statsmodels cross-checks, invariants, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from feedback_nlp.analytics.scores import (
    ces,
    csat,
    csat_mean,
    nps,
    nps_categories,
    nps_interval,
)

nps_answers = st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=80)


def test_nps_counts_categories_and_missing_apart() -> None:
    assert nps_categories([10, 9, 8, 7, 6, 0, None]) == (2, 2, 2, 1)
    assert nps_categories(np.array([np.nan, 5.0])) == (0, 0, 1, 1)


def test_nps_matches_hand_computed_adjusted_wald_interval() -> None:
    # 4 promoters, 1 passive, 3 detractors, 2 missing: NPS = (4 - 3) / 8 = 12.5.
    # Adjusted: n' = 11, p+ = 4.75/11, p- = 3.75/11, centre = 1/11 = 9.09;
    # var = (8.5/11 - (1/11)^2) / 11 = 0.069497 -> half = 1.96 * 0.26362 = 0.51669.
    estimate = nps([10, 10, 10, 9, 8, 5, 3, 0, None, None])
    assert estimate.value == pytest.approx(12.5)
    assert estimate.low == pytest.approx(-42.578, abs=1e-3)
    assert estimate.high == pytest.approx(60.760, abs=1e-3)
    assert (estimate.n, estimate.n_missing) == (8, 2)
    assert estimate.method == "adjusted-wald"


def test_nps_interval_is_widened_to_include_an_extreme_observed_score() -> None:
    # One promoter: adjusted centre 25, half-width 73.5 -> [-48.5, 98.5], widened to 100.
    estimate = nps([10])
    assert estimate.value == 100.0
    assert estimate.low == pytest.approx(-48.499, abs=1e-3)
    assert estimate.high == 100.0


def test_nps_ignores_missing_answers_instead_of_counting_zero() -> None:
    with_missing = nps([10, 9, 0, None, None, None])
    without = nps([10, 9, 0])
    assert (with_missing.value, with_missing.low, with_missing.high) == (
        without.value,
        without.low,
        without.high,
    )
    assert with_missing.n_missing == 3


def test_nps_of_no_answers_is_nan_with_counts() -> None:
    estimate = nps([None, None])
    assert np.isnan(estimate.value)
    assert (estimate.n, estimate.n_missing) == (0, 2)
    assert estimate.to_dict()["value"] is None


@given(nps_answers)
def test_nps_stays_in_range_and_its_interval_contains_it(answers: list[int | None]) -> None:
    estimate = nps(answers)
    if estimate.n == 0:
        assert np.isnan(estimate.value)
        return
    assert -100.0 <= estimate.low <= estimate.value <= estimate.high <= 100.0


@given(nps_answers, st.randoms(use_true_random=False))
def test_nps_is_invariant_to_the_order_of_answers(answers: list[int | None], rng) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(answers)
    rng.shuffle(shuffled)
    assert nps(answers).to_dict() == nps(shuffled).to_dict()


def test_nps_interval_is_vectorised_over_groups() -> None:
    value, low, high = nps_interval([4, 0, 1], [1, 0, 0], [3, 0, 0])
    assert value[0] == pytest.approx(12.5)
    assert np.isnan([value[1], low[1], high[1]]).all()
    assert (value[2], high[2]) == (100.0, 100.0)


def test_csat_share_matches_hand_value_and_statsmodels_wilson() -> None:
    estimate = csat([5, 4, 3, 2, None, 5, 1, 4])  # 4 of 7 answers are 4-5
    assert estimate.value == pytest.approx(100 * 4 / 7)
    low, high = proportion_confint(4, 7, alpha=0.05, method="wilson")
    assert estimate.low == pytest.approx(100 * low)
    assert estimate.high == pytest.approx(100 * high)
    assert (estimate.n, estimate.n_missing) == (7, 1)


def test_csat_mean_and_ces_match_scipy_t_interval() -> None:
    values = [5, 4, 4, 3, 2]
    estimate = csat_mean([*values, None])
    ref = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert estimate.value == pytest.approx(3.6)
    assert estimate.low == pytest.approx(ref[0])
    assert estimate.high == pytest.approx(min(ref[1], 5.0))
    effort = ces([2, 3, 7, 6])
    ref = stats.t.interval(0.95, 3, loc=4.5, scale=stats.sem([2, 3, 7, 6]))
    assert effort.value == pytest.approx(4.5)
    assert effort.low == pytest.approx(max(ref[0], 1.0))
    assert effort.high == pytest.approx(min(ref[1], 7.0))


def test_csat_mean_of_one_answer_spans_the_scale() -> None:
    estimate = csat_mean([4])
    assert (estimate.value, estimate.low, estimate.high) == (4.0, 1.0, 5.0)


@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=60))
def test_csat_intervals_contain_their_estimates(answers: list[int | None]) -> None:
    for estimate in (csat(answers), csat_mean(answers)):
        if estimate.n:
            assert estimate.low <= estimate.value + 1e-9
            assert estimate.value <= estimate.high + 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("n", [15, 40, 200])
@pytest.mark.parametrize("shares", [(0.5, 0.3, 0.2), (0.8, 0.15, 0.05), (0.2, 0.2, 0.6)])
def test_nps_interval_coverage_is_close_to_nominal(
    n: int, shares: tuple[float, float, float]
) -> None:
    rng = np.random.default_rng(7)
    draws = rng.multinomial(n, shares, size=20_000)
    truth = 100 * (shares[0] - shares[2])
    _, low, high = nps_interval(draws[:, 0], draws[:, 1], draws[:, 2])
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.985, coverage
