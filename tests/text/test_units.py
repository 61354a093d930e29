"""Tests of opinion-unit splitting: sentences, contrastive connectives, exact offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.units import OpinionUnit, OpinionUnitSplitter

RLM, LRM, ZWNJ = "\u200f", "\u200e", "\u200c"
# Sentence-final marks that look like ASCII ones: Arabic (Urdu) full stop, Hebrew sof pasuq, and
# the CJK full-width exclamation and question marks.
AR_STOP, SOF_PASUQ, FW_EXCLAMATION, FW_QUESTION = "\u06d4", "\u05c3", "\uff01", "\uff1f"


@pytest.fixture(scope="module")
def splitter() -> OpinionUnitSplitter:
    return OpinionUnitSplitter()


def spans(units: list[OpinionUnit]) -> list[tuple[str, int, int]]:
    return [(unit.text, unit.start, unit.end) for unit in units]


def assert_offsets_hold(text: str, units: list[OpinionUnit]) -> None:
    end = 0
    for index, unit in enumerate(units):
        assert unit.text == text[unit.start : unit.end]
        assert unit.unit_index == index
        assert end <= unit.start < unit.end
        assert unit.text == unit.text.strip()
        end = unit.end


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Great food but delivery was late",
            [("Great food", 0, 10), ("delivery was late", 15, 32)],
        ),
        (
            "ar",
            "الطعام رائع لكن التوصيل كان متأخرا",
            [("الطعام رائع", 0, 11), ("التوصيل كان متأخرا", 16, 34)],
        ),
        ("he", "האוכל מעולה אבל המשלוח איחר", [("האוכל מעולה", 0, 11), ("המשלוח איחר", 16, 27)]),
        (
            "fa",
            "غذا عالی بود ولی ارسال دیر بود",
            [("غذا عالی بود", 0, 12), ("ارسال دیر بود", 17, 30)],
        ),
        (
            "lt",
            "Maistas puikus, bet pristatymas vėlavo",
            [("Maistas puikus", 0, 14), ("pristatymas vėlavo", 20, 38)],
        ),
    ],
)
def test_units_split_at_contrastive_connective(
    splitter: OpinionUnitSplitter, lang: str, text: str, expected: list[tuple[str, int, int]]
) -> None:
    for language in (lang, None):
        units = splitter.split(text, lang=language)
        assert spans(units) == expected
        assert_offsets_hold(text, units)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "The pizza was cold. Support never answered!\nWill not order again",
            [
                ("The pizza was cold.", 0, 19),
                ("Support never answered!", 20, 43),
                ("Will not order again", 44, 64),
            ],
        ),
        (
            "ar",
            "البيتزا كانت باردة. لم يرد الدعم أبدا؟ لن أطلب مرة أخرى",
            [
                ("البيتزا كانت باردة.", 0, 19),
                ("لم يرد الدعم أبدا؟", 20, 38),
                ("لن أطلب مرة أخرى", 39, 55),
            ],
        ),
        (
            "he",
            "הפיצה הייתה קרה. התמיכה לא ענתה! לא אזמין שוב",
            [("הפיצה הייתה קרה.", 0, 16), ("התמיכה לא ענתה!", 17, 32), ("לא אזמין שוב", 33, 45)],
        ),
        (
            "fa",
            f"پیتزا سرد بود. پشتیبانی جواب نداد؟ دیگر سفارش نمی{ZWNJ}دهم",
            [
                ("پیتزا سرد بود.", 0, 14),
                ("پشتیبانی جواب نداد؟", 15, 34),
                (f"دیگر سفارش نمی{ZWNJ}دهم", 35, 53),
            ],
        ),
        (
            "lt",
            "Pica buvo šalta. Pagalba neatsakė! Daugiau neužsakysiu",
            [
                ("Pica buvo šalta.", 0, 16),
                ("Pagalba neatsakė!", 17, 34),
                ("Daugiau neužsakysiu", 35, 54),
            ],
        ),
    ],
)
def test_units_split_multi_sentence_items(
    splitter: OpinionUnitSplitter, lang: str, text: str, expected: list[tuple[str, int, int]]
) -> None:
    units = splitter.split(text, lang=lang)
    assert spans(units) == expected
    assert_offsets_hold(text, units)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Although the food was great, delivery was late",
            [("the food was great", 9, 27), ("delivery was late", 29, 46)],
        ),
        (
            "ar",
            "رغم أن الطعام رائع، التوصيل كان متأخرا",
            [("الطعام رائع", 7, 18), ("التوصيل كان متأخرا", 20, 38)],
        ),
        (
            "he",
            "למרות שהאוכל מעולה, המשלוח איחר מאוד",
            [("שהאוכל מעולה", 6, 18), ("המשלוח איחר מאוד", 20, 36)],
        ),
        (
            "fa",
            "هرچند غذا عالی بود، ارسال دیر بود",
            [("غذا عالی بود", 6, 18), ("ارسال دیر بود", 20, 33)],
        ),
        (
            "lt",
            "Nors maistas puikus, pristatymas vėlavo",
            [("maistas puikus", 5, 19), ("pristatymas vėlavo", 21, 39)],
        ),
    ],
)
def test_units_split_opening_subordinate_clause_at_its_comma(
    splitter: OpinionUnitSplitter, lang: str, text: str, expected: list[tuple[str, int, int]]
) -> None:
    assert spans(splitter.split(text, lang=lang)) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "The food was great. However, the delivery was late!",
            [("The food was great.", 0, 19), ("the delivery was late!", 29, 51)],
        ),
        ("he", "האוכל טעים. אבל המשלוח איחר.", [("האוכל טעים.", 0, 11), ("המשלוח איחר.", 16, 28)]),
        (
            "fa",
            f"غذا عالی بود. با این{ZWNJ}حال، ارسال دیر بود.",
            [("غذا عالی بود.", 0, 13), ("ارسال دیر بود.", 26, 40)],
        ),
    ],
)
def test_units_drop_connective_opening_a_sentence(
    splitter: OpinionUnitSplitter, lang: str, text: str, expected: list[tuple[str, int, int]]
) -> None:
    assert spans(splitter.split(text, lang=lang)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Not only was it cheap but also really tasty",
        "Everyone loved it, all but one person in my family",
        "Last but not least the staff",
        "The parcel has not arrived yet and I am angry",
        "Ordered two weeks ago, yet to arrive at all",
        "The food, however, was cold.",
        "The delivery, although late, was fine.",
        "It looked as though nobody had cleaned the room",
        "Great food but late",
        "Cheap yet durable",
    ],
)
def test_units_keep_non_contrastive_uses_whole(splitter: OpinionUnitSplitter, text: str) -> None:
    assert spans(splitter.split(text, lang="en")) == [(text, 0, len(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الأكل ممتاز، ولكنّ التوصيل متأخر جداً", ["الأكل ممتاز", "التوصيل متأخر جداً"]),
        ("الطعام جيد الا ان الخدمة بطيئة", ["الطعام جيد", "الخدمة بطيئة"]),
        ("الطعام جيد إلا أنه بارد جدا", ["الطعام جيد", "بارد جدا"]),
        ("السعر مناسب لكنها صغيرة جدا", ["السعر مناسب", "صغيرة جدا"]),
    ],
)
def test_units_match_arabic_attached_and_diacritic_forms(
    splitter: OpinionUnitSplitter, text: str, expected: list[str]
) -> None:
    assert [unit.text for unit in splitter.split(text, lang="ar")] == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected_with_lang"),
    [
        ("fr", "J'ai reçu ma commande mais elle était froide", 2),
        ("it", "Il cibo era buono ma la consegna era lenta", 2),
        ("pt", "A comida estava boa mas a entrega atrasou", 2),
        ("lt", "Maistas puikus, o pristatymas labai vėlavo", 2),
    ],
)
def test_units_language_specific_connectives_need_the_language(
    splitter: OpinionUnitSplitter, lang: str, text: str, expected_with_lang: int
) -> None:
    assert len(splitter.split(text, lang=lang)) == expected_with_lang
    assert len(splitter.split(text)) == 1
    assert len(splitter.split(text, lang="unknown")) == 1


def test_units_french_possessive_ma_is_not_a_connective(splitter: OpinionUnitSplitter) -> None:
    text = "J'ai reçu ma commande avec deux jours de retard"
    assert len(splitter.split(text, lang="fr")) == 1


@pytest.mark.parametrize("text", ["", "   ", " \n\t ", "...", "!!! ?", f"{RLM}{ZWNJ} "])
def test_units_empty_or_contentless_text_gives_no_units(
    splitter: OpinionUnitSplitter, text: str
) -> None:
    assert splitter.split(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "delivery was late and the driver was rude",
        "המשלוח איחר והשליח היה גס רוח",
        "التوصيل تأخر والسائق كان وقحا",
        "ارسال دیر شد و راننده بی‌ادب بود",
        "pristatymas vėlavo ir kurjeris buvo nemandagus",
    ],
)
def test_units_text_without_sentence_punctuation_is_one_unit(
    splitter: OpinionUnitSplitter, text: str
) -> None:
    assert spans(splitter.split(text)) == [(text, 0, len(text))]


def test_units_connective_splitting_can_be_turned_off() -> None:
    text = "Great food but delivery was late. Nice staff"
    units = OpinionUnitSplitter(split_on_connectives=False).split(text)
    assert spans(units) == [("Great food but delivery was late.", 0, 33), ("Nice staff", 34, 44)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("هل وصل الطلب؟ لا لم يصل", ["هل وصل الطلب؟", "لا لم يصل"]),
        ("الطلب وصل متأخرا؛ والطعام بارد", ["الطلب وصل متأخرا؛ والطعام بارد"]),
        (
            f"آرڈر دیر سے آیا{AR_STOP} کھانا ٹھنڈا تھا",
            [f"آرڈر دیر سے آیا{AR_STOP}", "کھانا ٹھنڈا تھا"],
        ),
        (f"המשלוח איחר{SOF_PASUQ} האוכל קר", [f"המשלוח איחר{SOF_PASUQ}", "האוכל קר"]),
        (
            f"送货太慢。食物很冷{FW_EXCLAMATION}为什么{FW_QUESTION}",
            ["送货太慢。", f"食物很冷{FW_EXCLAMATION}", f"为什么{FW_QUESTION}"],
        ),
        ("Waited two hours… never again", ["Waited two hours…", "never again"]),
        ("Mr. Smith was very rude to us", ["Mr. Smith was very rude to us"]),
        ("The rating went from 4.5 to 3.2 stars", ["The rating went from 4.5 to 3.2 stars"]),
        ("التوصيل متأخر جداً. الطعام بارد", ["التوصيل متأخر جداً.", "الطعام بارد"]),
    ],
)
def test_units_sentence_ends_in_every_script(
    splitter: OpinionUnitSplitter, text: str, expected: list[str]
) -> None:
    units = splitter.split(text)
    assert [unit.text for unit in units] == expected
    assert_offsets_hold(text, units)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"{RLM}האוכל טוב.{RLM} אבל{RLM} השירות איטי 😡👍",
            [("האוכל טוב.", 1, 11), ("השירות איטי 😡👍", 18, 32)],
        ),
        (
            f"غذا خوب بود ولی بسته{ZWNJ}بندی خراب بود 📦💔",
            [("غذا خوب بود", 0, 11), (f"بسته{ZWNJ}بندی خراب بود 📦💔", 16, 37)],
        ),
        (
            f"{LRM}الأكل لذيذ 😋 لكن التوصيل بطيء {RLM}",
            [("الأكل لذيذ 😋", 1, 13), ("التوصيل بطيء", 18, 30)],
        ),
        (
            "Love it 👨‍👩‍👧 but the box was crushed 🙁",
            [("Love it 👨‍👩‍👧", 0, 13), ("the box was crushed 🙁", 18, 39)],
        ),
    ],
)
def test_units_keep_rtl_text_bidi_marks_zwnj_and_emoji_intact(
    splitter: OpinionUnitSplitter, text: str, expected: list[tuple[str, int, int]]
) -> None:
    units = splitter.split(text)
    assert spans(units) == expected
    assert_offsets_hold(text, units)


def test_units_line_breaks_and_bullets_end_units(splitter: OpinionUnitSplitter) -> None:
    text = "Problems:\n- app crashes on login\n* no refund yet"
    assert spans(splitter.split(text)) == [
        ("Problems:", 0, 9),
        ("app crashes on login", 12, 32),
        ("no refund yet", 35, 48),
    ]


def test_units_merge_pieces_shorter_than_min_unit_chars() -> None:
    text = "Late again. Why? The driver got lost."
    assert len(OpinionUnitSplitter().split(text)) == 3
    units = OpinionUnitSplitter(min_unit_chars=5).split(text)
    assert spans(units) == [("Late again. Why?", 0, 16), ("The driver got lost.", 17, 37)]


def test_units_merge_emoji_only_sentence_into_previous(splitter: OpinionUnitSplitter) -> None:
    assert spans(splitter.split("Great!!! 👍")) == [("Great!!! 👍", 0, 10)]
    assert spans(splitter.split("👍")) == [("👍", 0, 1)]


def test_units_split_many_numbers_items_and_units(splitter: OpinionUnitSplitter) -> None:
    texts = ["Great food but delivery was late", "", "האוכל מעולה אבל המשלוח איחר. תודה"]
    units = splitter.split_many(texts, ["en", None, "he"], first_index=10)
    assert [(u.item_index, u.unit_index, u.text) for u in units] == [
        (10, 0, "Great food"),
        (10, 1, "delivery was late"),
        (12, 0, "האוכל מעולה"),
        (12, 1, "המשלוח איחר."),
        (12, 2, "תודה"),
    ]
    assert splitter.split(texts[2], item_index=12) == units[2:]


def test_units_reject_wrong_inputs(splitter: OpinionUnitSplitter) -> None:
    with pytest.raises(InvalidInputError, match=r"\[E100\].*position 1"):
        splitter.split_many(["ok", None])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="2 texts but 1 languages"):
        splitter.split_many(["a", "b"], ["en"])
    with pytest.raises(InvalidInputError, match=r"'min_unit_chars'.*Got 0"):
        OpinionUnitSplitter(min_unit_chars=0)
    with pytest.raises(InvalidInputError, match=r"an int in the range \[1, inf\]. Got 2.0"):
        OpinionUnitSplitter(min_unit_chars=2.0)  # type: ignore[arg-type]


_WORDS = [
    "food", "delivery", "late", "great", "not", "only", "all", "yet", "Mr.", "4.5",
    "האוכל", "מעולה", "המשלוח", "איחר", "שלום",
    "الطعام", "رائع", "التوصيل", "جداً", "أبدا",
    "غذا", "عالی", f"نمی{ZWNJ}دهم", "بود",
    "maistas", "puikus", "pristatymas", "vėlavo",
    "but", "however", "although", "אבל", "למרות", "لكن", "ولكنّ", "إلا أن", "اما", "ولی",
    "bet", "nors", "o", "mais", "ma",
    "😡", "👍", "👨‍👩‍👧", "🇮🇱",
]  # fmt: skip
_SEPARATORS = [
    " ", "  ", ", ", ". ", "! ", "? ", "؟ ", "، ", "؛ ", f"{AR_STOP} ", f"{SOF_PASUQ} ", "。",
    FW_QUESTION, "…", "...", "\n", "\n\n", " - ", "- ", RLM, LRM, f"{RLM} ", ZWNJ, "\t", "", ": ",
]  # fmt: skip


@st.composite
def feedback_texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_WORDS), max_size=25))
    parts = [draw(st.sampled_from(_SEPARATORS))]
    for word in words:
        parts.extend([word, draw(st.sampled_from(_SEPARATORS))])
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(
    text=feedback_texts(),
    lang=st.sampled_from([None, "en", "ar", "he", "fa", "lt", "fr"]),
    min_unit_chars=st.integers(1, 12),
)
def test_units_offsets_slice_the_original_text(
    text: str, lang: str | None, min_unit_chars: int
) -> None:
    units = OpinionUnitSplitter(min_unit_chars=min_unit_chars).split(text, item_index=3, lang=lang)
    assert_offsets_hold(text, units)
    assert all(unit.item_index == 3 for unit in units)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_units_offsets_hold_for_arbitrary_unicode(text: str) -> None:
    units = OpinionUnitSplitter().split(text)
    assert_offsets_hold(text, units)
    if any(ch.isalnum() for ch in text):
        assert units
