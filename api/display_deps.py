"""The display language of theme labels: the ``lang`` query parameter, else the server's setting.

``None`` leaves the choice to the workspace (its most frequent language,
:mod:`feedback_nlp.themes.display`). A theme with a label in the display language shows it; any
other theme shows its own main language's label; ``labels`` still carries every language's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from api.deps import SettingsDep

LANG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


def get_display_lang(
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=16,
            pattern=LANG_PATTERN,
            description="Display language of the theme labels (en, ar, he, ...): a theme with "
            "a label in it shows that label, any other its own main language's. Default: the "
            "server's FEEDBACK_NLP_API__DISPLAY_LANG, else the workspace's most frequent "
            "language.",
        ),
    ] = None,
) -> str | None:
    """The requested display language, else the configured one (``None``: the workspace's)."""
    return lang or settings.api.display_lang


DisplayLangDep = Annotated[str | None, Depends(get_display_lang)]
