"""``/v1/themes``: the mined themes of a workspace, one theme's detail, renaming."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import StoreDep, WorkspaceDep
from api.schemas import QuotePublic, ThemeDetailPublic, ThemePublic, ThemeUpdate
from feedback_nlp.domain import ThemeDetail, ThemeRecord

router = APIRouter(prefix="/v1/themes", tags=["themes"])


@router.get("")
def list_themes(
    workspace: WorkspaceDep,
    store: StoreDep,
    include_inactive: Annotated[
        bool, Query(description="Also themes the latest mining run no longer found.")
    ] = False,
) -> list[ThemePublic]:
    """The workspace's themes, then their parent groups, largest first."""
    found = store.list_themes(workspace.id, include_inactive=include_inactive)
    return [ThemePublic.model_validate(_fields(theme)) for theme in found]


@router.get("/{theme_id}")
def get_theme(theme_id: str, workspace: WorkspaceDep, store: StoreDep) -> ThemeDetailPublic:
    """One theme: labels, keyphrases, quotes, parent, size, sentiment, NPS, segment counts."""
    return _detail(store.get_theme(workspace.id, theme_id))


@router.patch("/{theme_id}")
def rename_theme(
    theme_id: str, body: ThemeUpdate, workspace: WorkspaceDep, store: StoreDep
) -> ThemeDetailPublic:
    """Give a theme a custom display label (kept across mining runs)."""
    store.rename_theme(workspace.id, theme_id, body.label)
    return _detail(store.get_theme(workspace.id, theme_id))


def _fields(theme: ThemeRecord) -> dict[str, object]:
    return {
        "id": theme.theme_id,
        "level": theme.level,
        "label": theme.display_label or theme.theme_id,
        "labels": dict(theme.label),
        "custom_label": theme.custom_label,
        "keyphrases": {lang: list(phrases) for lang, phrases in theme.keyphrases.items()},
        "languages": dict(theme.languages),
        "parent_id": theme.parent_id,
        "size": theme.size,
        "confidence": theme.confidence,
        "active": theme.active,
    }


def _detail(detail: ThemeDetail) -> ThemeDetailPublic:
    quotes = [
        QuotePublic(text=q["text"], lang=q.get("lang"), item_id=q.get("external_id"))
        for q in detail.theme.quotes
    ]
    return ThemeDetailPublic.model_validate(
        _fields(detail.theme)
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
