from __future__ import annotations

import re

import numpy as np
import pytest

from feedback_nlp.themes.label import KeyphraseLabeler, _unit_phrases, tokenize
from feedback_nlp.themes.stopwords import STOP_WORDS, stop_words_for

LANGS = ["en", "ar", "he", "fa", "lt"]
# Two themes per language: (texts of theme 0, texts of theme 1, a word expected in each label).
CASES: dict[str, tuple[list[str], list[str], str, str]] = {
    "en": (
        ["the delivery was late", "my delivery is late again", "late delivery today"],
        ["refund never arrived", "where is my refund", "refund still missing"],
        "delivery",
        "refund",
    ),
    "ar": (
        ["التوصيل متأخر جدا", "كان التوصيل متأخر", "التوصيل متأخر اليوم"],
        ["لم يصل الاسترداد", "أين الاسترداد", "الاسترداد مفقود"],
        "التوصيل",
        "الاسترداد",
    ),
    "he": (
        ["המשלוח מאחר שוב", "המשלוח מאחר היום", "למה המשלוח מאחר"],
        ["ההחזר לא הגיע", "איפה ההחזר", "ההחזר חסר"],
        "המשלוח",
        "ההחזר",
    ),
    "fa": (
        ["ارسال خیلی دیر است", "ارسال دیر رسید", "باز هم ارسال دیر"],
        ["بازپرداخت نرسید", "بازپرداخت کجاست", "بازپرداخت گم‌شده"],
        "ارسال",
        "بازپرداخت",
    ),
    "lt": (
        ["pristatymas vėluoja", "mano pristatymas vėl vėluoja", "pristatymas vėluoja šiandien"],
        ["grąžinimas negautas", "kur mano grąžinimas", "grąžinimas dingo"],
        "pristatymas",
        "grąžinimas",
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ačiū, pristatymas vėluoja!", ["ačiū", "pristatymas", "vėluoja"]),
        ("التوصيل مُتأخر", ["التوصيل", "متأخر"]),
        ("המשלוח של צה״ל", ["המשלוח", "של", "צה״ל"]),
        ("بازپرداخت گم‌شده", ["بازپرداخت", "گم\u200cشده"]),
        ("top-up didn't work 42", ["top-up", "didn't", "work"]),
    ],
)
def test_tokenize_keeps_non_ascii_words(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_labeler_keeps_non_ascii_words_in_labels(lang: str) -> None:
    first, second, word0, word1 = CASES[lang]
    texts = first + second
    labels = np.array([0] * len(first) + [1] * len(second))
    result = KeyphraseLabeler().label(texts, [lang] * len(texts), labels, 2)
    assert word0 in result[0].label[lang]
    assert word1 in result[1].label[lang]
    if lang != "en":
        assert re.search(r"[^\x00-\x7f]", result[0].label[lang] + result[1].label[lang])


def test_labeler_gives_one_label_per_language_present() -> None:
    texts, langs, labels = [], [], []
    for lang in LANGS:
        first, second, _, _ = CASES[lang]
        texts += first + second
        langs += [lang] * (len(first) + len(second))
        labels += [0] * len(first) + [1] * len(second)
    result = KeyphraseLabeler().label(texts, langs, np.array(labels), 2)
    for theme in result:
        assert sorted(theme.label) == sorted(LANGS)
        assert sorted(theme.keyphrases) == sorted(LANGS)
    for lang in LANGS:
        assert CASES[lang][2] in result[0].label[lang]


def test_labeler_drops_stop_words_and_ignores_unassigned_units() -> None:
    texts = ["the delivery is late", "my delivery was late", "it is the refund", "a refund is due"]
    labels = np.array([0, 0, -1, -1])
    result = KeyphraseLabeler().label(texts, ["en"] * 4, labels, 1)
    words = {w for phrase in result[0].keyphrases["en"] for w in phrase.split()}
    assert not words & STOP_WORDS["en"]
    assert "refund" not in words


def test_labeler_prefers_the_phrase_that_holds_a_word() -> None:
    texts = [
        "order a virtual card",
        "virtual card please",
        "is the virtual card free",
        "my pin is blocked",
        "pin blocked again",
        "unblock my pin",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1])
    result = KeyphraseLabeler().label(texts, ["en"] * 6, labels, 2)
    assert result[0].label["en"].startswith("virtual card")


def test_labeler_title_starts_from_the_most_distinctive_phrase() -> None:
    # "expire" is in every unit of theme 0 and nowhere else; "order new" is a common bigram
    # beside it (2 of 6 units) that does not name the theme. The title names "expire".
    expiring = [
        "my card will expire soon",
        "when does the card expire",
        "it is going to expire, order new one",
        "does it expire next week",
        "expire date is close, order new card",
        "expire how soon",
    ]
    refunds = [
        "refund never arrived for my card",
        "where is my card refund",
        "refund still missing",
        "my refund is late",
        "a refund for the card please",
        "refund not here",
    ]
    texts = expiring + refunds
    labels = np.array([0] * 6 + [1] * 6)
    result = KeyphraseLabeler().label(texts, ["en"] * 12, labels, 2)
    assert result[0].label["en"].startswith("expire")
    assert result[1].label["en"].startswith("refund")


def test_stop_words_exist_for_every_first_class_language() -> None:
    for lang in LANGS:
        assert len(STOP_WORDS[lang]) >= 40
    assert stop_words_for("xx") >= STOP_WORDS["he"]


def test_labeler_counts_a_capped_even_sample_of_a_large_theme() -> None:
    theme0, theme1, word0, word1 = CASES["en"][0], CASES["en"][1], CASES["en"][2], CASES["en"][3]
    texts = (theme0 * 400) + (theme1 * 400)  # 1,200 units per theme
    labels = np.repeat([0, 1], 1200).astype(np.int64)
    langs = ["en"] * len(texts)
    full = KeyphraseLabeler().label(texts, langs, labels, 2)
    capped = KeyphraseLabeler(max_units_per_theme=30).label(texts, langs, labels, 2)
    # A 30-unit sample names each theme by the same key word as the whole theme (its exact
    # phrase may differ where two phrases of the theme are equally frequent).
    for theme, word in ((0, word0), (1, word1)):
        assert word in full[theme].label["en"]
        assert word in capped[theme].label["en"]


def test_labeler_rejects_a_zero_cap() -> None:
    with pytest.raises(ValueError, match="max_units_per_theme"):
        KeyphraseLabeler(max_units_per_theme=0).label(["a b"], ["en"], np.zeros(1, np.int64), 1)


def test_labeler_grows_a_title_to_the_phrase_its_units_say() -> None:
    # "add dark" is the best scored phrase, but every unit holding it goes on "add dark mode":
    # the title is the longer phrase, not a cut-off one.
    dark = [
        "please add a dark mode",
        "add a dark mode, my eyes hurt",
        "add dark mode please",
        "could you add a dark mode at night",
    ]
    export = ["export to excel", "excel export missing", "no excel export", "export excel"]
    labels = np.array([0] * 4 + [1] * 4)
    result = KeyphraseLabeler().label(dark + export, ["en"] * 8, labels, 2)
    assert result[0].label["en"] == "add dark mode"


def test_candidate_phrases_never_span_a_clause_break() -> None:
    phrases = _unit_phrases("Please add a dark mode, the white screen hurts at night.", "en", 5)
    assert "add dark mode" in phrases
    assert "white screen hurts" in phrases
    assert not [key for key in phrases if "mode" in key and "white" in key], sorted(phrases)
    arabic = _unit_phrases("التطبيق بطيء، الإعلانات كثيرة", "ar", 5)
    assert not [key for key in arabic if "بطيء" in key and "إعلان" in key], sorted(arabic)
