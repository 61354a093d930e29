"""From clauses to unit offsets: each piece's trimmed character span, and small pieces merged.

Clause punctuation is dropped where a piece was cut, list bullets at its start and invisible
characters at both ends; pieces without content or too short to stand alone join a neighbour.
"""

from __future__ import annotations

import unicodedata

from feedback_nlp.text.units.clauses import CLAUSE_PUNCTUATION, _Piece
from feedback_nlp.text.units.tokens import _Token

# Dropped from the start of every unit: clause punctuation and list bullets mean nothing there.
_LEADING_JUNK = CLAUSE_PUNCTUATION | frozenset("*•·‣◦▪►")


_CONTENT_CATEGORIES = frozenset("LNS")


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
