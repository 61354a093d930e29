"""Opinion units: the pieces of a feedback item that each carry one opinion.

An item is split in two steps:

1. **Sentences**, with spaCy's rule-based ``sentencizer`` on a blank multilingual pipeline. Its
   sentence-final characters include ``. ! ? … ..``, the Arabic question mark and full stop
   (U+061F, U+06D4), the Hebrew sof pasuq (U+05C3) and the CJK full stop, exclamation and question
   marks (U+3002, U+FF01, U+FF1F), but not the Arabic semicolon (U+061B); the tokenizer is taught
   to split them off Arabic, Hebrew and CJK words. A line break also ends a unit: text typed
   into a feedback box breaks lines on purpose.
2. **Clauses**, at the contrastive connectives of :mod:`feedback_nlp.text.connectives` ("Great
   food but delivery was late" holds two opinions). A split is made only when each side keeps at
   least two words, and the connective's flags allow it ("not only X but also Y", "all but one",
   "not yet" stay whole).

Offsets. Every unit is a slice of the original item: ``unit.text == text[unit.start:unit.end]``,
with ``start`` and ``end`` counted in code points (Python ``str`` indices), so right-to-left text,
ZWNJ, bidi marks and emoji come through unchanged. Units of one item are in text order and do not
overlap. Each unit is trimmed of whitespace and invisible format characters (bidi marks,
zero-width characters) at both ends, of clause punctuation (:data:`CLAUSE_PUNCTUATION`: commas,
semicolons, colons and dashes of all scripts) and list bullets at its start, and, where it was
cut at a connective, of clause punctuation at its end. The connective itself belongs to no unit:
the unit after it starts at the next word ("Great food" / "delivery was late"). A connective that
opens a sentence is dropped in the same way ("But delivery was late." gives "delivery was
late."), and a sentence opening with a subordinating connective is split at the comma closing
that clause ("Although the food was great, delivery was late" gives "the food was great" /
"delivery was late"). Sentence-final punctuation stays with its unit.

Pieces too short to stand alone (fewer than ``min_unit_chars`` characters, or without any letter,
digit or symbol such as an emoji) are merged into the unit before them (or after them, when they
come first), so nothing with content is ever lost. Empty and whitespace-only items give no units.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.connectives import CONNECTIVES, Connective
from feedback_nlp.text.opinion_unit import OpinionUnit

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc, Span

    from feedback_nlp.text.stage import TextBatch

__all__ = [
    "CLAUSE_PUNCTUATION",
    "MIN_SIDE_WORDS",
    "MIN_UNIT_CHARS",
    "OpinionUnit",
    "OpinionUnitSplitter",
    "fold_for_matching",
    "sentence_end_chars",
    "sentence_pipeline",
]

MIN_SIDE_WORDS = 2
"""A connective splits a sentence only when each side keeps at least this many words."""

MIN_UNIT_CHARS = Interval("int", 1)
"""``min_unit_chars`` of :class:`OpinionUnitSplitter`: shorter pieces join a neighbour."""

# , ; : - en dash, em dash, Arabic comma and semicolon, CJK and full-width comma, semicolon, colon
CLAUSE_PUNCTUATION: frozenset[str] = frozenset(
    ",;:-\u2013\u2014\u060c\u061b\u3001\uff0c\uff1b\uff1a"
)
"""Punctuation that joins clauses; trimmed from the edges of a unit where it was cut."""

_COMMAS = frozenset(",\u060c\u3001\uff0c")  # Latin, Arabic, CJK, full-width
# Dropped from the start of every unit: clause punctuation and list bullets mean nothing there.
_LEADING_JUNK = CLAUSE_PUNCTUATION | frozenset("*•·‣◦▪►")
# Abbreviations whose full stop does not end a sentence (the blank pipeline knows none).
_ABBREVIATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "vs.", "e.g.", "i.e.", "approx.")
_HASHTAG = re.compile(r"^#[^\W\d_]\w*$")
_DOTS = ("..", "...", "....", ".....", "……")
# Characters that end a sentence wherever they appear, split off any word they touch.
# Ellipsis, Arabic question mark and full stop, Hebrew sof pasuq, CJK full stop, ! and ?.
_ALWAYS_FINAL = "\u2026\u061f\u06d4\u05c3\u3002\uff01\uff1f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_AR_HE_LETTERS = "\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff"
# Hebrew points and cantillation (not the maqaf, paseq or sof pasuq), Arabic harakat and
# Quranic marks.
_AR_HE_MARKS = (
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
)
# Ignored when matching connectives: Arabic and Hebrew diacritics, and tatweel.
_MATCH_IGNORED = re.compile(f"[{_AR_HE_MARKS}\u0640]")
# Alef with hamza above, hamza below, or madda -> bare alef.
_ARABIC_HAMZA_ALEF = str.maketrans("\u0623\u0625\u0622", "\u0627\u0627\u0627")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")
_CONTENT_CATEGORIES = frozenset("LNS")


@functools.cache
def sentence_end_chars() -> tuple[str, ...]:
    """The tokens the sentencizer treats as sentence-final.

    spaCy's default list (``. ! ?``, the Arabic question mark and full stop, the CJK marks, and
    the full stops of many other scripts), plus ``…``, runs of two to five dots, and the Hebrew
    sof pasuq (U+05C3); never the Arabic semicolon (U+061B), which joins clauses.

    Returns:
        The sorted tokens.
    """
    from spacy.pipeline import Sentencizer

    chars = set(Sentencizer.default_punct_chars) | set(_ALWAYS_FINAL) | set(_DOTS)
    chars.discard("\u061b")  # the Arabic semicolon joins clauses
    return tuple(sorted(chars))


@dataclass(frozen=True, slots=True)
class _Token:
    """A visible token of a sentence, with what connective matching needs."""

    text: str
    folded: str
    start: int
    end: int
    is_word: bool


@dataclass(frozen=True, slots=True)
class _Piece:
    """A token range of a sentence; ``cut_after`` tells whether it ends at a connective cut."""

    first: int
    stop: int
    cut_after: bool


# Folded first word -> (folded words, connective), longest forms first.
_ConnectiveTable = Mapping[str, tuple[tuple[tuple[str, ...], Connective], ...]]


@contextlib.contextmanager
def _torch_hidden() -> Iterator[None]:
    """Import spaCy without PyTorch when PyTorch is not loaded yet.

    spaCy's array library (thinc) imports torch whenever it is installed, which costs ~190 MB
    of memory per process; the sentencizer needs none of it. While spaCy is first imported,
    ``import torch`` fails (thinc then records it as absent); afterwards torch imports as usual.
    """
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("torch", "") is None:
            del sys.modules["torch"]


@functools.cache
def sentence_pipeline() -> Language:
    """Build (once per process) the blank multilingual spaCy pipeline with a sentencizer.

    Returns:
        The shared pipeline; treat it as read-only.
    """
    with _torch_hidden():
        import spacy
        from spacy.symbols import ORTH
        from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("xx")
    defaults = nlp.Defaults
    prefixes = [*(defaults.prefixes or ()), f"[{_BIDI}]"]
    suffixes = [
        *(defaults.suffixes or ()),
        f"[{_BIDI}]",
        f"[{_ALWAYS_FINAL}]",
        f"(?<=[{_AR_HE_MARKS}])\\.",
        f"(?<=[{_AR_HE_LETTERS}])[.!?]",
    ]
    infixes = [
        *(defaults.infixes or ()),
        f"[{_ALWAYS_FINAL}]",
        f"(?<=[{_AR_HE_LETTERS}])[.!?](?=[{_AR_HE_LETTERS}])",
    ]
    tokenizer = cast("Tokenizer", nlp.tokenizer)
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.token_match = _HASHTAG.match  # "#TheNoite" is a word, not "#" + "TheNoite"
    for abbreviation in _ABBREVIATIONS:
        for variant in {abbreviation, abbreviation.lower(), abbreviation.capitalize()}:
            tokenizer.add_special_case(variant, [{ORTH: variant}])
    nlp.add_pipe("sentencizer", config={"punct_chars": list(sentence_end_chars())})
    return nlp


class OpinionUnitSplitter:
    """Splits feedback items into opinion units with exact offsets.

    Args:
        min_unit_chars: Pieces shorter than this (after trimming) are merged into a neighbour.
        split_on_connectives: Also split sentences at contrastive connectives.

    Raises:
        InvalidInputError: If ``min_unit_chars`` is not a positive int.

    Example:
        >>> [u.text for u in OpinionUnitSplitter().split("Great food but delivery was late")]
        ['Great food', 'delivery was late']
    """

    name: ClassVar[str] = "text.units.v1"
    requires: ClassVar[frozenset[str]] = frozenset({"text", "lang"})
    provides: ClassVar[frozenset[str]] = frozenset({"units"})

    def __init__(self, *, min_unit_chars: int = 2, split_on_connectives: bool = True) -> None:
        self.min_unit_chars: int = check_param(
            "OpinionUnitSplitter", "min_unit_chars", min_unit_chars, MIN_UNIT_CHARS
        )
        self.split_on_connectives = split_on_connectives

    def fit(self, batch: TextBatch) -> Self:
        """Check that ``batch`` holds what the stage requires; there is nothing to learn."""
        batch.need(self)
        return self

    def transform(self, batch: TextBatch) -> TextBatch:
        """Split each ``batch.text`` in its ``lang`` (a new batch with ``units`` set)."""
        batch.need(self)
        return batch.with_fields(units=tuple(self.split_many(batch.text, batch.lang)))

    def get_config(self) -> dict[str, Any]:
        """The keyword arguments that make an equal splitter."""
        return {
            "min_unit_chars": self.min_unit_chars,
            "split_on_connectives": self.split_on_connectives,
        }

    def split(self, text: str, item_index: int = 0, lang: str | None = None) -> list[OpinionUnit]:
        """Split one item into opinion units.

        Args:
            text: The feedback text.
            item_index: Stored on every unit, to trace it back to its item.
            lang: ISO 639-1 code of the text, if known; chooses the connectives. ``None``,
                ``"unknown"`` or a language without a list use every connective that is not
                an ordinary word in another language.

        Returns:
            The units, in text order.
        """
        return self.split_many([text], [lang], first_index=item_index)

    def split_many(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        *,
        first_index: int = 0,
        batch_size: int = 256,
    ) -> list[OpinionUnit]:
        """Split many items, tokenizing them in batches with ``nlp.pipe``.

        Args:
            texts: The feedback texts.
            langs: ISO 639-1 code of each text (``None`` where unknown), or ``None`` for all.
            first_index: ``item_index`` of the first text; the others follow in order.
            batch_size: Texts per spaCy batch.

        Returns:
            The units of all items, item by item, each in text order.

        Raises:
            InvalidInputError: If a text is not a str or ``langs`` has the wrong length.
        """
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(
                    f"Every text given to OpinionUnitSplitter must be a str. Got "
                    f"{type(text).__name__} at position {position}. Convert or drop the value."
                )
        if langs is None:
            langs = [None] * len(texts)
        elif len(langs) != len(texts):
            raise InvalidInputError(
                f"OpinionUnitSplitter.split_many got {len(texts)} texts but {len(langs)} "
                "languages. Pass one language (or None) per text."
            )
        units: list[OpinionUnit] = []
        docs = sentence_pipeline().pipe(texts, batch_size=batch_size)
        for offset, (doc, lang) in enumerate(zip(docs, langs, strict=True)):
            units.extend(self._units(doc, first_index + offset, lang))
        return units

    def _units(self, doc: Doc, item_index: int, lang: str | None) -> list[OpinionUnit]:
        text: str = doc.text
        table = _connective_table(lang) if self.split_on_connectives else {}
        spans: list[tuple[int, int]] = []
        for sentence in doc.sents:
            for line in _lines(text, _visible_tokens(sentence)):
                for piece in _clauses(line, table):
                    span = _piece_span(text, line, piece)
                    if span is not None:
                        spans.append(span)
        spans = _merge_small(text, spans, self.min_unit_chars)
        return [
            OpinionUnit(
                item_index=item_index, unit_index=i, text=text[start:end], start=start, end=end
            )
            for i, (start, end) in enumerate(spans)
        ]


def fold_for_matching(token: str) -> str:
    """Fold a token for connective matching.

    Drops format characters (bidi marks, ZWNJ, ZWJ), Arabic and Hebrew diacritics and tatweel,
    then NFC-normalises and case-folds.

    Args:
        token: One token.

    Returns:
        The folded token; empty for tokens made only of invisible characters.
    """
    if token.isascii():
        return token.casefold()
    visible = "".join(ch for ch in token if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", _MATCH_IGNORED.sub("", visible)).casefold()


@functools.cache
def _connective_table(lang: str | None) -> _ConnectiveTable:
    """The connectives to use for a language, indexed by their folded first word."""
    if lang is not None and lang in CONNECTIVES:
        chosen = list(CONNECTIVES[lang])
    else:
        chosen = [c for conns in CONNECTIVES.values() for c in conns if not c.language_specific]
    forms: dict[tuple[str, ...], Connective] = {}
    for connective in chosen:
        words = [fold_for_matching(word) for word in connective.form.split()]
        variants: Iterable[tuple[str, ...]]
        if connective.lang == "ar":
            variants = product(*({w, w.translate(_ARABIC_HAMZA_ALEF)} for w in words))
        else:
            variants = iter([tuple(words)])
        for variant in variants:
            forms.setdefault(tuple(variant), connective)
    table: dict[str, list[tuple[tuple[str, ...], Connective]]] = {}
    for words_, connective in sorted(forms.items(), key=lambda item: -len(item[0])):
        table.setdefault(words_[0], []).append((words_, connective))
    return {first: tuple(entries) for first, entries in table.items()}


def _visible_tokens(sentence: Span) -> list[_Token]:
    tokens = []
    for token in sentence:
        folded = fold_for_matching(token.text)
        if token.is_space or not folded:
            continue
        tokens.append(
            _Token(
                text=token.text,
                folded=folded,
                start=token.idx,
                end=token.idx + len(token.text),
                is_word=any(ch.isalnum() for ch in token.text),
            )
        )
    return tokens


def _lines(text: str, tokens: list[_Token]) -> Iterator[list[_Token]]:
    """Split a sentence's tokens where a line break separates two of them."""
    line: list[_Token] = []
    for token in tokens:
        if line and any(ch in _LINE_BREAKS for ch in text[line[-1].end : token.start]):
            yield line
            line = []
        line.append(token)
    if line:
        yield line


def _find_connectives(
    tokens: list[_Token], table: _ConnectiveTable
) -> Iterator[tuple[int, int, Connective]]:
    """Yield ``(first, stop, connective)`` token ranges, left to right, longest form first."""
    i = 0
    while i < len(tokens):
        for words, connective in table.get(tokens[i].folded, ()):
            stop = i + len(words)
            if stop > len(tokens) or any(
                tokens[k].folded != word for k, word in enumerate(words[1:], start=i + 1)
            ):
                continue
            if _allowed(tokens, i, stop, connective):
                yield i, stop, connective
                i = stop - 1
            break
        i += 1


def _allowed(tokens: list[_Token], first: int, stop: int, connective: Connective) -> bool:
    before = tokens[first - 1].folded if first > 0 else None
    after = tokens[stop].folded if stop < len(tokens) else None
    if connective.after_punctuation and before is not None and before not in CLAUSE_PUNCTUATION:
        return False
    if before is not None and before in connective.not_after:
        return False
    return not (after is not None and after in connective.not_before)


def _words(tokens: list[_Token], first: int, stop: int) -> int:
    return sum(1 for token in tokens[first:stop] if token.is_word)


def _clauses(tokens: list[_Token], table: _ConnectiveTable) -> list[_Piece]:
    """Cut a line of a sentence at its connectives where both sides stay meaningful."""
    pieces: list[_Piece] = []
    start = 0
    for first, stop, connective in _find_connectives(tokens, table):
        if first < start:
            continue
        left, right = _words(tokens, start, first), _words(tokens, stop, len(tokens))
        if right < MIN_SIDE_WORDS:
            continue
        if left == 0:  # the connective opens the sentence (or follows a cut): drop it
            comma = _closing_comma(tokens, stop) if connective.kind == "subordinating" else None
            if comma is not None:
                pieces.append(_Piece(stop, comma, cut_after=True))
                start = comma + 1
            else:
                start = stop
            continue
        if left < MIN_SIDE_WORDS or _parenthetical(tokens, first, stop, left):
            continue
        pieces.append(_Piece(start, first, cut_after=True))
        start = stop
    pieces.append(_Piece(start, len(tokens), cut_after=False))
    return pieces


def _closing_comma(tokens: list[_Token], stop: int) -> int | None:
    """The comma closing a clause opened at ``stop``, when both sides keep enough words."""
    for k in range(stop, len(tokens)):
        if tokens[k].text in _COMMAS and _words(tokens, stop, k) >= MIN_SIDE_WORDS:
            return k if _words(tokens, k + 1, len(tokens)) >= MIN_SIDE_WORDS else None
    return None


def _parenthetical(tokens: list[_Token], first: int, stop: int, left: int) -> bool:
    """Whether the connective is a comma-bounded aside after a short subject.

    "The food, however, was cold" is one opinion, not two.
    """
    if first == 0 or tokens[first - 1].text not in _COMMAS or left > MIN_SIDE_WORDS:
        return False
    for k in range(stop, len(tokens)):
        if tokens[k].text in _COMMAS:
            return _words(tokens, stop, k) < MIN_SIDE_WORDS
    return False


def _piece_span(text: str, tokens: list[_Token], piece: _Piece) -> tuple[int, int] | None:
    """Character span of a piece: clause punctuation dropped at cuts, invisible edges trimmed."""
    first, stop = piece.first, piece.stop
    while first < stop and tokens[first].text in _LEADING_JUNK:
        first += 1
    if piece.cut_after:
        while stop > first and tokens[stop - 1].text in CLAUSE_PUNCTUATION:
            stop -= 1
    if first >= stop:
        return None
    return _trim(text, tokens[first].start, tokens[stop - 1].end)


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return (start, end) if start < end else None


def _has_content(fragment: str) -> bool:
    return any(unicodedata.category(ch)[0] in _CONTENT_CATEGORIES for ch in fragment)


def _merge_small(text: str, spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Merge pieces without content, or shorter than ``min_chars``, into a neighbour."""
    merged: list[tuple[int, int]] = []
    pending: int | None = None  # start of small pieces seen before any full unit
    for start, end in spans:
        fragment = text[start:end]
        if _has_content(fragment) and len(fragment) >= min_chars:
            merged.append((start if pending is None else pending, end))
            pending = None
        elif merged:
            merged[-1] = (merged[-1][0], end)
        elif pending is None:
            pending = start
    if pending is not None and spans and _has_content(text[pending : spans[-1][1]]):
        merged.append((pending, spans[-1][1]))
    return merged
