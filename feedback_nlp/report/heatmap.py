"""Which themes a segment x theme heat map shows: the significant ones first.

A heat map has room for a dozen theme columns, and a workspace has dozens of themes. The largest
themes are rarely where a segment stands out (a planted "enterprise -> SSO" complaint is a small
theme overall), so the columns are chosen from the over-index table of the attribute
(:func:`~feedback_nlp.analytics.segments.theme_over_index`): first every theme with a
significant cell (Benjamini-Hochberg ``q <= fdr``, i.e. ``direction`` over or under), the most
significant first (smallest q of its cells, then more respondents in the segment value, then the
theme's rank by size); then the largest other themes fill the remaining columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["heatmap_theme_ids"]


def heatmap_theme_ids(
    theme_ids: Sequence[str], cells: Iterable[Mapping[str, Any]], limit: int
) -> list[str]:
    """The theme columns of one attribute's heat map, significant themes first.

    Args:
        theme_ids: The themes that may be shown, largest first.
        cells: Rows of the attribute's over-index table (``theme_id``, ``direction``,
            ``q_value``, ``mentions_segment``); cells of themes not in ``theme_ids`` are
            ignored.
        limit: Most columns.

    Returns:
        Up to ``limit`` theme ids: the significant themes by significance, then the largest.
    """
    rank = {theme_id: k for k, theme_id in enumerate(theme_ids)}
    best: dict[str, tuple[float, int]] = {}
    for cell in cells:
        theme_id = str(cell["theme_id"])
        if theme_id not in rank or cell.get("direction") in (None, "none"):
            continue
        q_value = _number(cell.get("q_value"))
        key = (q_value if q_value is not None else 1.0, -int(cell.get("mentions_segment") or 0))
        best[theme_id] = min(best.get(theme_id, key), key)
    chosen = sorted(best, key=lambda t: (*best[t], rank[t]))[:limit]
    taken = set(chosen)
    chosen += [t for t in theme_ids if t not in taken][: max(limit - len(chosen), 0)]
    return chosen


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
