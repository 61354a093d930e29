"""What a detection is: the kinds of PII, one found span, and a redacted text.

Nothing here holds an original PII value. A :class:`PiiSpan` names a kind and a place in the
original text; a :class:`Redaction` holds the redacted text and those spans, so that neither can
leak what was removed into a log, a store or an embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class PiiKind(StrEnum):
    """A kind of personal data; its placeholder replaces every span of that kind."""

    URL = "url"
    EMAIL = "email"
    IBAN = "iban"
    CARD = "card"
    IP = "ip"
    PHONE = "phone"
    HANDLE = "handle"

    @property
    def placeholder(self) -> str:
        """The text that replaces a span of this kind, e.g. ``[PHONE]``."""
        return f"[{self.name}]"


#: Which kind wins where two detections overlap: a lower number wins, then the longer span.
PRIORITY: Final[Mapping[PiiKind, int]] = MappingProxyType(
    {kind: rank for rank, kind in enumerate(PiiKind)}
)


#: A detection before overlaps are resolved: ``(kind, start, end)``; internal to the detectors.
Found = tuple[PiiKind, int, int]


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One detection: its kind and its place in the original text.

    Attributes:
        kind: What was found.
        start: Offset of its first character in the original text (code points).
        end: Offset one past its last character.
    """

    kind: PiiKind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Redaction:
    """A text with every detected span replaced by its kind's placeholder.

    Attributes:
        text: The redacted text.
        spans: The detections, in text order, with offsets into the original text.
    """

    text: str
    spans: tuple[PiiSpan, ...]
