"""What theme mining treats as a unit's content: the text without placeholders, links and numbers.

Ingest replaces personal data with typed placeholders (``[PHONE]``, ``[EMAIL]``, ...). Those are
not words the customer wrote about: embedded as they are, "My number is [PHONE]" lands near
phone-related complaints, and the labeler reads "phone" into a theme. :func:`content_text`
removes placeholders, URLs (and their ``t.co`` fragments), ``@handles``, ``#`` signs and
free-standing numbers, then collapses whitespace. It is what the embedder sees when themes are
mined (:mod:`feedback_nlp.jobs.runner`) and evaluated (:mod:`feedback_nlp.eval.themes`), and what
the labeler counts (:mod:`feedback_nlp.themes.label`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["PLACEHOLDER_PATTERN", "content_text", "content_texts"]

PLACEHOLDER_PATTERN = r"\[[A-Z][A-Z_]*\]"
_REMOVED = re.compile(
    "|".join(
        [
            PLACEHOLDER_PATTERN,
            r"(?i:\b(?:https?://|www\.)\S+)",
            r"(?i:\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|co|ly|gl|me)\b(?:/\S*)?)",
            r"(?<!\w)@\w+",
            r"(?<!\w)[#$€£₪﷼]?\d[\d.,:/%-]*(?!\w)",
        ]
    )
)
_HASH = re.compile(r"(?<!\w)#(?=\w)")
_SPACES = re.compile(r"\s+")


def content_text(text: str) -> str:
    """Return ``text`` without placeholders, URLs, @handles and free-standing numbers.

    Words that contain digits ("4G", "2FA") are kept; a ``#`` in front of a word is dropped and
    the word kept. The result may be empty (a unit that was only a phone number).
    """
    cleaned = _HASH.sub("", _REMOVED.sub(" ", text))
    return _SPACES.sub(" ", cleaned).strip()


def content_texts(texts: Sequence[str]) -> list[str]:
    """:func:`content_text` of each text; an empty result falls back to the text as given.

    The fallback keeps one row per unit for the embedder (a unit of only a placeholder still has
    a vector); the labeler skips such units since none of their tokens are words.
    """
    out = []
    for text in texts:
        cleaned = content_text(text)
        out.append(cleaned or text)
    return out
