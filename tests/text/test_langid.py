"""Tests of language identification: lingua on long texts, script rules on short ones."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.langid import (
    DEFAULT_LANGUAGES,
    LETTER_RULE_CONFIDENCE,
    SCRIPT_RULE_CONFIDENCE,
    UNKNOWN,
    LanguageGuess,
    LanguageIdentifier,
    count_words,
)


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The delivery was two days late and nobody answered the phone."),
        ("ar", "وصل الطلب متأخرا يومين ولم يرد أحد على الهاتف."),
        ("he", "המשלוח הגיע באיחור של יומיים ואף אחד לא ענה לטלפון."),
        ("fa", "سفارش دو روز دیر رسید و هیچ‌کس تلفن را جواب نداد."),
        ("lt", "Siuntinys vėlavo dvi dienas ir niekas neatsiliepė telefonu."),
    ],
)
def test_langid_identifies_first_class_languages(
    identifier: LanguageIdentifier, lang: str, text: str
) -> None:
    guess = identifier.identify(text)
    assert guess.lang == lang
    assert identifier.min_confidence <= guess.confidence <= 1.0


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fa", "کیفیت غذا خوب بود ولی قیمت خیلی بالاست"),
        ("ar", "جودة الطعام جيدة لكن الأسعار مرتفعة جدا"),
        ("fa", "من از خدمات پشتیبانی این شرکت راضی نیستم"),
        ("ar", "أنا غير راض عن خدمة العملاء في هذه الشركة"),
        ("fa", "برنامه بعد از به‌روزرسانی مدام بسته می‌شود"),
        ("ar", "التطبيق يتوقف باستمرار بعد التحديث الأخير"),
    ],
)
def test_langid_tells_persian_from_arabic(
    identifier: LanguageIdentifier, lang: str, text: str
) -> None:
    assert identifier.identify(text).lang == lang


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ok thanks", "great", "Très bien", "Labai gerai", "ممتاز", "12345 !!!", "👍👍"],
)
def test_langid_short_text_is_unknown(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.identify(text) == LanguageGuess(lang=UNKNOWN, confidence=0.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("שלום", LanguageGuess("he", SCRIPT_RULE_CONFIDENCE)),
        ("השירות איטי!", LanguageGuess("he", SCRIPT_RULE_CONFIDENCE)),
        ("Amazon משלוח מהיר", LanguageGuess("he", SCRIPT_RULE_CONFIDENCE)),
        ("دیر رسید", LanguageGuess("fa", LETTER_RULE_CONFIDENCE)),
        ("خیلی گران", LanguageGuess("fa", LETTER_RULE_CONFIDENCE)),
        ("الأكل جيد", LanguageGuess("ar", LETTER_RULE_CONFIDENCE)),
        ("شكرا جزيلا", LanguageGuess("ar", LETTER_RULE_CONFIDENCE)),
        ("بہت اچھا ہے", LanguageGuess("ur", LETTER_RULE_CONFIDENCE)),
    ],
)
def test_langid_short_text_decided_by_script(
    identifier: LanguageIdentifier, text: str, expected: LanguageGuess
) -> None:
    assert identifier.identify(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "המשלוח הגיע באיחור של יומיים ואף אחד לא ענה לטלפון, Amazon",
            LanguageGuess("he", SCRIPT_RULE_CONFIDENCE),
        ),
        (
            "سفارش دو روز دیر رسید و هیچ کس تلفن را جواب نداد",
            LanguageGuess("fa", LETTER_RULE_CONFIDENCE),
        ),
        (
            "وصل الطلب متأخرا يومين ولم يرد أحد على الهاتف في الشركة",
            LanguageGuess("ar", LETTER_RULE_CONFIDENCE),
        ),
    ],
)
def test_langid_long_text_decided_by_script_without_lingua(
    identifier: LanguageIdentifier, text: str, expected: LanguageGuess
) -> None:
    assert identifier.identify(text) == expected


def test_langid_fast_pass_agrees_with_high_accuracy_mode() -> None:
    texts = [
        "Das Essen war kalt und die Lieferung kam viel zu spät.",
        "La comida llegó fría y el repartidor fue muy grosero con nosotros hoy.",
        "Siuntinys vėlavo dvi dienas ir niekas neatsiliepė telefonu.",
        "The app keeps crashing after the last update, please fix it",
        "Le colis est arrivé avec trois jours de retard et personne ne répond au téléphone "
        "du service client, ce qui est vraiment inacceptable pour une entreprise comme la vôtre.",
    ]
    fast = LanguageIdentifier().identify_many(texts)
    exact = LanguageIdentifier(long_text_chars=None, fasttext_min_confidence=None)
    exact_guesses = exact.identify_many(texts)
    assert [g.lang for g in fast] == [g.lang for g in exact_guesses]
    assert [g.lang for g in fast] == ["de", "es", "lt", "en", "fr"]


def test_langid_script_rule_only_names_configured_languages() -> None:
    identifier = LanguageIdentifier(languages=["en", "de"])
    assert identifier.identify("שלום").lang == UNKNOWN
    assert identifier.identify("دیر رسید").lang == UNKNOWN


def test_langid_ignores_urls_mentions_and_emails(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("@support https://example.com/a/b ok").lang == UNKNOWN
    text = "@support das Paket ist schon wieder nicht angekommen https://example.com x@y.de"
    assert identifier.identify(text).lang == "de"


def test_langid_reads_arabic_presentation_forms(identifier: LanguageIdentifier) -> None:
    # "ﺍﻟﺘﻮﺻﻴﻞ ﻛﺎﻥ ﻣﺘﺄﺧﺮﺍ ﺟﺪﺍ ﺍﻟﻴﻮﻡ" in presentation forms, as some keyboards and PDFs produce.
    text = (
        "\ufe8d\ufedf\ufe98\ufeee\ufe9b\ufef4\ufede \ufedb\ufe8e\ufee5 "
        "\ufee3\ufe98\ufe84\ufea7\ufeae\ufe8d \ufe9f\ufeaa\ufe8d \ufe8d\ufedf\ufef4\ufeee\ufee1"
    )
    assert identifier.identify(text).lang == "ar"


def test_langid_below_min_confidence_is_unknown() -> None:
    text = "The delivery was late again and nobody called me."
    assert LanguageIdentifier().identify(text).lang == "en"
    assert LanguageIdentifier(min_confidence=1.0).identify(text).lang == UNKNOWN


def test_langid_min_words_sets_the_short_text_limit() -> None:
    assert LanguageIdentifier(min_words=2).identify("Labai gerai").lang == "lt"
    text = "The delivery was late again"
    assert LanguageIdentifier(min_words=10).identify(text).lang == UNKNOWN


def test_langid_identify_many_keeps_order_and_matches_identify(
    identifier: LanguageIdentifier,
) -> None:
    texts = [
        "Das Essen war kalt und die Lieferung kam viel zu spät.",
        "ok",
        "המשלוח הגיע באיחור של יומיים",
        "La comida llegó fría y el repartidor fue muy grosero.",
        "",
        "Le colis est arrivé avec trois jours de retard.",
    ]
    guesses = identifier.identify_many(texts)
    assert [guess.lang for guess in guesses] == ["de", UNKNOWN, "he", "es", UNKNOWN, "fr"]
    one_by_one = [identifier.identify(text) for text in texts]
    assert [guess.lang for guess in one_by_one] == [guess.lang for guess in guesses]
    # lingua's batch and single paths may differ in the last bit of the confidence
    assert [g.confidence for g in one_by_one] == pytest.approx([g.confidence for g in guesses])
    assert identifier.identify_many([]) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("  hello   world ", 2),
        ("4 stars !!!", 1),
        ("می‌خواهم برگردانم", 2),
        ("送货太慢", 4),
    ],
)
def test_langid_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


def test_langid_default_languages_cover_the_first_class_languages() -> None:
    assert {"en", "ar", "he", "fa", "lt"} <= set(DEFAULT_LANGUAGES)
    assert LanguageIdentifier().languages == DEFAULT_LANGUAGES


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"languages": ["en"]}, "at least 2 distinct"),
        ({"languages": ["en", "en"]}, "at least 2 distinct"),
        ({"languages": ["en", "xx"]}, "Got 'xx'"),
        ({"languages": "en"}, "Got the str 'en'"),
        ({"min_words": 0}, "'min_words'.*Got 0"),
        ({"min_confidence": 1.5}, "'min_confidence'.*Got 1.5"),
        ({"fast_min_confidence": -0.1}, "'fast_min_confidence'.*Got -0.1"),
        ({"long_text_chars": 0}, "'long_text_chars'.*Got 0"),
        ({"long_text_chars": True}, "'long_text_chars'.*Got True"),
        ({"fasttext_min_confidence": 1.5}, "'fasttext_min_confidence'.*Got 1.5"),
    ],
)
def test_langid_rejects_invalid_parameters(params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        LanguageIdentifier(**params)  # type: ignore[arg-type]


def test_langid_parameters_read_the_shared_message() -> None:
    with pytest.raises(InvalidInputError) as caught:
        LanguageIdentifier(min_confidence=1.5)
    assert str(caught.value).endswith(
        "The 'min_confidence' parameter of LanguageIdentifier must be a float in the range "
        "[0.0, 1.0]. Got 1.5 instead."
    )


def test_langid_keeps_numpy_parameters_as_plain_numbers() -> None:
    identifier = LanguageIdentifier(min_words=np.int64(3), min_confidence=np.float64(0.5))  # type: ignore[arg-type]
    assert (identifier.min_words, identifier.min_confidence) == (3, 0.5)
    assert type(identifier.min_words) is int
    assert type(identifier.min_confidence) is float
    assert LanguageIdentifier(long_text_chars=None).long_text_chars is None


def test_langid_rejects_non_string_text(identifier: LanguageIdentifier) -> None:
    with pytest.raises(InvalidInputError, match=r"\[E100\].*position 1"):
        identifier.identify_many(["fine", None])  # type: ignore[list-item]


@pytest.mark.corpus
@pytest.mark.parametrize("lang", ["en", "ar", "he", "fa", "lt"])
def test_langid_sib200_accuracy_at_least_98_percent(
    identifier: LanguageIdentifier, shared_corpora: Path, lang: str
) -> None:
    path = shared_corpora / "eval" / "themes" / f"sib200_{lang}_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    guesses = identifier.identify_many([row["text"] for row in rows])
    correct = sum(guess.lang == row["lang"] for guess, row in zip(guesses, rows, strict=True))
    assert correct / len(rows) >= 0.98
