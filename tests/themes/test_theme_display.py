"""The display language of a workspace and the label shown per theme (worked out by hand)."""

from __future__ import annotations

import pytest

from feedback_nlp.domain import ThemeRecord
from feedback_nlp.themes.display import (
    choose_label,
    display_label,
    display_labels,
    most_frequent_language,
    resolve_display_lang,
    workspace_language,
)


def _record(
    theme_id: str,
    label: dict[str, str],
    languages: dict[str, int],
    *,
    level: int = 0,
    active: bool = True,
    custom: str | None = None,
) -> ThemeRecord:
    return ThemeRecord(
        theme_id=theme_id,
        level=level,
        label=label,
        custom_label=custom,
        keyphrases={},
        quotes=[],
        languages=languages,
        parent_id=None,
        size=sum(languages.values()),
        confidence=None,
        active=active,
        first_seen_run=1,
        last_seen_run=1,
    )


# en 1 + 5 = 6 units, ar 4, lt 2: English although the largest theme is Arabic.
THEMES = [
    _record("t1", {"ar": "تأخر التوصيل", "en": "late delivery"}, {"ar": 4, "en": 1}),
    _record("t2", {"en": "high price"}, {"en": 5}),
    _record("t3", {"lt": "kortelė nuskaičiuota"}, {"lt": 2}),
    _record("t4", {}, {"en": 1}),
    # a parent (its units are its children's) and an inactive theme are not counted
    _record("p1", {"ar": "x"}, {"ar": 100}, level=1),
    _record("t5", {"ar": "y"}, {"ar": 100}, active=False),
]


def test_most_frequent_language_breaks_ties_alphabetically() -> None:
    assert most_frequent_language({"he": 2, "ar": 2, "en": 1}) == "ar"
    assert most_frequent_language({"en": 0}) == ""
    assert most_frequent_language({}) == ""


def test_workspace_language_counts_the_units_of_active_level0_themes() -> None:
    assert workspace_language(THEMES) == "en"
    assert workspace_language(THEMES[:1]) == "ar"
    assert workspace_language([]) == ""


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("en", "late delivery"),  # the display language's label, not the main language's
        ("ar", "تأخر التوصيل"),
        ("fa", "تأخر التوصيل"),  # no Persian label: the theme's own main language
        ("", "تأخر التوصيل"),
    ],
)
def test_choose_label_prefers_the_display_language(display: str, expected: str) -> None:
    label, languages = THEMES[0].label, THEMES[0].languages
    assert choose_label(label, languages, display) == expected


def test_choose_label_falls_back_to_any_label_then_empty() -> None:
    assert choose_label({"he": "משלוח"}, {"en": 3}, "en") == "משלוח"
    assert choose_label({}, {"en": 3}, "en") == ""


def test_display_label_keeps_a_custom_label() -> None:
    renamed = _record("t9", {"ar": "a", "en": "b"}, {"ar": 2}, custom="Courier")
    assert display_label(renamed, "en") == "Courier"


def test_display_labels_use_the_workspace_language_by_default() -> None:
    display = resolve_display_lang(None, None, THEMES)
    assert display == "en"
    labels = display_labels(THEMES[:4], display)
    assert labels == {
        "t1": "late delivery",
        "t2": "high price",
        "t3": "kortelė nuskaičiuota",
        "t4": "t4",  # no label at all: the id
    }


def test_resolve_display_lang_order_is_request_setting_workspace() -> None:
    assert resolve_display_lang("ar", "he", THEMES) == "ar"
    assert resolve_display_lang(None, "he", THEMES) == "he"
    assert resolve_display_lang("", None, THEMES) == "en"
