"""``/v1/themes``: the mined themes of a workspace, a CSV export, one theme's detail, renaming.

A rename is a recorded taxonomy operation (:mod:`api.routes.taxonomy` lists and undoes them).
Every route takes ``lang``, the display language of the labels (:mod:`api.display_deps`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.analytics_deps import FrameCacheDep, ThemeListCacheDep
from api.csv_response import CsvResponse, csv_download, csv_responses
from api.deps import StoreDep, WorkspaceDep
from api.display_deps import DisplayLangDep
from api.problems import problem_responses
from api.routes.taxonomy import THEME_DETAIL_LINKS, THEME_LIST_LINKS
from api.schemas import QuotePublic, ThemeDetailPublic, ThemePublic, ThemeUpdate
from api.taxonomy_deps import TaxonomyDep
from feedback_nlp.domain import ThemeDetail, ThemeRecord
from feedback_nlp.report.csv_export import csv_lines
from feedback_nlp.report.csv_tables import THEME_COLUMNS, theme_rows
from feedback_nlp.store.store import Store
from feedback_nlp.themes.display import display_label, resolve_display_lang

router = APIRouter(prefix="/v1/themes", tags=["themes"], responses=problem_responses(401, 422, 429))
_DETAIL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(404),
    200: {"links": THEME_DETAIL_LINKS},
}


@router.get("", responses={200: {"links": THEME_LIST_LINKS}})
def list_themes(
    workspace: WorkspaceDep,
    store: StoreDep,
    cache: ThemeListCacheDep,
    lang: DisplayLangDep,
    include_inactive: Annotated[
        bool, Query(description="Also themes the latest mining run no longer found.")
    ] = False,
    include_ignored: Annotated[
        bool, Query(description="Also themes an analyst ignored (hidden from the insights).")
    ] = False,
) -> list[ThemePublic]:
    """The workspace's themes, then their parent groups, largest first."""

    def compute() -> list[ThemePublic]:
        found = store.list_themes(
            workspace.id, include_inactive=include_inactive, include_ignored=include_ignored
        )
        display = resolve_display_lang(lang, None, found)
        return [ThemePublic.model_validate(_fields(theme, display)) for theme in found]

    mark = store.themes_mark(workspace.id)
    return cache.get((workspace.id, include_inactive, include_ignored, lang), mark, compute)


@router.get(
    "/export.csv",
    response_class=CsvResponse,
    responses=csv_responses("The themes as CSV: " + ", ".join(THEME_COLUMNS)),
)
def export_themes_csv(
    workspace: WorkspaceDep,
    store: StoreDep,
    cache: FrameCacheDep,
    lang: DisplayLangDep,
    include_inactive: Annotated[
        bool, Query(description="Also themes the latest mining run no longer found.")
    ] = False,
) -> CsvResponse:
    """The themes and parent groups as a CSV download (opens safely in Excel).

    Columns: theme_id, label, level, parent_id, size (units in the latest run), n_items (items
    with a unit in it), share (n_items over all items, 0-1), confidence, sentiment_mean (-1..1),
    active, quote_1..quote_3. Text cells that start with =, +, -, @, tab or CR get a leading ';
    numbers stay numbers. UTF-8 with a byte-order mark.
    """
    found = store.list_themes(workspace.id, include_inactive=include_inactive)
    rows = theme_rows(found, cache.get(store, workspace.id).frame, lang)
    return csv_download(csv_lines(THEME_COLUMNS, rows), "themes.csv")


@router.get("/{theme_id}", responses=_DETAIL_RESPONSES)
def get_theme(
    theme_id: str, workspace: WorkspaceDep, store: StoreDep, lang: DisplayLangDep
) -> ThemeDetailPublic:
    """One theme: labels, keyphrases, quotes, parent, size, sentiment, NPS, segment counts."""
    detail = store.get_theme(workspace.id, theme_id)
    return _detail(detail, _display_lang(store, workspace.id, lang))


@router.patch("/{theme_id}", responses=problem_responses(404, 413))
def rename_theme(
    theme_id: str,
    body: ThemeUpdate,
    workspace: WorkspaceDep,
    store: StoreDep,
    taxonomy: TaxonomyDep,
    lang: DisplayLangDep,
) -> ThemeDetailPublic:
    """Give a theme a custom display label (kept across mining runs; a recorded operation)."""
    taxonomy.rename(theme_id, body.label)
    detail = store.get_theme(workspace.id, theme_id)
    return _detail(detail, _display_lang(store, workspace.id, lang))


def _display_lang(store: Store, workspace_id: int, lang: str | None) -> str:
    """``lang``, else the workspace's most frequent language (over its listed themes)."""
    if lang:
        return lang
    return resolve_display_lang(None, None, store.list_themes(workspace_id))


def _fields(theme: ThemeRecord, display: str) -> dict[str, object]:
    return {
        "id": theme.theme_id,
        "level": theme.level,
        "label": display_label(theme, display) or theme.theme_id,
        "labels": dict(theme.label),
        "custom_label": theme.custom_label,
        "keyphrases": {lang: list(phrases) for lang, phrases in theme.keyphrases.items()},
        "languages": dict(theme.languages),
        "parent_id": theme.parent_id,
        "size": theme.size,
        "confidence": theme.confidence,
        "active": theme.active,
        "origin": theme.origin,
        "ignored": theme.ignored,
        "general": theme.general,
        "retired_by_op": theme.retired_by_op,
    }


def _detail(detail: ThemeDetail, display: str) -> ThemeDetailPublic:
    quotes = [
        QuotePublic(text=q["text"], lang=q.get("lang"), item_id=q.get("external_id"))
        for q in detail.theme.quotes
    ]
    return ThemeDetailPublic.model_validate(
        _fields(detail.theme, display)
        | {
            "quotes": quotes,
            "n_units": detail.n_units,
            "n_items": detail.n_items,
            "sentiment": dict(detail.sentiment),
            "sentiment_mean": detail.sentiment_mean,
            "nps": detail.nps,
            "n_nps": detail.n_nps,
            "segments": {key: dict(counts) for key, counts in detail.segments.items()},
            "children": list(detail.children),
        }
    )
