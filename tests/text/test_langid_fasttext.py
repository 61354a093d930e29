"""Tests of language identification's fastText pass: what it decides, what it leaves to lingua."""

from __future__ import annotations

import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text import langid
from feedback_nlp.text.langid import LanguageIdentifier

CLEAR = [
    "The delivery was two days late and nobody answered the phone.",
    "Siuntinys vėlavo dvi dienas ir niekas neatsiliepė telefonu.",
    "Das Paket kam drei Tage zu spät und niemand ging ans Telefon.",
    "La commande est arrivée avec trois jours de retard et personne ne répond.",
]


@pytest.fixture(scope="module")
def lingua_only() -> LanguageIdentifier:
    return LanguageIdentifier(fasttext_min_confidence=None)


@pytest.fixture(scope="module")
def with_fasttext() -> LanguageIdentifier:
    return LanguageIdentifier()


def test_fasttext_decides_clear_texts_with_its_probability(
    with_fasttext: LanguageIdentifier, lingua_only: LanguageIdentifier
) -> None:
    guesses = with_fasttext.identify_many(CLEAR)
    assert [g.lang for g in guesses] == ["en", "lt", "de", "fr"]
    assert [g.lang for g in guesses] == [g.lang for g in lingua_only.identify_many(CLEAR)]
    for text, guess in zip(CLEAR, guesses, strict=True):
        labels, probabilities = with_fasttext.fasttext_.predict(text, k=1)
        assert labels[0] == f"__label__{guess.lang}"
        assert guess.confidence == pytest.approx(min(1.0, float(probabilities[0])))
        assert 0.9 <= guess.confidence <= 1.0


def test_texts_fasttext_is_unsure_of_go_to_lingua(lingua_only: LanguageIdentifier) -> None:
    texts = [*CLEAR, "ok ok ok ok", "Sooo , im not schleep tonight"]
    never_sure = LanguageIdentifier(fasttext_min_confidence=1.0)
    # fastText's probabilities are below 1.0 (a softmax), so lingua decides every text (its
    # confidences differ in the last bit between runs: its sums are not ordered)
    unsure, lingua = never_sure.identify_many(texts), lingua_only.identify_many(texts)
    assert [g.lang for g in unsure] == [g.lang for g in lingua]
    assert [g.confidence for g in unsure] == pytest.approx([g.confidence for g in lingua], 1e-9)


def test_only_configured_languages_are_taken_from_fasttext() -> None:
    identifier = LanguageIdentifier(languages=["en", "lt"])
    guess = identifier.identify("Das Paket kam drei Tage zu spät und niemand ging ans Telefon.")
    assert guess.lang in {"en", "lt", "unknown"}
    assert identifier.fasttext_labels_ == {"__label__en": "en", "__label__lt": "lt"}


def test_shouting_is_lower_cased_for_fasttext() -> None:
    assert langid._fasttext_input("THE APP CRASHES\nEVERY DAY") == "the app crashes every day"
    assert langid._fasttext_input("The app crashes\nevery day") == "The app crashes every day"
    assert langid._fasttext_input("OK 123") == "OK 123"  # too few letters to tell
    guess = LanguageIdentifier().identify("THE DELIVERY WAS TWO DAYS LATE AND NOBODY CALLED ME")
    assert guess.lang == "en"


def test_without_fasttext_no_model_is_loaded(lingua_only: LanguageIdentifier) -> None:
    assert lingua_only.fasttext_ is None
    assert lingua_only.get_config()["fasttext_min_confidence"] is None
    assert LanguageIdentifier(**lingua_only.get_config()).fasttext_ is None


def test_a_model_file_that_is_not_the_verified_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    langid._fasttext_model.cache_clear()
    monkeypatch.setattr(langid, "FASTTEXT_MODEL_SHA256", "0" * 64)
    try:
        with pytest.raises(InvalidInputError, match=r"not the verified file.*force-reinstall"):
            LanguageIdentifier()
    finally:
        langid._fasttext_model.cache_clear()
