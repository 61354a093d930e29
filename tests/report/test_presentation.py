"""What the report and the dashboard show: isolated labels, readable charts, small-corpus notes.

Labels per language are isolated items, the trend chart is small multiples, the spikes table is
cut to the top N with the rest behind a disclosure, and a small corpus carries a warning.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from feedback_nlp.jobs.trust import MIN_MEANINGFUL_ITEMS, MIN_TRUSTED_ITEMS, small_corpus_warning
from feedback_nlp.report import charts
from feedback_nlp.report.html import SPIKES_SHOWN, collect_report, render_report
from feedback_nlp.store import Store, open_store
from tests.report.hand_mined import mine_by_hand


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'report.sqlite3'}")


class _Items(HTMLParser):
    """The children of every ``li.lang-item``: (tag, attributes) in order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[list[tuple[str, dict[str, str | None]]]] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "li" and "lang-item" in (found.get("class") or ""):
            self.items.append([])
            self._depth = 1
        elif self._depth:
            self.items[-1].append((tag, found))
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:  # noqa: ARG002 - every end tag counts
        if self._depth:
            self._depth -= 1


def _finish_mine_job(store: Store, workspace_id: int, n_items: int) -> None:
    job = store.create_job(workspace_id, "mine", {})
    claimed = store.claim_next_job("test")
    assert claimed is not None
    assert claimed.id == job.id
    store.finish_job(job.id, "succeeded", result={"n_items": n_items, "n_themes": 2})


def test_report_labels_per_language_are_isolated_items(store: Store) -> None:
    html = render_report(collect_report(store, mine_by_hand(store)))
    parser = _Items()
    parser.feed(html)
    by_lang = {}
    for children in parser.items:
        tags = [(tag, attrs.get("class"), attrs.get("dir")) for tag, attrs in children]
        assert tags[0] == ("bdi", "lang", "ltr"), tags  # the tag first, left-to-right
        assert tags[1] == ("span", "label", "auto"), tags  # then the label, its own direction
        by_lang[children[1][1].get("lang")] = children
    assert {"ar", "he", "fa", "en"} <= set(by_lang)
    # one list item per language: the Arabic label and the Hebrew tag never share a run
    assert re.search(
        r'<li class="lang-item" data-lang="ar"><bdi class="lang" dir="ltr">ar</bdi> '
        r'<span class="label" dir="auto" lang="ar">التصدير</span></li>',
        html,
    )


def test_report_spikes_table_shows_the_top_n_and_the_rest_behind_a_disclosure(
    store: Store,
) -> None:
    data = collect_report(store, mine_by_hand(store))
    spike = {
        "period": "2026-W19",
        "theme_id": "t_000001",
        "label": "export",
        "mentions": 6,
        "share": 0.4,
        "baseline": 0.1,
        "z": 3.0,
    }
    spikes = [spike | {"period": f"2026-W{19 + i}", "z": 9.0 - i} for i in range(SPIKES_SHOWN + 3)]
    bundle = data.bundle | {"trends": data.bundle["trends"] | {"spikes": spikes}}
    html = render_report(replace(data, bundle=bundle))
    shown, rest = html.split('<details class="more-spikes"', 1)
    section = shown[shown.index('id="emerging"') :]
    assert section.count("<tr><td>2026-W") == SPIKES_SHOWN
    assert f"Show all {SPIKES_SHOWN + 3} spikes (3 more)" in rest
    assert rest.split("</details>", 1)[0].count("<tr><td>2026-W") == 3
    few = {"trends": data.bundle["trends"] | {"spikes": spikes[:2]}}
    assert '<details class="more-spikes"' not in render_report(
        replace(data, bundle=data.bundle | few)
    )


def test_report_trends_are_small_multiples_on_one_scale(store: Store) -> None:
    html = render_report(collect_report(store, mine_by_hand(store)))
    trends = html[html.index('id="trends"') : html.index('id="emerging"')]
    panels = re.findall(r'<figure class="panel" data-theme-id="(t_\d+)"', trends)
    assert panels == ["t_000001", "t_000002"]  # most mentioned first
    assert trends.count('<svg class="chart multiple"') == 2
    assert "same scale" in trends
    assert 'class="chart line"' not in trends  # no more overlapping lines


def test_report_warns_on_a_small_corpus(store: Store) -> None:
    ws = mine_by_hand(store)
    assert collect_report(store, ws).corpus_warning is None  # no mine job: nothing to say
    _finish_mine_job(store, ws, 24)
    data = collect_report(store, ws)
    assert data.corpus_warning == small_corpus_warning(24)
    html = render_report(data)
    assert 'id="corpus-warning"' in html
    assert "Only 24 feedback items were mined" in html
    assert html.index('id="corpus-warning"') < html.index('id="overview"')


@pytest.mark.parametrize(
    ("n_items", "expected"),
    [
        (9, "cannot be trusted"),
        (MIN_MEANINGFUL_ITEMS - 1, "cannot be trusted"),
        (MIN_MEANINGFUL_ITEMS, "provisional"),
        (MIN_TRUSTED_ITEMS - 1, "provisional"),
        (MIN_TRUSTED_ITEMS, None),
        (5000, None),
    ],
)
def test_small_corpus_warning_thresholds(n_items: int, expected: str | None) -> None:
    warning = small_corpus_warning(n_items)
    if expected is None:
        assert warning is None
    else:
        assert warning is not None
        assert expected in warning
        assert f"Only {n_items} feedback items" in warning


def test_charts_are_big_enough_to_read() -> None:
    spark = charts.sparkline([1, 5, 2, 9, 3], title="t")
    assert 'width="140" height="34"' in spark
    assert re.search(r'<circle cx="[\d.]+" cy="3" r="2.5"', spark)  # the peak (9) marked
    dot = charts.interval_chart(20, 10, 30, lower=-100, upper=100, title="NPS")
    assert 'width="320" height="46"' in dot
    assert 'r="7"' in dot
    assert list(re.findall(r">(-?\d+)</text>", dot)) == ["-100", "0", "100"]


def test_charts_small_multiple_shares_the_scale_and_marks_spikes() -> None:
    periods = ["W1", "W2", "W3"]
    low = charts.small_multiple(periods, [1, 2, 1], y_max=10, title="a", marked=[1])
    high = charts.small_multiple(periods, [10, 2, 1], y_max=10, title="b")
    assert ">10</text>" in low  # the shared top, not the panel's own maximum
    assert ">10</text>" in high
    assert low.count('class="spike"') == 1
    assert "spike" not in high
    assert ">W1</text>" in low
    assert ">W3</text>" in low
    with pytest.raises(ValueError, match="one value per period"):
        charts.small_multiple(periods, [1, 2], y_max=2, title="c")
