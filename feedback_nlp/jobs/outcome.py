"""Turn a mining result and its stable ids into the rows a mining run writes.

Themes keep the registry's stable ids (``t_000001``). Related themes grouped by the miner form a
parent group (level 1) when the group has at least two themes; its id is derived from its lowest
child id (``t_000003`` -> ``p_000003``), so it is stable as long as that child is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from feedback_nlp.domain import MinedTheme, MinedUnit, MiningItem
from feedback_nlp.text.units import OpinionUnit
from feedback_nlp.themes.miner import MiningResult, Theme

__all__ = ["PARENT_PREFIX", "mined_themes", "mined_units", "parent_id_of"]

PARENT_PREFIX = "p_"


def parent_id_of(child_ids: Sequence[str], id_prefix: str = "t_") -> str:
    """The id of the parent group of themes ``child_ids``."""
    lowest = min(child_ids)
    return PARENT_PREFIX + lowest.removeprefix(id_prefix)


def _quotes(
    theme: Theme, units: Sequence[OpinionUnit], items: Sequence[MiningItem]
) -> list[dict[str, str]]:
    return [
        {
            "text": quote.text,
            "lang": quote.lang,
            "external_id": items[units[quote.index].item_index].external_id,
        }
        for quote in theme.quotes
    ]


def mined_themes(
    result: MiningResult,
    ids: Sequence[str],
    units: Sequence[OpinionUnit],
    items: Sequence[MiningItem],
    id_prefix: str = "t_",
) -> list[MinedTheme]:
    """Rows of the run's themes (level 0) and parent groups (level 1)."""
    parent_of: dict[int, str] = {}
    rows: list[MinedTheme] = []
    for parent in result.parents:
        if len(parent.children) < 2:
            continue
        children = [result.themes[c] for c in parent.children]
        parent_id = parent_id_of([ids[c] for c in parent.children], id_prefix)
        for index in parent.children:
            parent_of[index] = parent_id
        languages: Counter[str] = Counter()
        for theme in children:
            languages.update(theme.languages)
        quotes = [q for theme in children for q in _quotes(theme, units, items)[:1]][:5]
        rows.append(
            MinedTheme(
                theme_id=parent_id,
                level=1,
                label=dict(parent.label),
                keyphrases={lang: list(p) for lang, p in parent.keyphrases.items()},
                quotes=quotes,
                languages=dict(languages.most_common()),
                parent_id=None,
                size=int(parent.size),
                confidence=None,
            )
        )
    for theme, theme_id in zip(result.themes, ids, strict=True):
        rows.append(
            MinedTheme(
                theme_id=theme_id,
                level=0,
                label=dict(theme.label),
                keyphrases={lang: list(p) for lang, p in theme.keyphrases.items()},
                quotes=_quotes(theme, units, items),
                languages=dict(theme.languages),
                parent_id=parent_of.get(theme.index),
                size=int(theme.size),
                confidence=None if math.isnan(theme.confidence) else float(theme.confidence),
            )
        )
    return rows


def mined_units(
    units: Sequence[OpinionUnit],
    items: Sequence[MiningItem],
    theme_ids: Sequence[str | None],
    sentiment: tuple[Sequence[str], Sequence[float]] | None,
) -> list[MinedUnit]:
    """Rows of the run's units, each with its theme id and sentiment (if computed)."""
    rows = []
    for position, unit in enumerate(units):
        item = items[unit.item_index]
        rows.append(
            MinedUnit(
                item_id=item.item_id,
                unit_index=unit.unit_index,
                start=unit.start,
                end=unit.end,
                text=unit.text,
                lang=item.lang,
                text_hash=item.text_hash,
                theme_id=theme_ids[position],
                sentiment_label=None if sentiment is None else sentiment[0][position],
                sentiment_score=None if sentiment is None else float(sentiment[1][position]),
            )
        )
    return rows
