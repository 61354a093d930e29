"""A sentence's visible tokens, folded for connective matching, and the connectives to match.

Tokens are folded (format characters, Arabic and Hebrew diacritics and tatweel dropped, NFC,
case-folded), grouped into lines at line breaks, and looked up in a table of each language's
connectives indexed by their folded first word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING

from feedback_nlp.text.connectives import CONNECTIVES, Connective
from feedback_nlp.text.units.sentences import _AR_HE_MARKS

if TYPE_CHECKING:
    from spacy.tokens import Span


# Ignored when matching connectives: Arabic and Hebrew diacritics, and tatweel.
_MATCH_IGNORED = re.compile(f"[{_AR_HE_MARKS}\u0640]")
# Alef with hamza above, hamza below, or madda -> bare alef.
_ARABIC_HAMZA_ALEF = str.maketrans("\u0623\u0625\u0622", "\u0627\u0627\u0627")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")


@dataclass(frozen=True, slots=True)
class _Token:
    """A visible token of a sentence, with what connective matching needs."""

    text: str
    folded: str
    start: int
    end: int
    is_word: bool


# Folded first word -> (folded words, connective), longest forms first.
_ConnectiveTable = Mapping[str, tuple[tuple[tuple[str, ...], Connective], ...]]


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
