"""Step 2 of splitting: cutting a line of a sentence into clauses at its connectives.

A cut is made only where each side keeps :data:`MIN_SIDE_WORDS` words and the connective's flags
allow it; a connective opening a sentence is dropped, and an opening subordinate clause is cut at
the comma that closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from feedback_nlp.text.connectives import Connective
from feedback_nlp.text.units.tokens import _ConnectiveTable, _Token

MIN_SIDE_WORDS = 2
"""A connective splits a sentence only when each side keeps at least this many words."""


# , ; : - en dash, em dash, Arabic comma and semicolon, CJK and full-width comma, semicolon, colon
CLAUSE_PUNCTUATION: frozenset[str] = frozenset(
    ",;:-\u2013\u2014\u060c\u061b\u3001\uff0c\uff1b\uff1a"
)
"""Punctuation that joins clauses; trimmed from the edges of a unit where it was cut."""

_COMMAS = frozenset(",\u060c\u3001\uff0c")  # Latin, Arabic, CJK, full-width


@dataclass(frozen=True, slots=True)
class _Piece:
    """A token range of a sentence; ``cut_after`` tells whether it ends at a connective cut."""

    first: int
    stop: int
    cut_after: bool


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
