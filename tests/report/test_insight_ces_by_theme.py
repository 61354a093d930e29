"""The ces-by-theme insight: hand-computed on a tiny frame, and present in the bundle, HTML, CSV.

Nine respondents (CES 1-7) and three themes:

=====  ===  =============
item   ces  themes
=====  ===  =============
i0     7    price
i1     5    price
i2     6    price
i3     3    ui
i4     3    ui
i5     4    ui
i6     2    ui
i7     -    price, ui
i8     1    (none)
=====  ===  =============

* price: 7, 5, 6 -> mean 6, sd 1, n 3 (1 missing: i7); t(0.975, 2) = 4.302653, half-width
  4.302653 / sqrt(3) = 2.484138 -> [3.515862, 8.484138], clipped to the 1-7 scale -> 7.
* ui: 3, 3, 4, 2 -> mean 3, sd sqrt(2 / 3), n 4 (1 missing); t(0.975, 3) = 3.182446, half-width
  3.182446 * sqrt(2 / 3) / 2 = 1.299229 -> [1.700771, 4.299229].
* sso: nobody mentions it -> left out. Overall: 31 / 8 = 3.875 (n 8, 1 missing).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.report.bundle import build_report_bundle
from feedback_nlp.report.html import collect_report, render_report
from feedback_nlp.report.insight import InsightInput
from feedback_nlp.report.insights import INSIGHTS
from feedback_nlp.report.insights.ces_by_theme import CES_BY_THEME, ces_by_theme
from feedback_nlp.report.tables import render_tables
from feedback_nlp.store import Store, open_store
from tests.report.cx_data import seed_workspace

ROWS: list[tuple[float | None, list[str]]] = [
    (7, ["price"]),
    (5, ["price"]),
    (6, ["price"]),
    (3, ["ui"]),
    (3, ["ui"]),
    (4, ["ui"]),
    (2, ["ui"]),
    (None, ["price", "ui"]),
    (1, []),
]


def _frame() -> FeedbackFrame:
    items = [{"item_id": f"i{k}", "ces": ces} for k, (ces, _) in enumerate(ROWS)]
    units = [
        {"item_id": f"i{k}", "theme_id": theme, "text": f"{theme} {k}"}
        for k, (_, themes) in enumerate(ROWS)
        for theme in themes
    ]
    return FeedbackFrame.from_records(items, units, theme_ids=["price", "sso", "ui"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'ces.sqlite3'}")


def test_ces_by_theme_matches_hand_values() -> None:
    result = ces_by_theme(InsightInput(_frame(), {"price": "Price", "ui": "Interface"}))
    assert [row.theme_id for row in result.themes] == ["price", "ui"]  # hardest first, no sso
    price, ui = result.themes
    assert price.label == "Price"
    assert price.n_items == 4
    assert (price.ces.value, price.ces.n, price.ces.n_missing) == (pytest.approx(6.0), 3, 1)
    assert price.ces.ci_low == pytest.approx(3.515862, abs=1e-6)
    assert price.ces.ci_high == pytest.approx(7.0)  # 8.484138 clipped to the scale
    assert price.ces.method == "student-t"
    assert (ui.ces.value, ui.ces.n, ui.ces.n_missing) == (pytest.approx(3.0), 4, 1)
    assert (ui.ces.ci_low, ui.ces.ci_high) == pytest.approx((1.700771, 4.299229), abs=1e-6)
    assert result.overall.value == pytest.approx(3.875)
    assert (result.overall.n, result.overall.n_missing) == (8, 1)


def test_ces_by_theme_labels_a_theme_without_a_label_with_its_id() -> None:
    result = ces_by_theme(InsightInput(_frame(), {}))
    assert [row.label for row in result.themes] == ["price", "ui"]


def test_ces_by_theme_csv_rows_keep_numbers_numeric() -> None:
    result = ces_by_theme(InsightInput(_frame(), {"price": "=Price"}))
    lines = list(CES_BY_THEME.csv_lines(result))
    assert lines[0] == "\ufefftheme_id,label,n_items,ces,ces_low,ces_high,ces_n\r\n"
    assert lines[1].startswith("price,'=Price,4,6.0,3.515")
    assert lines[1].endswith(",7.0,3\r\n")
    assert lines[2].startswith("ui,ui,5,3.0,1.70")


def test_ces_by_theme_is_registered_in_the_bundle_and_the_html_report(store: Store) -> None:
    # cx_data: t1 (Late delivery) is mentioned by d e f g, CES 6 and 7; t2 by a c e, CES 2 and 7
    assert CES_BY_THEME in INSIGHTS
    workspace_id = seed_workspace(store)
    data = build_report_bundle(store, workspace_id).to_json()
    themes = data["insights"]["ces_by_theme"]["themes"]
    assert [(t["theme_id"], t["ces"]["value"], t["ces"]["n"]) for t in themes] == [
        ("t1", 6.5, 2),
        ("t2", 4.5, 2),
    ]
    assert themes[0]["label"] == "Late delivery"
    assert themes[0]["ces"]["n_missing"] == 2
    html = render_report(collect_report(store, workspace_id))
    section = html[html.index('<section id="ces-by-theme">') :]
    assert "Effort by theme (CES)" in section
    assert section.index("Late delivery") < section.index('data-theme-id="t2"')
    assert "6.50" in section


def test_ces_by_theme_is_a_table_of_the_cli_report(store: Store) -> None:
    console = Console(width=200, record=True)
    render_tables(build_report_bundle(store, seed_workspace(store)), console)
    text = console.export_text()
    table = text[text.index("Effort by theme (CES)") :]
    assert "ces_low" in table
    assert table.index("Late delivery") < table.index("price")
    assert "6.50" in table
