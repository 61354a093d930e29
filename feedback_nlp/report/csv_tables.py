"""The two CSV exports: feedback items (one row each) and themes (one row each).

Rows hold text and numbers; :mod:`feedback_nlp.report.csv_export` writes them (formula cells
neutralised, numbers kept numeric). The API streams both (``GET /v1/feedback/export.csv``,
``GET /v1/themes/export.csv``) and ``feedback-nlp report --csv`` writes the theme table.

Theme columns: ``n_items`` counts the items with a unit in the theme (for a parent group: in any
of its themes), ``share`` is ``n_items`` over all the workspace's items (0-1), ``sentiment_mean``
is the mean sentiment score (-1..1) of its units; ``size`` is the theme's units in the latest
mining run that found it and ``confidence`` its stability across resampled runs; ``general``
says whether it is in the general-sentiment pool (sentiment without a topic). The outcome
columns (median resolution minutes, churn rate and lift, revenue at risk) are
:mod:`~feedback_nlp.report.outcome_csv`'s, empty when the data has no outcome fields.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.domain import FeedbackRecord, ThemeRecord
from feedback_nlp.report.csv_export import Cell, write_csv
from feedback_nlp.report.outcome_csv import OUTCOME_THEME_COLUMNS, theme_outcome_cells
from feedback_nlp.themes.display import display_labels, resolve_display_lang

if TYPE_CHECKING:
    from feedback_nlp.settings import Settings

__all__ = [
    "FEEDBACK_COLUMNS",
    "N_QUOTES",
    "THEME_COLUMNS",
    "export_theme_csv",
    "feedback_rows",
    "item_sentiments",
    "theme_rows",
]

N_QUOTES = 3
FEEDBACK_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "source",
    "lang",
    "nps",
    "csat",
    "ces",
    "segments",
    "theme_ids",
    "theme_labels",
    "sentiment",
    "customer_id",
    "first_response_minutes",
    "resolution_minutes",
    "churned",
    "churned_at",
    "revenue",
    "text",
)
THEME_COLUMNS: tuple[str, ...] = (
    "theme_id",
    "label",
    "level",
    "parent_id",
    "size",
    "n_items",
    "share",
    "confidence",
    "sentiment_mean",
    "active",
    "general",
    *(f"quote_{k}" for k in range(1, N_QUOTES + 1)),
    *OUTCOME_THEME_COLUMNS,
)
_LIST_SEPARATOR = "; "


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def item_sentiments(frame: FeedbackFrame) -> dict[str, float]:
    """Each item's sentiment score (-1..1; the mean of its units'), for items that have one."""
    ids = frame.items["item_id"].to_numpy()
    scores = frame.items["sentiment"].to_numpy(dtype=np.float64)
    return {
        str(item_id): float(score)
        for item_id, score in zip(ids, scores, strict=True)
        if math.isfinite(score)
    }


def feedback_rows(
    records: Iterable[FeedbackRecord],
    labels: Mapping[str, str],
    sentiments: Mapping[str, float],
) -> Iterator[list[Cell]]:
    """One row per item, in :data:`FEEDBACK_COLUMNS` order.

    Args:
        records: The items (text as stored: PII redacted).
        labels: Display label per theme id.
        sentiments: Sentiment score per item id (see :func:`item_sentiments`).

    Yields:
        Rows: ``segments`` as a JSON object, theme ids and labels joined by ``"; "``, scores and
        sentiment as numbers; the outcome columns (empty when unknown): the customer's
        pseudonym, minutes and revenue as numbers, ``churned`` as ``true``/``false``.
    """
    for record in records:
        yield [
            record.external_id,
            record.created_at.isoformat(),
            record.source,
            record.lang,
            record.nps,
            record.csat,
            record.ces,
            json.dumps(record.segments, ensure_ascii=False, sort_keys=True),
            _LIST_SEPARATOR.join(record.theme_ids),
            _LIST_SEPARATOR.join(labels.get(t, t) for t in record.theme_ids),
            _rounded(sentiments.get(record.external_id)),
            record.customer_id,
            _rounded(record.first_response_minutes, 2),
            _rounded(record.resolution_minutes, 2),
            None if record.churned is None else str(record.churned).lower(),
            None if record.churned_at is None else record.churned_at.isoformat(),
            _rounded(record.revenue, 2),
            record.text,
        ]


def _theme_stats(
    frame: FeedbackFrame | None, members: Sequence[str]
) -> tuple[int | None, float | None, float | None]:
    """``(n_items, share, sentiment_mean)`` of the items and units in any of ``members``."""
    if frame is None:
        return None, None, None
    columns = [frame.theme_ids.index(t) for t in members if t in frame.theme_ids]
    mentioned = frame.mentions[:, columns].any(axis=1) if columns else np.zeros(0, dtype=bool)
    n_items = int(mentioned.sum())
    share = n_items / frame.n_items if frame.n_items else None
    units = frame.units
    scores = units["sentiment"].to_numpy(dtype=np.float64)[units["theme"].isin(columns)]
    scores = scores[np.isfinite(scores)]
    sentiment = float(scores.mean()) if scores.size else None
    return n_items, _rounded(share), _rounded(sentiment)


def theme_rows(
    themes: Sequence[ThemeRecord], frame: FeedbackFrame | None, lang: str | None = None
) -> list[list[Cell]]:
    """One row per theme or parent group, in :data:`THEME_COLUMNS` order.

    Args:
        themes: The themes to list (as :meth:`~feedback_nlp.store.Store.list_themes` orders them).
        frame: The workspace's analytics frame, for ``n_items``, ``share`` and
            ``sentiment_mean`` (empty cells when ``None``).
        lang: The display language (``None``: the most frequent language of ``themes``).

    Returns:
        The rows; the label is the display label (custom, else generated in the display
        language, else in the theme's main language, else the id).
    """
    labels = display_labels(themes, resolve_display_lang(lang, None, themes))
    children: dict[str, list[str]] = {}
    for theme in themes:
        if theme.parent_id is not None:
            children.setdefault(theme.parent_id, []).append(theme.theme_id)
    outcomes = theme_outcome_cells(frame)
    no_outcome: list[Cell] = [None] * len(OUTCOME_THEME_COLUMNS)
    rows: list[list[Cell]] = []
    for theme in themes:
        members = children.get(theme.theme_id, []) if theme.level > 0 else [theme.theme_id]
        n_items, share, sentiment = _theme_stats(frame, members)
        quotes: list[Cell] = [quote.get("text") for quote in theme.quotes[:N_QUOTES]]
        rows.append(
            [
                theme.theme_id,
                labels[theme.theme_id],
                theme.level,
                theme.parent_id,
                theme.size,
                n_items,
                share,
                _rounded(theme.confidence),
                sentiment,
                theme.active,
                theme.general,
                *quotes,
                *([None] * (N_QUOTES - len(quotes))),
                *(outcomes.get(theme.theme_id, no_outcome) if theme.level == 0 else no_outcome),
            ]
        )
    return rows


def export_theme_csv(
    settings: Settings, workspace: str, path: Path, *, include_inactive: bool = False
) -> int:
    """Write the theme table of a named workspace to ``path``.

    Active themes and their parent groups only (as ``GET /v1/themes/export.csv``), unless
    ``include_inactive``.

    Returns:
        The number of rows written.

    Raises:
        NotFoundError: If there is no such workspace.
    """
    from feedback_nlp.analytics.loader import frame_from_records
    from feedback_nlp.report.workspace import open_named_workspace

    with open_named_workspace(settings, workspace) as (store, workspace_id):
        themes = store.list_themes(workspace_id, include_inactive=include_inactive)
        frame = frame_from_records(store.analytics_records(workspace_id))
        return write_csv(path, THEME_COLUMNS, theme_rows(themes, frame))
