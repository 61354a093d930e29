"""The HTML report: escaping of hostile text, dir="auto" on quotes, no external resources.

The workspace is real (SQLite store, a mining run written through ``Store.save_mining`` by hand,
as in tests/store/test_themes.py), so the report goes through the bundle and the analytics
unchanged; no model is loaded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from feedback_nlp.report import charts
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.html import collect_report, render_report, write_report
from feedback_nlp.store import Store, open_store
from tests.report.hand_mined import HOSTILE, TEXTS, mine_by_hand


class _Elements(HTMLParser):
    """Start tags with their attributes, and whether a <script> element occurs."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'report.sqlite3'}")


def test_html_report_escapes_hostile_text(store: Store) -> None:
    html = render_report(collect_report(store, mine_by_hand(store)))
    assert HOSTILE not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=alert(2)>" not in html  # the hostile segment value stays an attribute-free text
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert not any(tag in {"script", "img", "iframe"} for tag, _ in _elements(html))


def test_html_report_quotes_and_labels_carry_dir_auto_and_lang(store: Store) -> None:
    html = render_report(collect_report(store, mine_by_hand(store)))
    elements = _elements(html)
    quotes = [attrs for tag, attrs in elements if tag == "blockquote"]
    # the detractor issue of t_000001 shows 3 quotes from detractors; the theme table shows the
    # representative quotes of t_000001 (one per language, 4) and t_000002 (1)
    assert len(quotes) == 3 + 4 + 1
    assert all(attrs.get("dir") == "auto" for attrs in quotes)
    assert all(attrs.get("lang") in TEXTS for attrs in quotes[:3])  # the language of the item
    assert sorted(attrs.get("lang") or "" for attrs in quotes[3:]) == ["ar", "en", "en", "fa", "he"]
    labels = [attrs for _, attrs in elements if "label" in (attrs.get("class") or "").split()]
    assert labels
    assert all(attrs.get("dir") == "auto" for attrs in labels)
    # the theme table lists the label of every language, each tagged with its language
    for lang, text in {"ar": "التصدير", "he": "ייצוא", "fa": "خروجی"}.items():
        assert f'<span class="label" dir="auto" lang="{lang}">{text}</span>' in html


def test_html_report_requests_nothing_external(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_report(store, mine_by_hand(store), path)
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert not re.search(r"(?i)<link\b|@import|url\(", html)
    sources = [attrs for _, attrs in _elements(html) if "src" in attrs or "href" in attrs]
    assert sources == []
    assert "default-src 'none'" in html  # the CSP meta forbids every request
    assert "<svg" in html  # the charts are inline


def test_html_report_renders_an_empty_workspace(store: Store, tmp_path: Path) -> None:
    ws = store.create_workspace("empty").id
    path = tmp_path / "empty.html"
    data = write_report(store, ws, path)
    html = path.read_text(encoding="utf-8")
    assert data.bundle["counts"]["items"] == 0
    assert html.startswith("<!doctype html>")
    assert "No themes yet" in html
    assert "No theme lowers NPS" in html
    assert "no dated feedback" in html


def test_html_report_filters_by_segment(store: Store) -> None:
    ws = mine_by_hand(store)
    data = collect_report(store, ws, ReportFilters.parse(segment=["plan:free"]))
    assert data.bundle["counts"]["items"] == 8
    assert [row.theme_id for row in data.themes if row.n_items] == ["t_000002"]
    html = render_report(data)
    assert "plan=free" in html


def test_html_report_heatmap_marks_significant_cells(store: Store) -> None:
    data = collect_report(store, mine_by_hand(store))
    plan = next(hm for hm in data.heatmaps if hm.attribute == "plan")
    cells = {value: cells for value, _, cells in plan.rows}
    # every pro respondent mentions t_000001 and no free one does: 16/16 vs 0/8 (Fisher,
    # p = 1/C(24,8) ~ 1.4e-6): over-indexed and significant.
    pro_t1 = cells["pro"][[t.theme_id for t in plan.themes].index("t_000001")]
    assert pro_t1.significant
    assert pro_t1.direction == "over"
    html = render_report(data)
    assert 'class="cell sig over"' in html


def test_charts_line_chart_rejects_ragged_series() -> None:
    with pytest.raises(ValueError, match="series 0 has 1 values for 2 periods"):
        charts.line_chart(["a", "b"], [[1.0]], title="t")


def test_charts_escape_their_text() -> None:
    svg = charts.line_chart([HOSTILE], [[1.0]], title=HOSTILE)
    assert HOSTILE not in svg
    assert "&lt;script&gt;" in svg


def test_charts_heat_color_saturates_and_fades() -> None:
    assert charts.heat_color(None, significant=True) == "rgb(245,245,245)"
    # full strength at |log 4|: the target colours themselves
    assert charts.heat_color(10.0, significant=True) == "rgb(230,97,1)"
    assert charts.heat_color(-10.0, significant=True) == "rgb(33,102,172)"
    # not significant: 35% of the way from white, 255 + (230 - 255) * 0.35 = 246.25 -> 246
    assert charts.heat_color(10.0, significant=False) == "rgb(246,200,166)"


def test_cli_report_html_writes_the_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from feedback_nlp.cli import app

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    mine_by_hand(open_store(url))
    out = tmp_path / "out.html"
    env = {"FEEDBACK_NLP_DATABASE__URL": url, "FEEDBACK_NLP_VAR_DIR": str(tmp_path)}
    done = CliRunner().invoke(
        app, ["report", "--workspace", "acme", "--segment", "plan:pro", "--html", str(out)], env=env
    )
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    assert "plan=pro" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    missing = CliRunner().invoke(
        app, ["report", "--workspace", "nobody", "--html", str(tmp_path / "x.html")], env=env
    )
    assert missing.exit_code != 0
    assert not (tmp_path / "x.html").exists()
