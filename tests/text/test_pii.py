"""Hand-written examples for the PII redaction stage, in en, ar, he, fa and lt."""

from __future__ import annotations

import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.pii import (
    PiiKind,
    PiiRedactor,
    PiiSpan,
    Redaction,
    find_pii,
    redact,
    redact_many,
)

LANGS = ("en", "ar", "he", "fa", "lt")
LATIN = "0123456789"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
LRM, RLM, ZWNJ = "\u200e", "\u200f", "\u200c"

#: One sentence per language, with a place for the PII in the middle.
SENTENCES = {
    "en": "Hi, the courier never came 😡 Reach me at {pii}, I have waited 3 days.",
    "ar": "مرحبا، المندوب لم يصل أبداً 😡 تواصلوا معي على {pii}، انتظرت ٣ أيام.",
    "he": "שלום, השליח לא הגיע 😡 אפשר לפנות אליי: {pii}, חיכיתי 3 ימים.",
    "fa": "سلام، پیک هیچ‌وقت نیامد 😡 لطفاً با {pii} تماس بگیرید، ۳ روز منتظر ماندم.",
    "lt": "Sveiki, kurjeris taip ir neatvyko 😡 Susisiekite: {pii}, laukiau 3 dienas.",
}

#: Real-looking PII per language: local phone formats, local digits, local banks and domains.
PII = {
    "en": {
        PiiKind.EMAIL: "dana.smith+orders@example.com",
        PiiKind.PHONE: "+1 (415) 555-0134",
        PiiKind.CARD: "4111 1111 1111 1111",
        PiiKind.IBAN: "GB82 WEST 1234 5698 7654 32",
        PiiKind.IP: "203.0.113.42",
        PiiKind.URL: "https://shop.example.com/account/reset?token=9f8e7d6c5b4a",
        PiiKind.HANDLE: "@dana_smith",
    },
    "ar": {
        PiiKind.EMAIL: "ahmed.ali@example.sa",
        PiiKind.PHONE: "+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧",
        PiiKind.CARD: "٥٥٥٥ ٥٥٥٥ ٥٥٥٥ ٤٤٤٤",
        PiiKind.IBAN: "SA03 8000 0000 6080 1016 7519",
        PiiKind.IP: "١٩٢.١٦٨.١.٥",
        PiiKind.URL: "https://pay.example.ae/checkout?lang=ar&session=ab12cd34ef",
        PiiKind.HANDLE: "@ahmed_store",
    },
    "he": {
        PiiKind.EMAIL: "noa@example.co.il",
        PiiKind.PHONE: "050-123-4567",
        PiiKind.CARD: "4580-1234-5678-9015",
        PiiKind.IBAN: "IL62 0108 0000 0009 9999 999",
        PiiKind.IP: "2001:db8:85a3::8a2e:370:7334",
        PiiKind.URL: "https://app.example.co.il/login?auth=XyZ123&lang=he",
        PiiKind.HANDLE: "@noa.levi",
    },
    "fa": {
        PiiKind.EMAIL: "sara.ahmadi@example.ir",
        PiiKind.PHONE: "۰۹۱۲ ۳۴۵ ۶۷۸۹",
        PiiKind.CARD: "۶۰۳۷ ۹۹۱۱ ۲۳۴۵ ۶۷۸۶",
        PiiKind.IBAN: "IR۰۶ ۲۹۶۰ ۰۰۰۰ ۰۰۱۰ ۰۳۲۴ ۲۰۰۰ ۰۱",
        PiiKind.IP: "۱۹۲.۱۶۸.۰.۱",
        PiiKind.URL: "https://example.ir/api/orders?api_key=k3yV4lue99",
        PiiKind.HANDLE: "@sara_ahmadi",
    },
    "lt": {
        PiiKind.EMAIL: "jonas.jonaitis@example.lt",
        PiiKind.PHONE: "+370 612 34567",
        PiiKind.CARD: "5500 0000 0000 0004",
        PiiKind.IBAN: "LT12 1000 0111 0100 1000",
        PiiKind.IP: "192.168.1.10",
        PiiKind.URL: "https://e.example.lt/orders?id=5&access_token=abc.def.ghi",
        PiiKind.HANDLE: "@jonas_j",
    },
}

#: The phone formats of the issue, written with ASCII digits.
PHONE_FORMATS = (
    "0912 345 6789",
    "+98 912 345 6789",
    "09123456789",
    "050-123-4567",
    "+972 50-123-4567",
    "+972-50-1234567",
    "+370 612 34567",
    "8 612 34567",
    "8-612-34567",
    "+966 50 123 4567",
    "+971 50 123 4567",
    "0501234567",
    "+20 10 1234 5678",
    "010 1234 5678",
    "00972 50 123 4567",
    "966501234567",
    "(555) 234-5678",
    "+44 (0)20 7946 0958",
)

CARDS = (
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4111111111111111",
    "5555 5555 5555 4444",
    "3782 822463 10005",
    "6011 1111 1111 1117",
    "6274 1234 5678 9011",
    "5892 1098 7654 3215",
)

#: Text that looks numeric but holds no PII, per language.
NO_PII = {
    "en": "Paid $49.99 on 12/05/2026 for order 12345; it took 3 days, 15% off, 2026 prices, 10:30.",
    "ar": "دفعت ٤٩٫٩٩ دولار يوم ١٢/٠٥/٢٠٢٦ للطلب رقم 12345، استغرق 3 أيام وخصم 15%.",
    "he": "שילמתי 49.99 ₪ ב-12.05.2026 על הזמנה 12345, זה לקח 3 ימים ו-20% הנחה.",
    "fa": "سفارش ۱۲۳۴۵ را ۱۴۰۵/۰۲/۲۲ با ۱۵٪ تخفیف به قیمت ۴۹۰٬۰۰۰ تومان خریدم؛ ۳ روز طول کشید.",
    "lt": "Sumokėjau 49,99 € 2026-05-12 už užsakymą Nr. 12345, pristatymas užtruko 3 dienas.",
}

NOT_PII = (
    "1234 5678 9012 3456",  # 16 digits that fail Luhn
    "4111 1111 1111 1112",  # one digit off a valid card
    "DE88 3704 0044 0532 0130 00",  # IBAN with a wrong check
    "GB83 WEST 1234 5698 7654 32",
    "https://example.com/products?id=42&color=red",  # a URL without secrets
    "www.example.com/help",
    "$1,299.00",
    "12.05.2026",
    "2026-05-12",
    "01.05.2026 15:30",
    "order #0501234567",
    "v2.3.1",
    "meet @10am",
    "rated 4.5/5",
    "50%",
    "3x",
)


def in_script(text: str, digits: str) -> str:
    """Write the ASCII digits of ``text`` with another script's digits."""
    return text.translate(str.maketrans(LATIN, digits))


def mixed_script(text: str) -> str:
    """Write ASCII digits in turn as Latin, Arabic-Indic and Persian digits."""
    scripts = (LATIN, ARABIC_INDIC, PERSIAN)
    out, index = [], 0
    for char in text:
        if char in LATIN:
            out.append(scripts[index % 3][int(char)])
            index += 1
        else:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize("kind", list(PiiKind), ids=str)
@pytest.mark.parametrize("lang", LANGS)
def test_pii_redacts_each_kind_in_each_language(lang: str, kind: PiiKind) -> None:
    value = PII[lang][kind]
    text = SENTENCES[lang].format(pii=value)
    start = text.index(value)

    result = redact(text)

    assert result.text == SENTENCES[lang].format(pii=kind.placeholder)
    assert result.spans == (PiiSpan(kind, start, start + len(value)),)


@pytest.mark.parametrize("lang", LANGS)
def test_pii_redacts_every_kind_at_once(lang: str) -> None:
    values = list(PII[lang].values())
    text = SENTENCES[lang].format(pii=" / ".join(values))

    result = redact(text)

    expected = SENTENCES[lang].format(pii=" / ".join(kind.placeholder for kind in PII[lang]))
    assert result.text == expected
    assert [text[span.start : span.end] for span in result.spans] == values


@pytest.mark.parametrize(
    "digits", [LATIN, ARABIC_INDIC, PERSIAN, None], ids=["latin", "arabic", "persian", "mixed"]
)
@pytest.mark.parametrize("phone", PHONE_FORMATS)
def test_pii_redacts_phone_numbers_in_every_digit_script(phone: str, digits: str | None) -> None:
    written = mixed_script(phone) if digits is None else in_script(phone, digits)

    result = redact(f"call {written} please")

    assert result.text == "call [PHONE] please"


@pytest.mark.parametrize("lang", LANGS)
def test_pii_redacts_persian_phone_numbers(lang: str) -> None:
    text = SENTENCES[lang].format(pii="+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹")

    assert redact(text).text == SENTENCES[lang].format(pii="[PHONE]")


@pytest.mark.parametrize(
    "digits", [LATIN, ARABIC_INDIC, PERSIAN, None], ids=["latin", "arabic", "persian", "mixed"]
)
@pytest.mark.parametrize("card", CARDS)
def test_pii_redacts_luhn_valid_cards(card: str, digits: str | None) -> None:
    written = mixed_script(card) if digits is None else in_script(card, digits)

    assert redact(f"my card {written} was charged twice").text == "my card [CARD] was charged twice"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "ae07 0331 2345 6789 0123 456",
        "EG38 0019 0005 0000 0000 2631 8000 2",
        "IR062960000000100324200001",
    ],
)
def test_pii_redacts_mod97_valid_ibans(iban: str) -> None:
    assert redact(f"refund to {iban}, thanks").text == "refund to [IBAN], thanks"


@pytest.mark.parametrize("lang", LANGS)
def test_pii_keeps_prices_dates_and_order_numbers(lang: str) -> None:
    assert redact(NO_PII[lang]) == Redaction(NO_PII[lang], ())


@pytest.mark.parametrize("text", NOT_PII)
def test_pii_keeps_numbers_that_are_not_pii(text: str) -> None:
    assert redact(f"see {text} here").text == f"see {text} here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reset: https://x.example/r?token=abc123.", "reset: [URL]."),
        ("https://x.example/r?X-Amz-Signature=deadbeef&a=1", "[URL]"),
        ("https://user:hunter2@ftp.example.com/files", "[URL]"),
        ("(www.example.com/?password=hunter2)", "([URL])"),
        ("https://example.com/unsubscribe?email=dana@example.com", None),
    ],
)
def test_pii_redacts_urls_carrying_secrets(text: str, expected: str | None) -> None:
    if expected is None:  # a plain URL stays, the e-mail address inside it does not
        expected = "https://example.com/unsubscribe?email=[EMAIL]"
    assert redact(text).text == expected


def test_pii_redacts_handles_but_not_the_at_sign_of_emails() -> None:
    text = "thanks @john_doe! mail john_doe@example.com, cc @jane.doe."

    assert redact(text).text == "thanks [HANDLE]! mail [EMAIL], cc [HANDLE]."


def test_pii_keeps_a_hebrew_prefix_glued_to_an_email() -> None:
    assert redact("שלחתי ל-support@shop.co.il").text == "שלחתי ל-[EMAIL]"


def test_pii_finds_phone_numbers_split_by_bidi_marks() -> None:
    text = f"{RLM}טלפון: {LRM}050{LRM}-123{RLM}-4567{LRM} תודה"

    result = redact(text)

    assert result.text == f"{RLM}טלפון: {LRM}[PHONE]{LRM} תודה"
    assert text[result.spans[0].start : result.spans[0].end] == f"050{LRM}-123{RLM}-4567"


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u202b", "\u2067", "\u200c", "\u061c"])
def test_pii_finds_cards_split_by_invisible_marks(mark: str) -> None:
    card = mark.join(["4111", "1111", "1111", "1111"])

    assert redact(f"کارت {card} است").text == "کارت [CARD] است"


def test_pii_keeps_invisible_marks_of_text_without_pii() -> None:
    text = f"می{ZWNJ}خواهم {RLM}سفارش{LRM} ۱۲۳۴۵ را \u2067لغو\u2069 کنم \u202bשלום\u202c"

    assert redact(text) == Redaction(text, ())


def test_pii_resolves_overlaps_by_priority() -> None:
    text = "https://x.example/?token=0501234567&u=dana@example.com DE89370400440532013000"

    spans = find_pii(text)

    assert [span.kind for span in spans] == [PiiKind.URL, PiiKind.IBAN]


def test_pii_finds_a_phone_number_after_an_order_number() -> None:
    text = "order 12345 0501234567 and card 4111 1111 1111 1111 +972 50-123-4567"

    assert redact(text).text == "order 12345 [PHONE] and card [CARD] [PHONE]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "5086 5500 0000 0000" passes Luhn too, but would leave "050-000" and "0004" behind
        ("050-000-5086 5500 0000 0000 0004", "[PHONE] [CARD]"),
        ("4111 1111 1111 1111 0501234567", "[CARD] [PHONE]"),
        ("050-010-0000 ۱۴۰۵", "[PHONE] ۱۴۰۵"),  # not "050-[PHONE]": leftmost first
        ("0912 345 6789 3 days", "[PHONE] 3 days"),
        ("8 612 34567 2026", "[PHONE] 2026"),
        ("2026-05-12 2026-05-12", "2026-05-12 2026-05-12"),
    ],
)
def test_pii_splits_runs_of_numbers_into_whole_numbers(text: str, expected: str) -> None:
    assert redact(text).text == expected


def test_pii_spans_point_into_the_original_text() -> None:
    text = "📦 تأخر الطلب، رقمي ٠٥٠١٢٣٤٥٦٧ وبريدي a@b.co"

    spans = find_pii(text)

    assert [(span.kind, text[span.start : span.end]) for span in spans] == [
        (PiiKind.PHONE, "٠٥٠١٢٣٤٥٦٧"),
        (PiiKind.EMAIL, "a@b.co"),
    ]


def test_pii_redaction_keeps_no_original_values() -> None:
    result = redact("card 4111 1111 1111 1111, mail dana@example.com")

    assert "4111" not in repr(result)
    assert "dana" not in repr(result)
    assert Redaction.__slots__ == ("text", "spans")


@pytest.mark.parametrize("lang", LANGS)
def test_pii_redact_is_idempotent(lang: str) -> None:
    once = redact(SENTENCES[lang].format(pii=" ".join(PII[lang].values()))).text

    assert redact(once).text == once


@pytest.mark.parametrize("text", ["", " ", "\u200f", "😡", "no pii here"])
def test_pii_returns_text_without_pii_unchanged(text: str) -> None:
    assert redact(text) == Redaction(text, ())


def test_pii_redacts_only_the_kinds_asked_for() -> None:
    text = "call 050-123-4567 or mail dana@example.com"

    assert redact(text, kinds=[PiiKind.EMAIL]).text == "call 050-123-4567 or mail [EMAIL]"
    assert redact(text, kinds=["phone"]).text == "call [PHONE] or mail dana@example.com"
    assert redact(text, kinds=[]).text == text


@pytest.mark.parametrize("kinds", [["passport"], "email", 3])
def test_pii_rejects_unknown_kinds(kinds: object) -> None:
    with pytest.raises(InvalidInputError, match=r"\[E100\] The 'kinds' parameter of redact"):
        redact("text", kinds=kinds)  # type: ignore[arg-type]


def test_pii_rejects_non_text_without_echoing_it() -> None:
    with pytest.raises(InvalidInputError, match="Got a bytes instead") as info:
        redact(b"dana@example.com")  # type: ignore[arg-type]

    assert "dana" not in str(info.value)


def test_pii_redact_many_keeps_order() -> None:
    texts = ["mail a@b.co", "nothing", "call 0501234567"]

    assert [r.text for r in redact_many(texts)] == ["mail [EMAIL]", "nothing", "call [PHONE]"]


def test_pii_redactor_is_a_configured_stage() -> None:
    redactor = PiiRedactor(kinds=["phone", PiiKind.EMAIL])

    assert PiiRedactor.name == "text.pii.v1"
    assert redactor.get_config() == {"kinds": ["email", "phone"]}
    assert PiiRedactor.from_config(redactor.get_config()).kinds == redactor.kinds
    assert redactor("@dana 0501234567").text == "@dana [PHONE]"
    assert redactor.redact_many(["a@b.co"]) == [redact("a@b.co", kinds=redactor.kinds)]
    assert redactor.find("a@b.co") == [PiiSpan(PiiKind.EMAIL, 0, 6)]
    assert repr(redactor) == "PiiRedactor(kinds=['email', 'phone'])"


def test_pii_spanset_merges_and_finds_overlaps() -> None:
    from feedback_nlp.text.pii.spanset import SpanSet

    claimed = SpanSet([(10, 20), (30, 40)])
    claimed.add(18, 32)

    assert claimed.free(0, 10)
    assert claimed.free(40, 50)
    assert not claimed.free(25, 26)  # inside the merged span 10..40
    assert not claimed.free(5, 11)


def test_pii_kinds_have_typed_placeholders_in_priority_order() -> None:
    assert [kind.placeholder for kind in PiiKind] == [
        "[URL]",
        "[EMAIL]",
        "[IBAN]",
        "[CARD]",
        "[IP]",
        "[PHONE]",
        "[HANDLE]",
    ]


def test_pii_handles_a_long_text_with_thousands_of_numbers() -> None:
    text = "٠٥٠١٢٣٤٥٦٧ 12.05.2026 " * 2_000

    result = redact(text)

    assert result.text == "[PHONE] 12.05.2026 " * 2_000
