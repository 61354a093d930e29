"""The theme columns of a segment x theme heat map: significant themes first, then the largest."""

from __future__ import annotations

import math

from feedback_nlp.report.heatmap import heatmap_theme_ids

LARGEST_FIRST = ["big1", "big2", "big3", "small1", "small2", "small3"]


def _cell(theme_id: str, direction: str, q_value: float, mentions: int = 5) -> dict[str, object]:
    return {
        "segment": "enterprise",
        "theme_id": theme_id,
        "direction": direction,
        "q_value": q_value,
        "mentions_segment": mentions,
    }


def test_heatmap_theme_ids_put_significant_themes_first_then_fill_with_the_largest() -> None:
    cells = [
        _cell("big2", "none", 0.3),  # not significant: only a filler
        _cell("small2", "under", 0.01),
        _cell("small1", "over", 0.001),
        _cell("small1", "none", 0.9),  # the theme's best cell counts
    ]
    assert heatmap_theme_ids(LARGEST_FIRST, cells, 4) == ["small1", "small2", "big1", "big2"]


def test_heatmap_theme_ids_keep_the_most_significant_when_too_many() -> None:
    q_values = [0.04, 0.03, 0.02, 0.01, 0.0, 0.0]
    cells = [_cell(t, "over", q) for t, q in zip(LARGEST_FIRST, q_values, strict=True)]
    # ties in q go to the cell with more respondents, then to the larger theme
    cells[4]["mentions_segment"] = 9
    assert heatmap_theme_ids(LARGEST_FIRST, cells, 3) == ["small2", "small3", "small1"]


def test_heatmap_theme_ids_without_significant_cells_are_the_largest() -> None:
    cells = [_cell("small3", "none", 0.5), _cell("hidden", "over", 1e-9)]  # hidden: not listed
    cells.append(_cell("small2", "over", math.nan))  # no q: ranks after every real q
    assert heatmap_theme_ids(LARGEST_FIRST, cells, 3) == ["small2", "big1", "big2"]
    assert heatmap_theme_ids(LARGEST_FIRST[:2], [], 12) == ["big1", "big2"]
