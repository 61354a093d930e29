"""The display language of a workspace and the label shown per theme (worked out by hand)."""

from __future__ import annotations

import pytest

from feedback_nlp.domain import choose_label
from feedback_nlp.themes.display import (
    display_label,
    display_labels,
    most_frequent_language,
    resolve_display_lang,
    workspace_language,
)
from tests.store.factory import theme_record

# en 1 + 5 = 6 units, ar 4, lt 2: English although the largest theme is Arabic.
THEMES = [
    theme_record("t1", {"ar": "تأخر التوصيل", "en": "late delivery"}, {"ar": 4, "en": 1}),
    theme_record("t2", {"en": "high price"}, {"en": 5}),
    theme_record("t3", {"lt": "kortelė nuskaičiuota"}, {"lt": 2}),
    theme_record("t4", {}, {"en": 1}),
    # a parent (its units are its children's) and an inactive theme are not counted
    theme_record("p1", {"ar": "x"}, {"ar": 100}, level=1),
    theme_record("t5", {"ar": "y"}, {"ar": 100}, active=False),
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


def test_theme_record_display_label_skips_an_empty_main_language_label() -> None:
    # Arabic is the main language but its label is empty: the English one is shown, not "".
    theme = theme_record("t8", {"ar": "", "en": "late delivery"}, {"ar": 4, "en": 1})
    assert theme.display_label == "late delivery"
    assert theme.display_label == display_label(theme, "")
    assert theme_record("t9", {"ar": "", "en": ""}, {"ar": 4}).display_label == ""


def test_theme_record_display_label_is_display_label_without_a_display_language() -> None:
    for theme in THEMES:
        assert theme.display_label == display_label(theme, "")
    assert THEMES[0].display_label == "تأخر التوصيل"  # its own main language
    assert display_label(THEMES[0], "en") == "late delivery"


def test_display_label_keeps_a_custom_label() -> None:
    renamed = theme_record("t9", {"ar": "a", "en": "b"}, {"ar": 2}, custom_label="Courier")
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
