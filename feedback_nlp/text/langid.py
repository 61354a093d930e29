"""Language identification of feedback items with lingua.

The detector is built from an explicit, configured set of languages rather than all 75 that lingua
knows: fewer models load (memory, speed), and a text can only be called one of the languages the
service is prepared to handle. The default set holds the five first-class languages, the other
languages of the evaluation sets, and a few neighbours that give texts in similar languages
somewhere to go (Urdu for Arabic-script text, Latvian for Lithuanian, Dutch for German, ...).

Texts shorter than ``min_words`` words are too short for character n-grams to be reliable; they get
``"unknown"`` unless their script alone decides the language (Hebrew letters mean Hebrew; Arabic
letters that only Persian uses mean Persian). Longer texts always go to lingua, which is right far
more often than any script rule. Before counting words and detecting, a copy of the text is
NFKC-normalised (Arabic presentation forms and full-width letters become ordinary letters), and
URLs, e-mail addresses and @mentions, which carry no language, are removed.

The models ship inside the ``lingua-language-detector`` wheel; nothing is downloaded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from feedback_nlp.errors import InvalidInputError

__all__ = ["DEFAULT_LANGUAGES", "UNKNOWN", "LanguageGuess", "LanguageIdentifier"]

UNKNOWN = "unknown"
"""The ``lang`` of a guess when the text is too short, has no letters, or the detector is unsure."""

DEFAULT_LANGUAGES: tuple[str, ...] = (
    # first-class
    "en",
    "ar",
    "he",
    "fa",
    "lt",
    # the other languages of the sentiment evaluation set
    "fr",
    "de",
    "hi",
    "it",
    "pt",
    "es",
    # neighbours, so that texts in a close language are not forced into a supported one
    "ur",
    "ru",
    "tr",
    "lv",
    "pl",
    "nl",
)
"""ISO 639-1 codes of the languages the default identifier chooses between."""

SCRIPT_RULE_CONFIDENCE = 1.0
"""Confidence of a short-text guess decided by a script used by exactly one language."""

LETTER_RULE_CONFIDENCE = 0.9
"""Confidence of a short-text guess decided by letters typical of one Arabic-script language."""

# Scripts that, among lingua's languages, belong to a single language (first-class ones first).
_UNIQUE_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("he", re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("el", re.compile("[\u0370-\u03ff\u1f00-\u1fff]")),
    ("hy", re.compile("[\u0530-\u058f]")),
    ("ka", re.compile("[\u10a0-\u10ff]")),
    ("ko", re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
)
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Letters of the Arabic script that tell its languages apart in short texts.
# tteh, ddal, rreh, noon ghunna, heh doachashmee, heh goal, yeh barree (and with hamza)
_URDU_LETTERS = re.compile("[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2\u06d3]")
_PERSIAN_LETTERS = re.compile("[\u067e\u0686\u0698\u06af\u06cc\u06a9]")  # پ چ ژ گ ی ک
_ARABIC_LETTERS = re.compile("[\u064a\u0643\u0649\u0629]")  # ي ك ى ة
# Han and kana are written without spaces: each character counts as a word.
_UNSPACED_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_LANGUAGE = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\w)@\w+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The language of one text.

    Attributes:
        lang: ISO 639-1 code of the language, or ``"unknown"``.
        confidence: How sure the identifier is of ``lang``, in [0, 1]: lingua's relative
            confidence among the configured languages, or a fixed rule confidence
            (:data:`SCRIPT_RULE_CONFIDENCE`, :data:`LETTER_RULE_CONFIDENCE`) for short texts
            decided by their script. Always 0.0 when ``lang`` is ``"unknown"``.
    """

    lang: str
    confidence: float


_UNKNOWN_GUESS = LanguageGuess(lang=UNKNOWN, confidence=0.0)


class LanguageIdentifier:
    """Identifies the language of feedback texts among a configured set of languages.

    Args:
        languages: ISO 639-1 codes of the languages to choose between; at least two.
        min_words: Texts with fewer words are ``"unknown"`` unless their script decides.
        min_confidence: Guesses below this confidence are ``"unknown"``. lingua's confidences
            are relative: over the configured languages they sum to 1, so the default 0.2 only
            rejects near-ties, which occur on short, noisy texts.
        preload: Load every language model now instead of on first use (slower start, no
            first-request delay).

    Raises:
        InvalidInputError: If a parameter is out of range or a code is not a lingua language.

    Example:
        >>> LanguageIdentifier().identify("The delivery was late again and nobody called me.")
        LanguageGuess(lang='en', confidence=...)
    """

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        min_words: int = 4,
        min_confidence: float = 0.2,
        preload: bool = False,
    ) -> None:
        self.languages = _validate_languages(languages)
        self.min_words = _validate_min_words(min_words)
        self.min_confidence = _validate_min_confidence(min_confidence)
        self.preload = preload
        builder = LanguageDetectorBuilder.from_languages(
            *(_to_lingua(code) for code in self.languages)
        )
        if preload:
            builder = builder.with_preloaded_language_models()
        self.detector_: LanguageDetector = builder.build()

    def identify(self, text: str) -> LanguageGuess:
        """Identify the language of one text.

        Args:
            text: Any text; empty and letter-less texts are ``"unknown"``.

        Returns:
            The guess.
        """
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """Identify the language of many texts, using lingua's multi-threaded batch API.

        Args:
            texts: The texts, in order.

        Returns:
            One guess per text, in the same order.
        """
        guesses: list[LanguageGuess] = [_UNKNOWN_GUESS] * len(texts)
        long_positions: list[int] = []
        long_texts: list[str] = []
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(
                    f"Every text given to LanguageIdentifier must be a str. Got "
                    f"{type(text).__name__} at position {position}. Convert or drop the value."
                )
            cleaned = _NOT_LANGUAGE.sub(" ", unicodedata.normalize("NFKC", text))
            if count_words(cleaned) >= self.min_words:
                long_positions.append(position)
                long_texts.append(cleaned)
            else:
                guesses[position] = self._by_script(cleaned)
        if long_texts:
            results = self.detector_.compute_language_confidence_values_in_parallel(long_texts)
            for position, values in zip(long_positions, results, strict=True):
                if values and values[0].value > 0.0:
                    best = values[0]
                    guesses[position] = self._accept(
                        best.language.iso_code_639_1.name.lower(), best.value
                    )
        return guesses

    def _accept(self, lang: str, confidence: float) -> LanguageGuess:
        if confidence < self.min_confidence:
            return _UNKNOWN_GUESS
        return LanguageGuess(lang=lang, confidence=float(confidence))

    def _by_script(self, text: str) -> LanguageGuess:
        """Decide a short text by its script alone, or return ``"unknown"``."""
        letters = _LETTER.findall(text)
        if not letters:
            return _UNKNOWN_GUESS
        majority = len(letters) / 2
        for lang, script in _UNIQUE_SCRIPTS:
            if lang in self.languages and _count_in(script, letters) > majority:
                return self._accept(lang, SCRIPT_RULE_CONFIDENCE)
        if _count_in(_ARABIC_SCRIPT, letters) > majority:
            by_letters = _arabic_script_language(text)
            if by_letters is not None and by_letters in self.languages:
                return self._accept(by_letters, LETTER_RULE_CONFIDENCE)
        return _UNKNOWN_GUESS


def count_words(text: str) -> int:
    """Count the words of a text: whitespace-separated tokens holding a letter.

    Han and kana characters count one word each, since those scripts are written without spaces.

    Args:
        text: Any text.

    Returns:
        The number of words.
    """
    words = 0
    for token in text.split():
        if _LETTER.search(token):
            words += max(1, len(_UNSPACED_SCRIPT.findall(token)))
    return words


def _count_in(script: re.Pattern[str], letters: list[str]) -> int:
    return sum(1 for letter in letters if script.match(letter))


def _arabic_script_language(text: str) -> str | None:
    """Tell Arabic, Persian and Urdu apart by letters only some of them use, when unambiguous."""
    if _URDU_LETTERS.search(text):
        return "ur"
    persian = _PERSIAN_LETTERS.search(text) is not None
    arabic = _ARABIC_LETTERS.search(text) is not None
    if persian and not arabic:
        return "fa"
    if arabic and not persian:
        return "ar"
    return None


def _to_lingua(code: str) -> Language:
    return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))


def _validate_languages(languages: Sequence[str]) -> tuple[str, ...]:
    if isinstance(languages, str):
        raise InvalidInputError(
            "The 'languages' parameter of LanguageIdentifier must be a sequence of ISO 639-1 "
            f"codes. Got the str {languages!r} instead. Pass a list such as ['en', 'ar']."
        )
    codes: list[str] = []
    for code in languages:
        normalised = str(code).strip().lower()
        try:
            _to_lingua(normalised)
        except ValueError:
            raise InvalidInputError(
                "The 'languages' parameter of LanguageIdentifier must hold ISO 639-1 codes of "
                f"languages lingua supports. Got {code!r} instead. Remove it or fix the code."
            ) from None
        if normalised not in codes:
            codes.append(normalised)
    if len(codes) < 2:
        raise InvalidInputError(
            "The 'languages' parameter of LanguageIdentifier must name at least 2 distinct "
            f"languages. Got {list(languages)!r} instead. Add the languages to choose between."
        )
    return tuple(codes)


def _validate_min_words(min_words: int) -> int:
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
        raise InvalidInputError(
            "The 'min_words' parameter of LanguageIdentifier must be an int in the range "
            f"[1, inf). Got {min_words!r} instead."
        )
    return min_words


def _validate_min_confidence(min_confidence: float) -> float:
    if (
        isinstance(min_confidence, bool)
        or not isinstance(min_confidence, int | float)
        or not 0.0 <= min_confidence <= 1.0
    ):
        raise InvalidInputError(
            "The 'min_confidence' parameter of LanguageIdentifier must be a float in the range "
            f"[0, 1]. Got {min_confidence!r} instead."
        )
    return float(min_confidence)
