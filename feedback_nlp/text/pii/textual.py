"""Detectors of PII written with letters: URLs carrying secrets, e-mail addresses, @handles.

They run on the digit-folded text (same offsets as the original). A URL is PII only when it
carries a secret: a query or fragment parameter named like a credential (``token=``,
``api_key=``, ``sig=``, ``password=``, ``session=``, ``X-Amz-Signature=`` …) with a value, or a
password in its user-info part (``https://user:pass@host``); then the whole URL is replaced. A
plain URL stays, although PII inside it (an e-mail address, a phone number) is still found by
the other detectors.
"""

from __future__ import annotations

import re
from typing import Final

from feedback_nlp.text.pii.spans import Found, PiiKind
from feedback_nlp.text.pii.views import INVISIBLE_CLASS

_URL: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:https?|ftps?|wss?)://|www\.)"
    rf"[^\s<>\"'`{{}}|\\^{INVISIBLE_CLASS}]+",
    re.IGNORECASE,
)
_URL_HINT: Final = re.compile(r"://|www\.", re.IGNORECASE)
_URL_TRAILING: Final = ".,;:!?)]}'\"»«\u2039\u203a،؛؟…*"
_URL_PARAM: Final = re.compile(r"[?&;#]([^=&;#?\s]+)=([^&;#\s]+)")
_URL_USERINFO: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#@\s]+:[^/?#@\s]+@", re.IGNORECASE)
_SECRET_NAMES: Final = frozenset(
    {
        "auth", "code", "jwt", "key", "otp", "pass", "pwd", "session", "sid", "sig",
        "ticket", "apikey", "passwd", "password", "secret", "signature", "token",
    }
)  # fmt: skip
_SECRET_SUFFIXES: Final = (
    "token", "secret", "password", "passwd", "signature", "apikey", "_key", "sessionid",
    "session_id", "credential", "credentials", "_sig", "_auth", "_jwt",
)  # fmt: skip

_EMAIL: Final = re.compile(  # bounded (local part <= 64, RFC 5321) so that no input is slow
    r"(?<![A-Za-z0-9_])[A-Za-z0-9_][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])"
)
_HANDLE: Final = re.compile(
    r"(?<![A-Za-z0-9_.%+\-@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,37}[A-Za-z0-9_])?)(?![A-Za-z0-9_@])"
)
_NOT_A_HANDLE: Final = re.compile(r"[0-9_.]+|[0-9]{1,2}(?:[:.][0-9]{2})?(?:am|pm|h)", re.IGNORECASE)


def find_textual(text: str, kinds: frozenset[PiiKind]) -> list[Found]:
    """Find secret-bearing URLs, e-mail addresses and @handles.

    Args:
        text: The digit-folded text to search.
        kinds: The kinds to look for; others are skipped.

    Returns:
        Detections, possibly overlapping, with offsets into ``text``.
    """
    found: list[Found] = []
    if PiiKind.URL in kinds and _URL_HINT.search(text):
        for match in _URL.finditer(text):
            url = match.group().rstrip(_URL_TRAILING)
            if _has_secret(url):
                found.append((PiiKind.URL, match.start(), match.start() + len(url)))
    if "@" in text:
        if PiiKind.EMAIL in kinds:
            found.extend((PiiKind.EMAIL, *match.span()) for match in _EMAIL.finditer(text))
        if PiiKind.HANDLE in kinds:
            found.extend(
                (PiiKind.HANDLE, *match.span())
                for match in _HANDLE.finditer(text)
                if not _NOT_A_HANDLE.fullmatch(match.group(1))
            )
    return found


def _has_secret(url: str) -> bool:
    if _URL_USERINFO.match(url):
        return True
    for match in _URL_PARAM.finditer(url):
        name = match.group(1).lower().replace("-", "_")
        if name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES):
            return True
    return False
