"""The vectorised statistics, against hand values and scipy/statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from feedback_nlp.analytics.stats import (
    benjamini_hochberg,
    check_confidence,
    log_ratio_interval,
    mean_interval,
    rate_increase_test,
    risk_ratio,
    two_by_two_test,
    wilson_interval,
)
from feedback_nlp.errors import InvalidInputError


def test_wilson_interval_matches_hand_value_and_statsmodels() -> None:
    # 8 of 10, z = 1.959964: centre = (0.8 + z^2/20) / (1 + z^2/10) = 0.7305,
    # half = z * sqrt(0.016 + z^2/400) / (1 + z^2/10) = 0.2290 -> [0.4902, 0.9433].
    low, high = wilson_interval(8, 10)
    assert float(low) == pytest.approx(0.4902, abs=1e-4)
    assert float(high) == pytest.approx(0.9433, abs=1e-4)
    k = np.array([0, 1, 5, 20, 7])
    n = np.array([3, 10, 5, 40, 100])
    low, high = wilson_interval(k, n, 0.9)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.1, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)


def test_wilson_interval_is_nan_for_empty_groups() -> None:
    low, high = wilson_interval([0], [0])
    assert np.isnan(low).all()
    assert np.isnan(high).all()


def test_mean_interval_matches_scipy_t_interval() -> None:
    values = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    mean, low, high = mean_interval(values.sum(), (values**2).sum(), values.size)
    ref = stats.t.interval(0.95, values.size - 1, loc=values.mean(), scale=stats.sem(values))
    assert float(mean) == pytest.approx(2.6)
    assert float(low) == pytest.approx(ref[0])
    assert float(high) == pytest.approx(ref[1])


def test_mean_interval_clips_to_bounds_and_spans_scale_for_one_value() -> None:
    mean, low, high = mean_interval([4.0, 5.0], [16.0, 25.0], [1, 1], bounds=(1.0, 5.0))
    np.testing.assert_allclose(mean, [4.0, 5.0])
    np.testing.assert_allclose(low, [1.0, 1.0])
    np.testing.assert_allclose(high, [5.0, 5.0])
    _, low, high = mean_interval(9.5, 45.25, 2, bounds=(1.0, 5.0))  # values 4.5 and 5
    assert float(high) == 5.0
    assert float(low) < 4.75


def test_two_by_two_test_uses_chi2_for_large_and_fisher_for_small_tables() -> None:
    p, names = two_by_two_test([30, 2], [70, 8], [20, 9], [80, 1])
    assert list(names) == ["chi2", "fisher"]
    chi2_ref = stats.chi2_contingency([[30, 70], [20, 80]], correction=False).pvalue
    fisher_ref = stats.fisher_exact([[2, 8], [9, 1]]).pvalue
    assert p[0] == pytest.approx(chi2_ref)
    assert p[1] == pytest.approx(fisher_ref)


def test_two_by_two_test_chi2_equals_two_proportion_z_test() -> None:
    # 30/100 vs 20/100: pooled 0.25, z = 0.1 / sqrt(0.25 * 0.75 * 0.02) = 1.63299.
    p, _ = two_by_two_test(30, 70, 20, 80)
    assert float(p) == pytest.approx(2 * stats.norm.sf(1.632993), rel=1e-5)


def test_two_by_two_test_has_no_test_for_an_empty_margin() -> None:
    p, names = two_by_two_test([0], [10], [0], [12])
    assert np.isnan(p[0])
    assert names[0] == "none"


def test_risk_ratio_interval_matches_statsmodels_table2x2() -> None:
    lift, se = risk_ratio(30, 100, 20, 100)
    low, high = log_ratio_interval(lift, se)
    ref = Table2x2(np.array([[30, 70], [20, 80]]))
    assert float(lift) == pytest.approx(1.5)
    assert float(low) == pytest.approx(ref.riskratio_confint()[0])
    assert float(high) == pytest.approx(ref.riskratio_confint()[1])


def test_risk_ratio_adds_half_to_every_cell_when_a_count_is_zero() -> None:
    lift, se = risk_ratio(0, 10, 5, 20)
    # (0.5 / 11) / (5.5 / 21) = 0.17355; se^2 = 1/0.5 - 1/11 + 1/5.5 - 1/21
    assert float(lift) == pytest.approx((0.5 / 11) / (5.5 / 21))
    assert float(se) == pytest.approx(np.sqrt(2 - 1 / 11 + 1 / 5.5 - 1 / 21))


def test_benjamini_hochberg_matches_hand_values() -> None:
    # m = 4: p * m / rank = 0.04, 0.04, 0.04, 0.5 -> running minimum from the top.
    q = benjamini_hochberg([0.01, 0.02, 0.03, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.04, 0.04, 0.5])
    q = benjamini_hochberg([0.04, 0.01, np.nan, 0.03])
    np.testing.assert_allclose(q, [0.04, 0.03, np.nan, 0.04])


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60))
def test_benjamini_hochberg_matches_statsmodels_and_is_monotone(p_values: list[float]) -> None:
    p = np.asarray(p_values)
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, multipletests(p, method="fdr_bh")[1], atol=1e-12)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)
    assert np.all(q >= p - 1e-15)
    assert np.all(q <= 1.0)


def test_benjamini_hochberg_keeps_shape_of_a_table() -> None:
    p = np.array([[0.01, 0.2], [0.03, np.nan]])
    q = benjamini_hochberg(p)
    assert q.shape == (2, 2)
    np.testing.assert_allclose(q.ravel()[:3], multipletests([0.01, 0.2, 0.03], method="fdr_bh")[1])


@pytest.mark.parametrize("bad", [0, 1.0, 1.5, "0.95", True])
def test_check_confidence_rejects_values_outside_the_open_unit_interval(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="'confidence' parameter"):
        check_confidence("nps", bad)


@pytest.mark.parametrize("good", [0.5, 0.95, np.float64(0.99)])
def test_check_confidence_returns_a_plain_float(good: object) -> None:
    value = check_confidence("nps", good)
    assert value == float(good)  # type: ignore[arg-type]
    assert type(value) is float


def test_check_confidence_reads_the_shared_message() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_confidence("nps", 1.0)
    assert str(caught.value).endswith(
        "The 'confidence' parameter of nps must be a float in the range (0.0, 1.0). "
        "Got 1.0 instead."
    )


def test_rate_increase_test_matches_hand_values() -> None:
    # 3 events in 10 vs 0 in 10: all 3 fall in the tested half, P = 0.5^3. 1 vs 1 in equal
    # groups: P(X >= 1 | 2, 0.5) = 0.75. No event at all, or an empty group: no test.
    p = rate_increase_test([3, 1, 0, 2, 2], [10, 5, 5, 0, 5], [0, 1, 0, 1, 1], [10, 5, 5, 5, 0])
    np.testing.assert_allclose(p[:2], [0.125, 0.75])
    assert np.isnan(p[2:]).all()


def test_rate_increase_test_matches_statsmodels_exact_conditional_test() -> None:
    cases = [(5, 64, 5, 207), (13, 64, 13, 207), (0, 50, 6, 200), (20, 50, 20, 200)]
    ours = rate_increase_test(*(np.array(column) for column in zip(*cases, strict=True)))
    for (count, n, base, base_n), p in zip(cases, ours, strict=True):
        ref = poisson_2indep(count, n, base, base_n, method="exact-cond", alternative="larger")
        assert p == pytest.approx(ref.pvalue, rel=1e-9)
