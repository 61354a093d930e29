"""The display language of a workspace's themes, and the label shown for each theme.

Every theme keeps a generated label per language present in it. One of them is shown as its
title: the label in the *display language* when the theme has one, else the label of the theme's
own most frequent language (a custom label, given by a person, always wins). The display language
is one per workspace: the one asked for (an API ``lang`` parameter, a server setting), else the
workspace's most frequent language over all the units of its themes. So an English-reading
analyst of a mostly English workspace sees English titles on every theme that has English units,
and a theme with none keeps its own language's title instead of an empty one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from feedback_nlp.domain import ThemeRecord, choose_label

__all__ = [
    "display_label",
    "display_labels",
    "most_frequent_language",
    "resolve_display_lang",
    "workspace_language",
]


def most_frequent_language(counts: Mapping[str, int]) -> str:
    """The language with the most units (ties: alphabetical; ``""`` when there is none)."""
    present = {lang: n for lang, n in counts.items() if n > 0}
    return min(present, key=lambda lang: (-present[lang], lang)) if present else ""


def workspace_language(themes: Iterable[ThemeRecord]) -> str:
    """The most frequent language over the units of the level-0 themes (``""``: no units).

    Parent groups are left out (their units are their children's), inactive themes too (their
    units have moved to the themes of the latest run).
    """
    counts: Counter[str] = Counter()
    for theme in themes:
        if theme.level == 0 and theme.active:
            counts.update(theme.languages)
    return most_frequent_language(counts)


def resolve_display_lang(
    requested: str | None, configured: str | None, themes: Iterable[ThemeRecord]
) -> str:
    """The display language: ``requested``, else ``configured``, else the workspace's own.

    Args:
        requested: the language a request asked for (``None``: none).
        configured: the server's setting (``None``: none).
        themes: the workspace's themes, for :func:`workspace_language`.
    """
    return requested or configured or workspace_language(themes)


def display_label(theme: ThemeRecord, display: str) -> str:
    """The label shown for ``theme``: its custom label, else the generated label in ``display``.

    The generated label is :func:`~feedback_nlp.domain.choose_label`'s (``""`` when there is
    none); ``ThemeRecord.display_label`` is this without a display language.
    """
    if theme.custom_label:
        return theme.custom_label
    return choose_label(theme.label, theme.languages, display)


def display_labels(themes: Iterable[ThemeRecord], display: str) -> dict[str, str]:
    """``{theme_id: label}`` by :func:`display_label`, the id standing in for an empty label."""
    return {theme.theme_id: display_label(theme, display) or theme.theme_id for theme in themes}
