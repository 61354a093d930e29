"""Views of a text for matching: digits folded to ASCII, invisible format marks taken out.

Detectors never look at the text itself. :func:`fold_digits` maps Arabic-Indic, Persian
(Extended Arabic-Indic) and full-width digits to ASCII one character for one, so offsets are
unchanged. :func:`compact` also drops the invisible marks that right-to-left text is full of
(bidi marks, ZWNJ, zero-width spaces), so that ``050‎-123‎-4567`` is matched as one number, and
keeps the original position of every character left so that offsets can be mapped back. Only the
spans found are replaced in the original text: everything around them, marks included, stays.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Final

ARABIC_INDIC_DIGITS: Final = "٠١٢٣٤٥٦٧٨٩"
PERSIAN_DIGITS: Final = "۰۱۲۳۴۵۶۷۸۹"
FULLWIDTH_DIGITS: Final = "".join(chr(0xFF10 + value) for value in range(10))
_DIGIT_TABLE: Final = str.maketrans(
    ARABIC_INDIC_DIGITS + PERSIAN_DIGITS + FULLWIDTH_DIGITS, "0123456789" * 3
)

#: Format characters that are invisible in rendered text: soft hyphen, Arabic letter mark,
#: Mongolian vowel separator, zero-width space/non-joiner/joiner, LRM, RLM, the embeddings and
#: overrides U+202A..U+202E, word joiner, the isolates U+2066..U+2069, and the BOM.
INVISIBLE_MARKS: Final = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
INVISIBLE_CLASS: Final = "".join(sorted(INVISIBLE_MARKS))
_INVISIBLE_RE: Final = re.compile(f"[{INVISIBLE_CLASS}]")
_FOREIGN_DIGITS_RE: Final = re.compile(
    f"[{ARABIC_INDIC_DIGITS}{PERSIAN_DIGITS}{FULLWIDTH_DIGITS}]+"
)


def fold_digits(text: str) -> str:
    """Map every Arabic-Indic, Persian and full-width digit to its ASCII digit.

    Args:
        text: Any text.

    Returns:
        A string of the same length in which only those digits differ.
    """
    if text.isascii() or _FOREIGN_DIGITS_RE.search(text) is None:
        return text
    return _FOREIGN_DIGITS_RE.sub(_fold_run, text)


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_DIGIT_TABLE)


@dataclass(frozen=True, slots=True)
class CompactView:
    """A folded text with its invisible marks removed, and the way back to the original.

    Attributes:
        text: The text to match against.
        removed: The offsets, in the original text, of the marks removed, in order.
    """

    text: str
    removed: tuple[int, ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty span of :attr:`text` to the span of the original it came from.

        Args:
            start: Offset of the span's first character in :attr:`text`.
            end: Offset one past its last character.

        Returns:
            ``(start, end)`` in the original text; marks inside the span are inside it.
        """
        if not self.removed:
            return start, end
        return self._original(start), self._original(end - 1) + 1

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the original text to the span of :attr:`text` it covers.

        Args:
            start: Offset in the original text.
            end: Offset one past the span's end in the original text.

        Returns:
            ``(start, end)`` in :attr:`text`; removed marks at the span's edges drop out.
        """
        if not self.removed:
            return start, end
        return start - bisect_left(self.removed, start), end - bisect_left(self.removed, end)

    def _original(self, index: int) -> int:
        skipped = 0
        for position in self.removed:  # marks are few: a linear walk beats building a table
            if position > index + skipped:
                break
            skipped += 1
        return index + skipped


def compact(folded: str) -> CompactView:
    """Remove the invisible format marks from a text whose digits are already folded.

    Args:
        folded: The output of :func:`fold_digits`.

    Returns:
        The view to match numbers against.
    """
    if folded.isascii():
        return CompactView(folded)
    removed = tuple(match.start() for match in _INVISIBLE_RE.finditer(folded))
    if not removed:
        return CompactView(folded)
    return CompactView(_INVISIBLE_RE.sub("", folded), removed)
