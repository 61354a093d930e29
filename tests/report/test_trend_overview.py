"""The trend overview of the report, the API and the dashboard tests parent groups for spikes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.report.bundle import theme_parents
from feedback_nlp.report.html import collect_report, render_report
from feedback_nlp.report.sections import describe_spike_rule, trend_overview
from feedback_nlp.store import open_store
from tests.report.hand_mined import mine_by_hand

MONDAY = pd.Timestamp("2026-06-01", tz="UTC")
LABELS = {"s1": "app crashes", "s2": "crash on start", "P": "app stability"}


def _split_complaint() -> FeedbackFrame:
    """50 items a week for 6 weeks; a complaint split over s1 and s2 rises in week 4.

    s1 and s2 have one mention each in alternate weeks 0-3; in week 4, 4 mentions each on 7
    items: neither theme reaches 5 mentions, their parent has 7 (against 4 before).
    """
    items, units = [], []
    for week in range(6):
        for k in range(50):
            item_id = f"w{week}-{k}"
            items.append(
                {"item_id": item_id, "created_at": MONDAY + pd.Timedelta(days=7 * week + k % 7)}
            )
            if (week in (0, 2) and k == 0) or (week == 4 and k <= 3):
                units.append({"item_id": item_id, "theme_id": "s1"})
            if (week in (1, 3) and k == 10) or (week == 4 and 3 <= k <= 6):
                units.append({"item_id": item_id, "theme_id": "s2"})
    return FeedbackFrame.from_records(items, units)


def test_trend_overview_reports_a_parent_group_spike_with_its_label() -> None:
    frame = _split_complaint()
    alone = trend_overview(frame, "week", LABELS)
    assert alone["spikes"] == []
    assert alone["spike_rule"]["parents"] is False
    overview = trend_overview(frame, "week", LABELS, parents={"s1": "P", "s2": "P"})
    assert [(s["theme_id"], s["level"], s["label"], s["mentions"]) for s in overview["spikes"]] == [
        ("P", 1, "app stability", 7)
    ]
    assert overview["spike_rule"]["parents"] is True
    # the series stay the themes'; a parent is no series of its own
    assert [s["theme_id"] for s in overview["series"]] == ["s1", "s2"]
    assert overview["series"] == alone["series"]


def test_describe_spike_rule_names_the_cells_it_corrects_over() -> None:
    rule = {"window": 4, "threshold": 2.0, "min_count": 5, "fdr": 0.05, "min_ratio": 2.0}
    rule |= {"min_lift": 0.02}
    assert "(Benjamini-Hochberg over every theme × period)" in describe_spike_rule(rule)
    grouped = describe_spike_rule(rule | {"parents": True})
    assert "(Benjamini-Hochberg over every theme and parent group × period)" in grouped


def test_theme_parents_maps_level0_themes_that_have_a_parent() -> None:
    rows = [
        {"theme_id": "t1", "parent_id": "p1"},
        {"theme_id": "t2", "parent_id": None},
        {"theme_id": "t3", "parent_id": "p1"},
    ]
    assert theme_parents(rows) == {"t1": "p1", "t3": "p1"}


def test_report_marks_a_parent_group_spike(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'report.sqlite3'}")
    data = collect_report(store, mine_by_hand(store))
    spike = {"period": "2026-W19", "theme_id": "g", "label": "stability", "mentions": 7}
    spike |= {"share": 0.14, "baseline": 0.02, "z": 5.7, "q_value": 0.01}
    trends = data.bundle["trends"]
    for level, marked in ((1, True), (0, False)):
        bundle = data.bundle | {"trends": trends | {"spikes": [spike | {"level": level}]}}
        html = render_report(replace(data, bundle=bundle))
        row = html[html.index("<tr><td>2026-W19") :].split("</tr>", 1)[0]
        assert ('<span class="group-tag">(theme group)</span>' in row) is marked
