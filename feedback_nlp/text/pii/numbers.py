"""Detectors of numeric PII: IBANs, payment cards, IP addresses and telephone numbers.

They run on a :class:`~feedback_nlp.text.pii.views.CompactView` (ASCII digits, no invisible marks)
in a fixed order, each one skipping the places an earlier one took: IBANs, then IP addresses,
then cards and phone numbers together. Those two are read from *clusters*, runs of digit groups
joined by spaces, dashes, dots or brackets (``order 12345 0501234567``, ``050-123-4567 4111 1111
1111 1111``). Each cluster is split from the left: at each group, the longest window of
consecutive groups that is a valid card (16 digits first) or phone number is taken, and the
search goes on after it; a group that starts no valid window is skipped. So a number next to
another number is still found whole. Dates (``12.05.2026``, ``2026-05-12``) and numbers right
after ``#`` or ``№`` are never phone numbers.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from feedback_nlp.text.pii.checksums import IBAN_LENGTHS, iban_valid, luhn_valid
from feedback_nlp.text.pii.phones import is_phone_number
from feedback_nlp.text.pii.spans import Found, PiiKind
from feedback_nlp.text.pii.spanset import SpanSet

_Span = tuple[int, int]

_ALNUM: Final = frozenset(string.ascii_letters + string.digits)
_SPACES: Final = " \u00a0\u2009\u202f"
_DASHES: Final = "\\-\u2010\u2011\u2012\u2013"

_CLUSTER: Final = re.compile(  # written to start with a character set, which re scans for fast
    rf"[+(0-9](?<![0-9A-Za-z].)"  # a "+", "(" or digit with no letter or digit before it
    rf"(?:(?<=\+)[{_SPACES}]?\(?[0-9]+|(?<=\()[0-9]+|(?<=[0-9])[0-9]*)"
    rf"(?:[{_SPACES}().{_DASHES}]{{1,3}}[0-9]+)*"
)
_DIGIT_RUN: Final = re.compile(r"[0-9]+")
_CARD_GAP: Final = re.compile(rf"[{_SPACES}]?[{_DASHES}]?[{_SPACES}]?")
_CARD_LAYOUTS: Final = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4)})
#: Issuer prefixes: Mir and Mastercard 2-series, Amex, Diners and JCB, Visa, and 5 and 6 in full
#: (Mastercard, Maestro, Discover, UnionPay, RuPay, and the Iranian Shetab banks).
_CARD_ISSUER: Final = re.compile(r"220[0-4]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720|3[04-9]|[456]")
_PHONE_MAX_DIGITS: Final = 17
_PHONE_MAX_GROUPS: Final = 7  # "00 33 6 12 34 56 78"; cards have at most 5 groups
_MIN_CLUSTER_CHARS: Final = 7  # the fewest digits of a phone number; cards have more
_CARD_MAX_DIGITS: Final = 19

_CLUSTER_KINDS: Final = frozenset({PiiKind.CARD, PiiKind.PHONE})

_IBAN_START: Final = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}")
_IBAN_SEPARATORS: Final = frozenset(_SPACES + "-")

_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4: Final = re.compile(rf"(?<![0-9A-Za-z.]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9A-Za-z]|\.[0-9])")
_IPV6: Final = re.compile(
    r"(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)[0-9]{1,3}(?:\.[0-9]{1,3}){3})?(?![0-9A-Za-z:]|\.[0-9A-Za-z])"
)
_DAY_OR_MONTH: Final = r"[0-3]?[0-9]"
_YEAR: Final = r"(?:1[34]|19|20)[0-9]{2}"  # Gregorian, and Solar Hijri (13xx, 14xx) years
_DATE: Final = re.compile(  # no boundaries: a date glued to more digits is no phone either
    rf"{_DAY_OR_MONTH}([./-]){_DAY_OR_MONTH}\1{_YEAR}|{_YEAR}([./-]){_DAY_OR_MONTH}\2{_DAY_OR_MONTH}"
)
_NUMBER_SIGNS: Final = frozenset("#№")


@dataclass(frozen=True, slots=True)
class _Cluster:
    start: int
    plus: bool
    groups: tuple[_Span, ...]
    texts: tuple[str, ...]
    gaps: tuple[str, ...]


def find_numeric(
    text: str, kinds: frozenset[PiiKind], digit_count: int, taken: Sequence[_Span] = ()
) -> list[Found]:
    """Find IBANs, cards, IP addresses and phone numbers in a compacted, digit-folded text.

    Args:
        text: The :attr:`CompactView.text` to search.
        kinds: The kinds to look for; others are skipped.
        digit_count: How many ASCII digits ``text`` holds (cheap pre-checks use it).
        taken: Spans of ``text`` already found to be PII of a higher priority (URLs, e-mail
            addresses); nothing found here overlaps them.

    Returns:
        Non-overlapping detections, with offsets into ``text``.
    """
    found: list[Found] = []
    claimed = SpanSet(taken)
    if PiiKind.IBAN in kinds and digit_count >= 8:
        for start, end, valid in _ibans(text):
            if valid:
                found.append((PiiKind.IBAN, start, end))
            claimed.add(start, end)  # an IBAN with a wrong check is no phone number either
    if PiiKind.IP in kinds:
        for start, end in _ip_addresses(text, claimed, digit_count):
            found.append((PiiKind.IP, start, end))
            claimed.add(start, end)
    wanted = kinds & _CLUSTER_KINDS
    if wanted and digit_count >= _MIN_CLUSTER_CHARS:
        for cluster in _clusters(text):
            found += _cover(text, cluster, wanted, claimed)
    return found


def _ibans(text: str) -> Iterator[tuple[int, int, bool]]:
    """Yield every IBAN-shaped span (country code, that country's length) and its validity."""
    size = len(text)
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2].upper())
        if length is None:
            continue
        chars = [match.group()]
        needed, pos = length - 4, match.end()
        while needed:
            if pos < size and text[pos] in _ALNUM:
                chars.append(text[pos])
                needed, pos = needed - 1, pos + 1
            elif pos + 1 < size and text[pos] in _IBAN_SEPARATORS and text[pos + 1] in _ALNUM:
                pos += 1
            else:
                break
        if needed or (pos < size and text[pos] in _ALNUM):
            continue
        yield match.start(), pos, iban_valid("".join(chars))


def _clusters(text: str) -> list[_Cluster]:
    clusters = []
    for match in _CLUSTER.finditer(text):
        start, end = match.span()
        if end - start < _MIN_CLUSTER_CHARS:  # "49.99", "12345", "3": too short for a phone
            continue
        groups = tuple(run.span() for run in _DIGIT_RUN.finditer(text, start, end))
        clusters.append(
            _Cluster(
                start=start,
                plus=text[start] == "+",
                groups=groups,
                texts=tuple(text[a:b] for a, b in groups),
                gaps=tuple(text[a[1] : b[0]] for a, b in pairwise(groups)),
            )
        )
    return clusters


def _cover(text: str, cluster: _Cluster, kinds: frozenset[PiiKind], taken: SpanSet) -> list[Found]:
    """Split a cluster into card and phone numbers, leftmost first, each the best at its start."""
    groups, count = cluster.groups, len(cluster.groups)
    dates = SpanSet(match.span() for match in _DATE.finditer(text, cluster.start, groups[-1][1]))
    phones = PiiKind.PHONE in kinds and not (
        cluster.start and _after_number_sign(text, cluster.start)
    )
    cards = PiiKind.CARD in kinds
    found: list[Found] = []
    first = 0
    while first < count:
        best: tuple[tuple[bool, int], PiiKind, int] | None = None
        digits = 0
        for last in range(first, min(count, first + _PHONE_MAX_GROUPS)):
            digits += groups[last][1] - groups[last][0]
            if digits > _CARD_MAX_DIGITS:
                break
            start, end = groups[first][0], groups[last][1]
            if not taken.free(start, end):
                continue
            if cards and _is_card(cluster, first, last):
                # a 16-digit card first: "4111 1111 1111 1111 050-…" is a card and a phone
                rank = (digits == 16, digits)
                if best is None or rank > best[0]:
                    best = (rank, PiiKind.CARD, last)
            elif phones and dates.free(start, end) and _is_phone(cluster, first, last):
                rank = (False, digits)
                if best is None or rank > best[0]:
                    best = (rank, PiiKind.PHONE, last)
        if best is None:
            first += 1
            continue
        _, kind, last = best
        start = groups[first][0]
        if kind is PiiKind.PHONE:
            if first == 0:
                start = cluster.start  # with its "+" or "("
            elif text[start - 1] == "(":
                start -= 1
        found.append((kind, start, groups[last][1]))
        first = last + 1
    return found


def _is_card(cluster: _Cluster, first: int, last: int) -> bool:
    groups = cluster.texts[first : last + 1]
    digits = "".join(groups)
    if not 13 <= len(digits) <= _CARD_MAX_DIGITS or not _CARD_ISSUER.match(digits):
        return False
    if len(groups) > 1 and (
        tuple(map(len, groups)) not in _CARD_LAYOUTS
        or not all(_CARD_GAP.fullmatch(gap) for gap in cluster.gaps[first:last])
    ):
        return False
    return luhn_valid(digits)


def _is_phone(cluster: _Cluster, first: int, last: int) -> bool:
    groups = cluster.texts[first : last + 1]
    return len("".join(groups)) <= _PHONE_MAX_DIGITS and is_phone_number(
        groups, plus=cluster.plus and first == 0
    )


def _after_number_sign(text: str, start: int) -> bool:
    before = text[max(0, start - 2) : start].rstrip()
    return bool(before) and before[-1] in _NUMBER_SIGNS


def _ip_addresses(text: str, taken: SpanSet, digit_count: int) -> Iterator[_Span]:
    if digit_count >= 4 and text.count(".") >= 3:
        for match in _IPV4.finditer(text):
            if taken.free(*match.span()):
                yield match.span()
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            start, end = match.span()
            candidate = match.group()
            if candidate.endswith(":") and not candidate.endswith("::"):
                candidate, end = candidate[:-1], end - 1
            if _is_ipv6(candidate) and taken.free(start, end):
                yield start, end


def _is_ipv6(candidate: str) -> bool:
    if sum(1 for part in candidate.split(":") if part) < 2:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True
