"""The theme labels of the dashboard's pages, in the workspace's display language.

The rule of the report that the dashboard shows (:func:`feedback_nlp.report.bundle.theme_labels`):
a theme's custom label, else its generated label in the workspace's most frequent language, else
in its own main language (:mod:`feedback_nlp.themes.display`). A theme with no label at all
gets ``""``: the pages show its id instead.
"""

from __future__ import annotations

from feedback_nlp.store.store import Store
from feedback_nlp.themes.display import display_label, workspace_language

__all__ = ["label_by_theme"]


def label_by_theme(store: Store, workspace_id: int) -> dict[str, str]:
    """``{theme_id: label}`` of every theme of the workspace (inactive and ignored ones too)."""
    listed = store.list_themes(workspace_id, include_inactive=True, include_ignored=True)
    display = workspace_language(theme for theme in listed if not theme.ignored)
    return {theme.theme_id: display_label(theme, display) for theme in listed}
