"""Theme impact on NPS and the top-detractor-issues ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.impact import impact_from_counts, theme_impact, top_detractor_issues
from feedback_nlp.analytics.scores import nps


def _frame(nps_scores: list[int | None], themes: list[list[str]], **extra: list[object]):  # type: ignore[no-untyped-def]
    ids = [f"i{k}" for k in range(len(nps_scores))]
    items = pd.DataFrame({"item_id": ids, "nps": nps_scores, **extra})
    units = pd.DataFrame(
        [
            {"item_id": i, "theme_id": t, "text": f"{t} from {i}"}
            for i, ts in zip(ids, themes, strict=True)
            for t in ts
        ],
        columns=["item_id", "theme_id", "text"],
    )
    return FeedbackFrame.from_frames(items, units)


# 10 respondents. Mention "bug": nps 7, 2, 4, 0 -> 0 promoters, 1 passive, 3 detractors,
# NPS_T = -75. Others: 10, 10, 9, 9, 8, 5 -> 4 promoters, 1 detractor, NPS_notT = 50.
# Overall: 4 promoters, 4 detractors -> NPS 0. Impact = 0 - 50 = 0.4 * (-75 - 50) = -50.
HAND_NPS: list[int | None] = [7, 2, 4, 0, 10, 10, 9, 9, 8, 5]
HAND_THEMES = [["bug"], ["bug"], ["bug", "price"], ["bug"], [], ["praise"], [], [], [], ["price"]]


def test_theme_impact_matches_hand_computed_counterfactual() -> None:
    table = theme_impact(_frame(HAND_NPS, HAND_THEMES)).set_index("theme_id")
    bug = table.loc["bug"]
    assert bug["nps_mentioning"] == pytest.approx(-75.0)
    assert bug["nps_not_mentioning"] == pytest.approx(50.0)
    assert bug["impact"] == pytest.approx(-50.0)
    assert bug["share_mentioning"] == pytest.approx(0.4)
    # 3 of the 4 detractors and none of the 4 promoters mention it.
    assert (bug["share_of_detractors"], bug["share_of_promoters"]) == (0.75, 0.0)
    assert bug["impact_low"] < -50.0 < bug["impact_high"]
    # price: items 2 (nps 4) and 9 (nps 5) -> NPS_T = -100; others 8: 4 pro, 2 det -> 25
    assert table.loc["price", "impact"] == pytest.approx(0.2 * (-100 - 25))


def test_impact_equals_overall_minus_non_mentioner_nps() -> None:
    frame = _frame(HAND_NPS, HAND_THEMES)
    overall = nps(frame.scores("nps")).value
    table = theme_impact(frame)
    np.testing.assert_allclose(table["impact"], overall - table["nps_not_mentioning"])


def test_impact_delta_interval_matches_hand_variance() -> None:
    # Cells (a+, a0, a-, b+, b0, b-) = (10, 10, 30, 80, 40, 30), n = 200, with 0.5 added:
    # q = cells / 203; m = 51.5/203; y = (80.5 - 30.5)/203; g = (1 - y/(1-m)^2, -y/(1-m)^2,
    # -1 - y/(1-m)^2, -m/(1-m), 0, m/(1-m)); var = (sum q g^2 - (sum q g)^2) / 203.
    cells = np.array([10, 10, 30, 80, 40, 30]) + 0.5
    q = cells / cells.sum()
    m, y = q[:3].sum(), q[3] - q[5]
    s, r = y / (1 - m) ** 2, m / (1 - m)
    g = np.array([1 - s, -s, -1 - s, -r, 0.0, r])
    se = np.sqrt(((q * g**2).sum() - (q * g).sum() ** 2) / cells.sum())
    impact, low, high = impact_from_counts((10, 10, 30), (80, 40, 30))
    assert float(impact) == pytest.approx(100 * 0.25 * (-0.4 - 50 / 150))
    assert float(high - low) == pytest.approx(2 * 1.959964 * 100 * se, rel=1e-6)


def test_impact_delta_standard_error_agrees_with_a_bootstrap() -> None:
    rng = np.random.default_rng(3)
    cells = np.array([30, 20, 50, 250, 100, 50])
    n = cells.sum()
    boot = rng.multinomial(n, cells / n, size=20_000)
    impacts, _, _ = impact_from_counts(boot[:, :3].T, boot[:, 3:].T)
    _, low, high = impact_from_counts(cells[:3], cells[3:])
    delta_se = float(high - low) / (2 * 1.959964)
    assert np.std(impacts) == pytest.approx(delta_se, rel=0.05)


def test_impact_is_zero_for_unmentioned_and_nan_for_universal_themes() -> None:
    impact, low, high = impact_from_counts(([0, 3], [0, 1], [0, 2]), ([5, 0], [1, 0], [2, 0]))
    assert (impact[0], low[0], high[0]) == (0.0, 0.0, 0.0)
    assert np.isnan([impact[1], low[1], high[1]]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 3)), min_size=2, max_size=60))
def test_impacts_of_a_partition_balance_and_intervals_contain_them(rows) -> None:  # type: ignore[no-untyped-def]
    # Every respondent mentions exactly one theme: sum over themes of (1 - m) * impact = 0.
    frame = _frame([r[0] for r in rows], [[f"t{r[1]}"] for r in rows])
    table = theme_impact(frame)
    defined = table["impact"].notna()
    if defined.all():
        weighted = (1 - table["share_mentioning"]) * table["impact"]
        assert weighted.sum() == pytest.approx(0.0, abs=1e-9)
    assert (
        table.loc[defined, "impact"].abs() <= 200 * table.loc[defined, "share_mentioning"] + 1e-9
    ).all()
    assert (table.loc[defined, "impact_low"] <= table.loc[defined, "impact"] + 1e-9).all()
    assert (table.loc[defined, "impact"] <= table.loc[defined, "impact_high"] + 1e-9).all()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10), st.booleans()), min_size=2, max_size=40),
    st.randoms(use_true_random=False),
)
def test_theme_impact_is_invariant_to_item_order(rows, rng) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(rows)
    rng.shuffle(shuffled)
    first = theme_impact(_frame([r[0] for r in rows], [["x"] if r[1] else [] for r in rows]))
    second = theme_impact(
        _frame([r[0] for r in shuffled], [["x"] if r[1] else [] for r in shuffled])
    )
    pd.testing.assert_frame_equal(first, second)


def test_top_detractor_issues_ranks_by_impact_and_quotes_detractors_only() -> None:
    table = top_detractor_issues(_frame(HAND_NPS, HAND_THEMES), min_detractors=1)
    assert table["theme_id"].tolist() == ["bug", "price"]  # praise has a positive impact
    assert table["rank"].tolist() == [1, 2]
    bug_quotes = [q["text"] for q in table.loc[0, "quotes"]]
    # bug is mentioned by i0 (nps 7, passive) and detractors i1, i2, i3: no quote from i0.
    assert sorted(bug_quotes) == ["bug from i1", "bug from i2", "bug from i3"]
    assert table["rank_share_gap"].tolist() == [1, 2]


def test_top_detractor_issues_orders_quotes_by_unit_sentiment() -> None:
    items = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "nps": [1, 2, 3, 10]})
    units = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "theme_id": ["t", "t", "t", None],
            "sentiment": [-0.2, -0.9, -0.5, 0.9],
            "text": ["mild", "worst", "bad", "fine"],
        }
    )
    table = top_detractor_issues(FeedbackFrame.from_frames(items, units), n_quotes=2)
    assert [q["text"] for q in table.loc[0, "quotes"]] == ["worst", "bad"]


def test_top_detractor_issues_respects_min_detractors() -> None:
    table = top_detractor_issues(_frame(HAND_NPS, HAND_THEMES), min_detractors=3)
    assert table["theme_id"].tolist() == ["bug"]


def test_top_detractor_issues_leaves_excluded_themes_out_and_ranks_the_rest() -> None:
    frame = _frame(HAND_NPS, HAND_THEMES)
    full = top_detractor_issues(frame, min_detractors=1)
    table = top_detractor_issues(frame, min_detractors=1, exclude={"bug"})
    assert table["theme_id"].tolist() == ["price"]
    assert table["rank"].tolist() == [1]
    # the numbers of the themes that stay do not depend on the exclusion
    kept = full.loc[full["theme_id"] == "price", ["impact", "impact_low", "impact_high"]]
    assert table[["impact", "impact_low", "impact_high"]].to_numpy().tolist() == (
        kept.to_numpy().tolist()
    )


@pytest.mark.slow
@pytest.mark.parametrize("n", [60, 300])
def test_impact_interval_coverage_is_close_to_nominal(n: int) -> None:
    # Population: 20% mention T; among them 10/20/70% promoters/passives/detractors, among
    # the others 50/30/20%. True impact = 0.2 * ((0.1 - 0.7) - (0.5 - 0.2)) = -18 points.
    shares = np.array([0.2 * 0.1, 0.2 * 0.2, 0.2 * 0.7, 0.8 * 0.5, 0.8 * 0.3, 0.8 * 0.2])
    draws = np.random.default_rng(11).multinomial(n, shares, size=20_000)
    _, low, high = impact_from_counts(draws[:, :3].T, draws[:, 3:].T)
    coverage = np.mean((low <= -18.0) & (high >= -18.0))
    assert 0.93 <= coverage <= 0.98, coverage
