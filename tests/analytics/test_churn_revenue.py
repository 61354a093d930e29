"""Churn rate and lift, revenue at risk, the outcome rankings, and the planted-effect check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from feedback_nlp.analytics.churn import churn_by_segment, churn_lift
from feedback_nlp.analytics.customers import customers_of
from feedback_nlp.analytics.durations import duration_effect
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.impact import top_detractor_issues
from feedback_nlp.analytics.ranking import ranked_issues
from feedback_nlp.analytics.revenue import revenue_at_risk, total_revenue_at_risk
from feedback_nlp.errors import InvalidInputError


def _frame(rows: list[dict[str, object]], themes: list[list[str]]) -> FeedbackFrame:
    items = [{"item_id": f"i{k}", **row} for k, row in enumerate(rows)]
    units = [
        {"item_id": f"i{k}", "theme_id": t, "text": f"{t} {k}"}
        for k, ts in enumerate(themes)
        for t in ts
    ]
    return FeedbackFrame.from_records(items, units, theme_ids=["price", "sso", "ui"])


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# Ten customers, one item each: price mentioned by 4 (3 churned), the other 6 (1 churned).
CHURN = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
THEMES = [["price"], ["price"], ["price", "sso"], ["price"], ["sso"], [], [], [], [], ["ui"]]


def test_churn_lift_hand_computed() -> None:
    frame = _frame(
        [{"churned": c, "plan": "a" if k < 5 else "b"} for k, c in enumerate(CHURN)], THEMES
    )
    table = churn_lift(frame).set_index("theme_id")
    price = table.loc["price"]
    assert price[["n_customers", "churned", "n_other", "churned_other"]].tolist() == [4, 3, 6, 1]
    assert price["churn_rate"] == 0.75
    assert price["churn_rate_other"] == pytest.approx(1 / 6)
    assert price["lift"] == pytest.approx(0.75 / (1 / 6))  # 4.5
    assert (price["churn_low"], price["churn_high"]) == pytest.approx(_wilson(3, 4))
    # Smallest expected count 4 * 4 / 10 = 1.6 < 5 -> Fisher. Hypergeometric over a = 0..4:
    # 15, 80, 90, 24, 1 (/ 210); two-sided p sums those <= P(a = 3): (15 + 24 + 1) / 210.
    assert price["test"] == "fisher"
    assert price["p_value"] == pytest.approx(40 / 210)
    # Katz interval on the raw table: se = sqrt(1/3 - 1/4 + 1/1 - 1/6).
    se = np.sqrt(1 / 3 - 1 / 4 + 1 - 1 / 6)
    assert price["lift_low"] == pytest.approx(4.5 * np.exp(-1.959963984540054 * se))
    assert price["lift_high"] == pytest.approx(4.5 * np.exp(1.959963984540054 * se))
    p = table["p_value"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum.accumulate((p[order] * 3 / np.arange(1, 4))[::-1])[::-1]
    assert table["q_value"].to_numpy()[order] == pytest.approx(np.minimum(expected, 1))


def test_churn_counts_each_customer_once() -> None:
    # c1 writes three items (one says churned, one mentions price): one churned customer.
    rows = [
        {"customer_id": "c1", "churned": 0},
        {"customer_id": "c1", "churned": 1},
        {"customer_id": "c1"},
        {"customer_id": "c2", "churned": 0},
        {"churned": 0},  # no customer id: its own customer
    ]
    frame = _frame(rows, [["price"], ["price"], [], ["sso"], ["price"]])
    customers = customers_of(frame)
    assert customers.n == 3
    assert customers.churned.tolist() == [1.0, 0.0, 0.0]
    price = churn_lift(frame).set_index("theme_id").loc["price"]
    assert price[["n_customers", "churned", "n_other", "churned_other"]].tolist() == [2, 1, 1, 0]


def test_churn_by_segment_hand_computed() -> None:
    frame = _frame(
        [{"churned": c, "plan": "a" if k < 5 else "b"} for k, c in enumerate(CHURN)], THEMES
    )
    table = churn_by_segment(frame, "plan").set_index("group")
    assert table.loc["a", ["n_customers", "churned"]].tolist() == [5, 4]
    assert table.loc["b", ["n_customers", "churned"]].tolist() == [5, 0]
    assert table.loc["a", "churn_rate"] == 0.8
    assert (table.loc["b", "churn_low"], table.loc["b", "churn_high"]) == pytest.approx(
        (0.0, _wilson(0, 5)[1])
    )


# A (100, detractor, sso twice), B (50, churned promoter: sso and price), C (200, happy: price),
# D (revenue unknown, detractor: price).
REVENUE_ROWS: list[dict[str, object]] = [
    {"customer_id": "A", "revenue": 100, "nps": 3},
    {"customer_id": "A", "revenue": 100, "nps": 5},
    {"customer_id": "B", "revenue": 50, "nps": 10, "churned": 1},
    {"customer_id": "C", "revenue": 200, "nps": 9, "churned": 0},
    {"customer_id": "D", "nps": 0},
]
REVENUE_THEMES = [["sso"], ["sso"], ["sso", "price"], ["price"], ["price"]]


def test_revenue_at_risk_hand_computed() -> None:
    frame = _frame(REVENUE_ROWS, REVENUE_THEMES)
    assert total_revenue_at_risk(frame) == (150.0, 3, 1)
    table = revenue_at_risk(frame).set_index("theme_id")
    assert table.loc["sso", ["customers_at_risk", "revenue_at_risk"]].tolist() == [2, 150.0]
    assert table.loc["sso", "share_of_revenue_at_risk"] == 1.0
    assert table.loc[
        "price", ["customers_at_risk", "revenue_at_risk", "revenue_unknown"]
    ].tolist() == [
        2,
        50.0,
        1,
    ]
    assert table.loc["price", "share_of_revenue_at_risk"] == pytest.approx(1 / 3)
    assert table.loc["ui", "revenue_at_risk"] == 0.0


def test_ranked_issues_orders_by_each_measure() -> None:
    frame = _frame(REVENUE_ROWS, REVENUE_THEMES)
    by_revenue = ranked_issues(frame, "revenue_at_risk", min_detractors=1)
    assert by_revenue["theme_id"].tolist() == ["sso", "price"]
    assert by_revenue["rank"].tolist() == [1, 2]
    assert {"impact", "churn_lift", "revenue_at_risk", "quotes"} <= set(by_revenue.columns)
    churn_frame = _frame([{"churned": c, "nps": 2} for c in CHURN], THEMES)
    by_churn = ranked_issues(churn_frame, "churn_lift", min_detractors=1)
    assert by_churn["theme_id"].tolist() == ["price", "sso"]  # lifts 4.5 and 2 / (2 / 8) ...
    assert by_churn["churn_lift"].is_monotonic_decreasing
    default = ranked_issues(churn_frame, min_detractors=1)
    assert default.equals(top_detractor_issues(churn_frame, min_detractors=1))
    with pytest.raises(InvalidInputError, match="rank_by"):
        ranked_issues(frame, "volume")


def _planted(n: int, seed: int) -> pd.DataFrame:
    """Items where price raises churn (0.30 vs 0.10) and sso doubles resolution time."""
    rng = np.random.default_rng(seed)
    themes = ["price", "sso", "ui", "docs", "speed"]
    mentions = rng.random((n, len(themes))) < 0.2
    churn = rng.random(n) < np.where(mentions[:, 0], 0.30, 0.10)
    minutes = rng.lognormal(np.log(60.0), 0.8, n) * np.where(mentions[:, 1], 2.0, 1.0)
    items = pd.DataFrame(
        {"item_id": [f"i{k}" for k in range(n)], "churned": churn, "resolution_minutes": minutes}
    )
    cells = np.argwhere(mentions)
    units = pd.DataFrame(
        {
            "item_id": items["item_id"].to_numpy()[cells[:, 0]],
            "theme_id": np.asarray(themes)[cells[:, 1]],
        }
    )
    items.attrs["units"] = units
    return items


def _discoveries(items: pd.DataFrame, fdr: float = 0.05) -> tuple[set[str], set[str]]:
    frame = FeedbackFrame.from_frames(items, items.attrs["units"])
    churn = churn_lift(frame)
    slow = duration_effect(frame, n_resamples=200)
    return (
        set(churn.loc[churn["q_value"] <= fdr, "theme_id"]),
        set(slow.loc[slow["q_value"] <= fdr, "theme_id"]),
    )


def test_planted_effects_are_found_and_permuted_outcomes_find_none() -> None:
    items = _planted(3000, seed=11)
    assert _discoveries(items) == ({"price"}, {"sso"})
    # Shuffling the outcomes over the items breaks every link to the themes. At FDR 0.05 with
    # no true effect, BH makes any discovery at all with probability at most 0.05, so over 20
    # permutations about one may find something by chance; more than 3 (p ~ 0.016 under
    # Binomial(20, 0.05)) would mean the tests are not calibrated.
    rng = np.random.default_rng(12)
    found = np.zeros(2, dtype=np.int64)
    for _ in range(20):
        shuffled = items.copy()
        shuffled.attrs["units"] = items.attrs["units"]
        order = rng.permutation(len(items))
        for column in ("churned", "resolution_minutes"):
            shuffled[column] = items[column].to_numpy()[order]
        churn, slow = _discoveries(shuffled)
        found += [bool(churn), bool(slow)]
    assert found.max() <= 3, found


def test_fisher_chi2_switch_matches_scipy_on_a_large_table() -> None:
    items = _planted(3000, seed=11)
    frame = FeedbackFrame.from_frames(items, items.attrs["units"])
    price = churn_lift(frame).set_index("theme_id").loc["price"]
    table = [
        [price["churned"], price["n_customers"] - price["churned"]],
        [price["churned_other"], price["n_other"] - price["churned_other"]],
    ]
    assert price["test"] == "chi2"
    assert price["p_value"] == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
