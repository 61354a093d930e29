"""Outcome insights in the bundle, the HTML report and the theme CSV, only when data has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback_nlp.analytics.loader import frame_from_records
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.report.bundle import build_report_bundle
from feedback_nlp.report.csv_tables import THEME_COLUMNS, theme_rows
from feedback_nlp.report.html import collect_report, render_report
from feedback_nlp.report.outcome_csv import OUTCOME_THEME_COLUMNS
from feedback_nlp.store import Store, open_store
from tests.report.cx_data import OUTCOMES, seed_workspace

HOSTILE_LABEL = '<script>alert("x")</script> تأخير'


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'outcomes.sqlite3'}")


def test_bundle_has_outcomes_only_with_outcome_data(store: Store) -> None:
    with_outcomes = seed_workspace(store, outcomes=OUTCOMES)
    without = seed_workspace(store, "plain")
    bundle = build_report_bundle(store, with_outcomes, granularity="month").to_json()
    outcomes = bundle["outcomes"]
    assert outcomes["available"] is True
    assert outcomes["currency"] == "USD"
    assert outcomes["revenue"]["total_at_risk"] == 1750.0
    effect = outcomes["resolution"]["effect"]
    assert effect[0]["theme_id"] == "t1"  # largest effect first: 570 - 25
    assert effect[0]["effect"] == 545.0
    assert build_report_bundle(store, without).to_json()["outcomes"] is None


def test_html_report_shows_outcomes_escaped_only_when_present(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    store.rename_theme(ws, "t1", HOSTILE_LABEL)
    html = render_report(collect_report(store, ws))
    assert 'id="outcomes"' in html
    assert "Revenue at risk" in html
    assert "1750 USD" in html
    assert "<script>" not in html
    assert '<span class="label" dir="auto">&lt;script&gt;alert(&#34;x&#34;)' in html
    plain = seed_workspace(store, "plain")
    assert 'id="outcomes"' not in render_report(collect_report(store, plain))


def _issue_section(html: str) -> str:
    start = html.index('<section id="detractors"')
    return html[start : html.index("</section>", start)]


def test_html_report_issue_list_follows_rank_by(store: Store) -> None:
    # t1: churned d e g of d e f g (lift 3 against 1 of 4), revenue at risk 1700 of 1750 USD
    ws = seed_workspace(store, outcomes=OUTCOMES)
    default = _issue_section(render_report(collect_report(store, ws)))
    assert "<h2>Top detractor issues</h2>" in default
    assert "data-rank-by" not in default
    assert "churn lift" not in default
    churn = _issue_section(render_report(collect_report(store, ws, rank_by="churn_lift")))
    assert 'data-rank-by="churn_lift"' in churn
    assert "<h2>Top issues by churn lift</h2>" in churn
    assert "×3.00" in churn
    assert "3 of 4 customers churned" in churn
    assert "impact <strong" in churn  # the NPS impact is still shown
    revenue = _issue_section(render_report(collect_report(store, ws, rank_by="revenue_at_risk")))
    assert "<h2>Top issues by revenue at risk</h2>" in revenue
    assert "1700 USD</strong>" in revenue
    assert "(97% of all, 4 customers)" in revenue  # d e f (detractors) and g (churned)


def test_theme_csv_gains_outcome_columns(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    frame = frame_from_records(store.analytics_records(ws))
    rows = theme_rows(store.list_themes(ws), frame)
    by_id = {row[0]: dict(zip(THEME_COLUMNS, row, strict=True)) for row in rows}
    t1 = by_id["t1"]
    assert t1["resolution_median_minutes"] == 570.0
    assert t1["churn_rate"] == 0.75
    assert t1["churn_lift"] == 3.0
    assert t1["revenue_at_risk"] == 1700.0
    assert t1["share_of_revenue_at_risk"] == round(1700 / 1750, 4)
    plain = seed_workspace(store, "plain")
    plain_rows = theme_rows(
        store.list_themes(plain), frame_from_records(store.analytics_records(plain))
    )
    for row in plain_rows:
        assert row[-len(OUTCOME_THEME_COLUMNS) :] == [None] * len(OUTCOME_THEME_COLUMNS)


def test_bundle_ranks_issues_by_revenue_at_risk(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    bundle = build_report_bundle(store, ws, rank_by="revenue_at_risk", min_detractors=1)
    issues = bundle.to_json()["top_detractor_issues"]
    assert bundle.rank_by == "revenue_at_risk"
    assert [(i["theme_id"], i["revenue_at_risk"]) for i in issues] == [
        ("t1", 1700.0),
        ("t2", 500.0),
    ]
    with pytest.raises(InvalidInputError, match="rank_by"):
        build_report_bundle(store, ws, rank_by="loudest")
