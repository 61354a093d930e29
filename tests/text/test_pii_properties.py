"""Property tests for PII redaction: random multilingual texts with planted PII."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.text.pii import PiiKind, find_pii, redact

LATIN = "0123456789"
SCRIPTS = (LATIN, "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹")
BIDI_MARKS = ("\u200e", "\u200f", "\u061c", "\u200c", "\u2066", "\u2069", "\u202b", "\u202c")
SEPARATORS_TO_SQUASH = " -.()+\u00a0" + "".join(BIDI_MARKS)
NUMERIC_KINDS = frozenset({PiiKind.PHONE, PiiKind.CARD, PiiKind.IBAN})

#: Words that carry no PII, per language, including harmless numbers in local digits.
WORDS = {
    "en": (
        "the", "delivery", "was", "late", "again", "and", "support", "never", "answered",
        "refund", "please", "app", "crashes", "great", "service", "thanks", "order", "days",
        "$49.99", "3", "2026", "12/05/2026", "15%", "24/7", "12345", "1.5",
    ),
    "ar": (
        "التوصيل", "كان", "متأخرا", "جدا", "خدمة", "العملاء", "لم", "ترد", "أريد", "استرداد",
        "المبلغ", "شكرا", "التطبيق", "يتعطل", "الطلب", "،", "؟", "٣", "٢٠٢٦", "٤٩٫٩٩", "١٥٪",
    ),
    "he": (
        "המשלוח", "הגיע", "באיחור", "שירות", "הלקוחות", "לא", "ענה", "אני", "רוצה", "החזר",
        "כספי", "תודה", "האפליקציה", "קורסת", "ההזמנה", "₪49.99", "3", "2026", "12.05.2026",
    ),
    "fa": (
        "سفارش", "دیر", "رسید", "پشتیبانی", "خیلی", "بد", "بود", "ممنون", "کیفیت",
        "بسته\u200cبندی", "می\u200cخواهم", "نمی\u200cدانم", "هیچ\u200cوقت", "۳", "۱۴۰۵",
        "۱۴۰۵/۰۲/۲۲", "۴۹۰٬۰۰۰", "تومان", "۱۲۳۴۵",
    ),
    "lt": (
        "pristatymas", "vėlavo", "klientų", "aptarnavimas", "neatsakė", "noriu", "grąžinti",
        "pinigus", "ačiū", "programėlė", "nuolat", "užstringa", "užsakymas", "šiandien",
        "49,99", "€", "3", "2026-05-12", "Nr.", "12345",
    ),
}  # fmt: skip
EMOJI = ("😡", "👍", "🙏🏽", "👨\u200d👩\u200d👧", "🇱🇹", "❤\ufe0f", "🤬", "😂", "📦")
LANGS = tuple(WORDS)


@dataclass(frozen=True)
class Planted:
    kind: PiiKind
    value: str  # exactly as written in the text, invisible marks included


def digits_of(text: str) -> str:
    return "".join(str(int(char)) for char in text if char.isdigit())


def squash(text: str) -> str:
    """Drop separators and marks, fold digits to ASCII: where a leaked number would show."""
    kept = "".join(char for char in text if char not in SEPARATORS_TO_SQUASH)
    return "".join(str(int(char)) if char.isdigit() else char for char in kept)


def luhn_check_digit(payload: str) -> str:
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def iban_check_digits(country: str, bban: str) -> str:
    number = int("".join(str(int(char, 36)) for char in bban + country + "00"))
    return f"{98 - number % 97:02d}"


def random_digits(draw: st.DrawFn, count: int) -> str:
    return draw(st.text(alphabet=LATIN, min_size=count, max_size=count))


def in_random_scripts(draw: st.DrawFn, text: str) -> str:
    """Write each ASCII digit in a script drawn for the number, or per digit for a mix."""
    if draw(st.booleans()):
        script = draw(st.sampled_from(SCRIPTS))
        return text.translate(str.maketrans(LATIN, script))
    return "".join(
        draw(st.sampled_from(SCRIPTS))[int(char)] if char in LATIN else char for char in text
    )


def with_inner_marks(draw: st.DrawFn, text: str) -> str:
    """Maybe split a number with invisible bidi marks, as right-to-left editors do."""
    if not draw(st.booleans()):
        return text
    positions = draw(st.sets(st.integers(1, len(text) - 1), max_size=3))
    out = list(text)
    for position in sorted(positions, reverse=True):
        out.insert(position, draw(st.sampled_from(BIDI_MARKS)))
    return "".join(out)


@st.composite
def cards(draw: st.DrawFn) -> Planted:
    prefix, length = draw(
        st.sampled_from(
            [("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6037", 16), ("6104", 16),
             ("5022", 16), ("6011", 16), ("62", 16), ("37", 15), ("34", 15)]
        )
    )  # fmt: skip
    payload = prefix + random_digits(draw, length - len(prefix) - 1)
    number = payload + luhn_check_digit(payload)
    layout = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
    groups, position = [], 0
    for size in layout:
        groups.append(number[position : position + size])
        position += size
    if draw(st.booleans()):
        written = groups[0]
        for group in groups[1:]:
            written += draw(st.sampled_from([" ", "-"])) + group
    else:
        written = number
    return Planted(PiiKind.CARD, with_inner_marks(draw, in_random_scripts(draw, written)))


IBAN_BBANS = {  # country: BBAN layout, "n" a digit, "a" an upper-case letter
    "DE": "n" * 18,
    "LT": "n" * 16,
    "IL": "n" * 19,
    "SA": "nn" + "n" * 18,
    "AE": "n" * 19,
    "IR": "n" * 22,
    "GB": "aaaa" + "n" * 14,
    "FR": "n" * 23,
    "NO": "n" * 11,
}


@st.composite
def ibans(draw: st.DrawFn) -> Planted:
    country = draw(st.sampled_from(sorted(IBAN_BBANS)))
    bban = "".join(
        draw(st.sampled_from(LATIN if slot == "n" else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        for slot in IBAN_BBANS[country]
    )
    iban = country + iban_check_digits(country, bban) + bban
    if draw(st.booleans()):
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return Planted(PiiKind.IBAN, with_inner_marks(draw, in_random_scripts(draw, iban)))


PHONE_LAYOUTS = (  # "d" is a random digit
    "09dd ddd dddd",
    "+98 9dd ddd dddd",
    "05d-ddd-dddd",
    "+972 5d-ddd-dddd",
    "+370 6dd ddddd",
    "8 6dd ddddd",
    "+966 5d ddd dddd",
    "+971 5d ddd dddd",
    "05dddddddd",
    "+20 1d dddd dddd",
)


@st.composite
def phones(draw: st.DrawFn) -> Planted:
    layout = draw(st.sampled_from(PHONE_LAYOUTS))
    number = "".join(draw(st.sampled_from(LATIN)) if char == "d" else char for char in layout)
    return Planted(PiiKind.PHONE, with_inner_marks(draw, in_random_scripts(draw, number)))


@st.composite
def emails(draw: st.DrawFn) -> Planted:
    local = draw(st.from_regex(r"[a-z][a-z0-9]{0,8}([._+-][a-z0-9]{1,8})?", fullmatch=True))
    host = draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True))
    tld = draw(st.sampled_from(["com", "org", "co.il", "lt", "ir", "sa", "ae", "com.eg"]))
    return Planted(PiiKind.EMAIL, f"{local}@{host}.{tld}")


@st.composite
def ip_addresses(draw: st.DrawFn) -> Planted:
    if draw(st.booleans()):
        return Planted(PiiKind.IP, str(draw(st.ip_addresses(v=4))))
    address = draw(
        st.ip_addresses(v=6).filter(lambda a: sum(1 for g in str(a).split(":") if g) >= 2)
    )
    return Planted(PiiKind.IP, str(address))


@st.composite
def secret_urls(draw: st.DrawFn) -> Planted:
    host = draw(st.sampled_from(["shop.example.com", "example.co.il", "pay.example.ir", "x.lt"]))
    path = draw(st.from_regex(r"(/[a-z0-9-]{1,10}){0,3}", fullmatch=True))
    secret = draw(
        st.sampled_from(
            ["token", "key", "api_key", "access_token", "sig", "password", "session", "auth",
             "X-Amz-Signature", "apiKey", "client_secret"]
        )
    )  # fmt: skip
    value = draw(st.from_regex(r"[A-Za-z0-9_.-]{5,39}[A-Za-z0-9]", fullmatch=True))
    before = draw(st.sampled_from(["", "lang=fa&", "id=42&utm_source=mail&"]))
    scheme = draw(st.sampled_from(["https://", "http://"]))
    return Planted(PiiKind.URL, f"{scheme}{host}{path}?{before}{secret}={value}")


@st.composite
def handles(draw: st.DrawFn) -> Planted:
    return Planted(
        PiiKind.HANDLE, "@" + draw(st.from_regex(r"[a-z][a-z0-9_]{1,14}", fullmatch=True))
    )


PLANTED = st.one_of(cards(), ibans(), phones(), emails(), ip_addresses(), secret_urls(), handles())
WRAPPERS = (("", ""), ("\u200e", "\u200e"), ("\u200f", "\u200f"), ("\u2066", "\u2069"))


@st.composite
def words(draw: st.DrawFn, lang: str) -> list[str]:
    return draw(st.lists(st.sampled_from(WORDS[lang] + EMOJI), max_size=6))


@dataclass(frozen=True)
class Sample:
    text: str
    expected: str
    words: tuple[str, ...]
    planted: tuple[Planted, ...]


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    lang = draw(st.sampled_from(LANGS))
    pieces, expected, kept, planted = [], [], [], []
    for _ in range(draw(st.integers(1, 4))):
        chunk = draw(words(lang))
        pieces += chunk
        expected += chunk
        kept += chunk
        pii = draw(PLANTED)
        left, right = draw(st.sampled_from(WRAPPERS))
        pieces.append(left + pii.value + right)
        expected.append(left + pii.kind.placeholder + right)
        planted.append(pii)
    tail = draw(words(lang))
    return Sample(
        " ".join(pieces + tail), " ".join(expected + tail), tuple(kept + tail), tuple(planted)
    )


@st.composite
def clean_texts(draw: st.DrawFn) -> str:
    lang = draw(st.sampled_from(LANGS))
    # A mark alone between two numbers joins them ("1.5<ZWNJ>1.5" reads as 1.51.5): marks are
    # invisible, so that a number split by them is still caught. Between words, a space comes too.
    separator = draw(st.sampled_from([" ", " \u200f", "\u200e ", "\u200c ", " \u2067"]))
    return separator.join(draw(st.lists(st.sampled_from(WORDS[lang] + EMOJI), max_size=20)))


@settings(max_examples=300, deadline=None)
@given(samples())
def test_pii_removes_every_planted_value(sample: Sample) -> None:
    redacted = redact(sample.text).text

    for pii in sample.planted:
        assert pii.value not in redacted
        assert pii.kind.placeholder in redacted
        if pii.kind in NUMERIC_KINDS:
            assert digits_of(pii.value) not in squash(redacted)


@settings(max_examples=300, deadline=None)
@given(samples())
def test_pii_keeps_every_other_word_in_order(sample: Sample) -> None:
    redacted = redact(sample.text).text

    position = 0
    for word in sample.words:
        position = redacted.index(word, position) + len(word)
    assert redacted == sample.expected


@settings(max_examples=200, deadline=None)
@given(samples())
def test_pii_redact_is_idempotent_on_planted_texts(sample: Sample) -> None:
    once = redact(sample.text).text

    assert redact(once).text == once


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_pii_redact_is_idempotent_on_any_text(text: str) -> None:
    once = redact(text).text

    assert redact(once).text == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789٠١٥۰۹ +-.()@:/?=&#abAB\u200e\u200f")))
def test_pii_spans_are_ordered_and_disjoint(text: str) -> None:
    spans = find_pii(text)

    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
    for before, after in pairwise(spans):
        assert before.end <= after.start


@settings(max_examples=200, deadline=None)
@given(clean_texts())
def test_pii_returns_text_without_pii_unchanged(text: str) -> None:
    result = redact(text)

    assert result.text == text
    assert result.spans == ()


def test_pii_generated_ibans_and_cards_are_valid() -> None:
    from feedback_nlp.text.pii.checksums import iban_valid, luhn_valid

    assert luhn_valid("7992739871" + luhn_check_digit("7992739871"))
    assert iban_check_digits("DE", "370400440532013000") == "89"
    assert iban_valid("DE89370400440532013000")
    assert ipaddress.ip_address("2001:db8::1")
