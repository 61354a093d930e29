"""The report bundle over a tiny stored workspace (values worked out in tests/report/cx_data.py)."""

from __future__ import annotations

import json

import pytest

from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.report.bundle import build_report_bundle
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.html import collect_report, render_report
from feedback_nlp.store import Store
from tests.report.cx_data import seed_other, seed_workspace


def test_bundle_overall_scores_match_hand_values(store: Store) -> None:
    ws = seed_workspace(store)
    bundle = build_report_bundle(store, ws)
    nps = bundle.overall["nps"]
    assert nps["value"] == pytest.approx(0.0)
    assert (nps["n"], nps["n_missing"]) == (7, 1)
    assert nps["ci_low"] == pytest.approx(-53.676, abs=1e-3)  # z = 1.959964
    assert nps["ci_high"] == pytest.approx(53.676, abs=1e-3)
    assert (bundle.overall["promoters"], bundle.overall["detractors"]) == (3, 3)
    csat = bundle.overall["csat"]
    assert csat["value"] == pytest.approx(50.0)
    assert (csat["ci_low"], csat["ci_high"]) == pytest.approx((18.762, 81.238), abs=1e-3)
    assert (bundle.overall["ces"]["value"], bundle.overall["ces"]["n"]) == (5.0, 3)
    assert bundle.counts == {
        "items_total": 8,
        "items": 8,
        "units": 9,
        "units_unassigned": 2,
        "themes": 2,
        "general_unranked": 0,
    }


def test_bundle_top_detractor_issue_has_impact_label_and_quotes(store: Store) -> None:
    ws = seed_workspace(store)
    issues = build_report_bundle(store, ws).top_detractor_issues
    assert [issue["theme_id"] for issue in issues] == ["t1"]
    issue = issues[0]
    assert issue["label"] == "Late delivery"  # the custom label wins over "delivery slow"
    assert issue["impact"] == pytest.approx(-75.0)
    assert issue["nps_mentioning"] == pytest.approx(-100.0)
    assert issue["nps_not_mentioning"] == pytest.approx(75.0)
    assert [q["text"] for q in issue["quotes"]] == [
        "Delivery took three weeks",
        "Parcel never came",
        "Late again",
    ]
    assert [q["item_id"] for q in issue["quotes"]] == ["d", "f", "e"]


def test_bundle_period_filter_restricts_items(store: Store) -> None:
    ws = seed_workspace(store)
    bundle = build_report_bundle(store, ws, ReportFilters.parse(period="2026-09"))
    assert bundle.counts["items"] == 6
    assert bundle.overall["nps"]["value"] == pytest.approx(-100 / 6)
    assert bundle.top_detractor_issues[0]["impact"] == pytest.approx(-250 / 3)
    assert bundle.filters["period"] == "2026-09"
    assert bundle.filters["from"] == "2026-09-01T00:00:00+00:00"


def test_bundle_segments_trends_and_themes(store: Store) -> None:
    ws = seed_workspace(store)
    bundle = build_report_bundle(store, ws, granularity="week")
    assert sorted(bundle.segments) == ["plan", "region"]
    plan = {row["group"]: row for row in bundle.segments["plan"]["scores"]}
    assert plan["enterprise"]["nps"]["value"] == pytest.approx(-100.0)
    assert plan["pro"]["nps"]["value"] == pytest.approx(200 / 3)
    assert (plan["free"]["nps"]["n"], plan["free"]["nps"]["n_missing"]) == (1, 1)
    region = {row["segment"]: row for row in bundle.segments["region"]["sentiment"]}
    assert region["eu"]["sentiment"] == pytest.approx(0.2)  # items a (0.8) and e (-0.4)
    assert region["eu"]["share_negative"] == pytest.approx(1 / 3)
    assert bundle.segments["plan"]["over_index"] == []  # 8 items: nothing is significant
    trends = bundle.trends
    assert trends["periods"] == [
        "2026-08-31",
        "2026-09-07",
        "2026-09-14",
        "2026-09-21",
        "2026-09-28",
    ]
    assert trends["n_items"] == [2, 2, 2, 0, 2]
    series = {row["theme_id"]: row for row in trends["series"]}
    assert series["t1"]["mentions"] == [0, 1, 2, 0, 1]
    assert series["t1"]["label"] == "Late delivery"
    assert trends["emerging"][0]["candidate"] == "(unassigned)"
    assert [t["theme_id"] for t in bundle.themes] == ["t1", "t2"]
    by_theme = {row["group"]: row for row in bundle.scores_by_theme}
    assert by_theme["t2"]["nps"]["value"] == pytest.approx(0.0)
    assert by_theme["t2"]["label"] == "price"


def test_bundle_segment_filter_drops_the_fixed_attribute(store: Store) -> None:
    ws = seed_workspace(store)
    bundle = build_report_bundle(store, ws, ReportFilters.parse(segment=["plan:enterprise"]))
    assert bundle.counts["items"] == 3
    assert bundle.overall["nps"]["value"] == pytest.approx(-100.0)
    assert sorted(bundle.segments) == ["region"]
    # every enterprise respondent mentions t1: no counterfactual, so no ranked issue
    assert bundle.top_detractor_issues == []


def test_bundle_is_workspace_isolated(store: Store) -> None:
    seed_workspace(store)
    other = seed_other(store)
    bundle = build_report_bundle(store, other)
    assert bundle.workspace == "other"
    assert bundle.counts["items_total"] == 2
    assert bundle.overall["nps"]["value"] == pytest.approx(100.0)
    assert bundle.themes == []
    assert bundle.top_detractor_issues == []


def test_bundle_unknown_segment_attribute_is_invalid_input(store: Store) -> None:
    ws = seed_workspace(store)
    with pytest.raises(InvalidInputError, match="'tier' is not a segment attribute"):
        build_report_bundle(store, ws, ReportFilters.parse(segment=["tier:gold"]))


def test_bundle_unknown_workspace_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        build_report_bundle(store, 4242)


def test_bundle_of_an_empty_workspace_has_undefined_scores(store: Store) -> None:
    ws = store.create_workspace("empty").id
    bundle = build_report_bundle(store, ws)
    assert bundle.overall["nps"] == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "n": 0,
        "n_missing": 0,
        "method": "adjusted-wald",
        "confidence": 0.95,
    }
    assert bundle.top_detractor_issues == []
    assert bundle.trends["periods"] == []


def test_bundle_to_json_round_trips_without_nan(store: Store) -> None:
    ws = seed_workspace(store)
    store.rename_theme(ws, "t1", "تأخير التوصيل")
    text = json.dumps(build_report_bundle(store, ws).to_json(), ensure_ascii=False, allow_nan=False)
    assert "تأخير التوصيل" in text
    assert json.loads(text)["top_detractor_issues"][0]["label"] == "تأخير التوصيل"


def test_bundle_cache_reuses_frame_until_data_changes(store: Store) -> None:
    ws = seed_workspace(store)
    cache = FrameCache()
    first = cache.get(store, ws)
    second = cache.get(store, ws)
    assert not first.cached
    assert second.cached
    assert second.frame is first.frame
    seed_other(store)  # another workspace's writes do not invalidate this one
    assert cache.get(store, ws).cached
    from tests.store.factory import item

    store.upsert_feedback(ws, [item("z", nps=0, segments={"plan": "pro"})])
    third = cache.get(store, ws)
    assert not third.cached
    assert third.frame.n_items == 9
    bundle = build_report_bundle(store, ws, cache=cache)
    assert bundle.timings["read"] == 0.0  # served from the cache
    assert bundle.counts["items_total"] == 9


def test_bundle_marks_general_sentiment_themes_and_leaves_them_unranked(store: Store) -> None:
    ws = seed_workspace(store, general=["t1"])
    bundle = build_report_bundle(store, ws)
    assert {row["theme_id"]: row["general"] for row in bundle.themes} == {"t1": True, "t2": False}
    assert "t1" not in [row["theme_id"] for row in bundle.top_detractor_issues]
    assert bundle.counts["general_unranked"] == 1
    every = build_report_bundle(store, ws, include_general=True)
    assert every.top_detractor_issues[0]["theme_id"] == "t1"
    assert every.counts["general_unranked"] == 0
    data = collect_report(store, ws)
    assert data.heatmaps  # plan and region are broken down
    for heatmap in data.heatmaps:
        assert [row.theme_id for row in heatmap.themes] == ["t2"]
    html = render_report(data)
    assert "general sentiment</span>" in html
    assert "General-sentiment themes (1: sentiment but no topic" in html
