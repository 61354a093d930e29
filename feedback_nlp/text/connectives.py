"""Contrastive connectives per language: the words at which one sentence holds two opinions.

"The food was great but delivery was late" holds a positive opinion about food and a negative one
about delivery; :mod:`feedback_nlp.text.units` splits such sentences at the connectives listed
here. The lists are data, written for precision rather than recall: a word is listed only when it
is contrastive in most of its uses, and flags narrow the rest.

Forms are written as in ordinary text, words separated by single spaces. Matching ignores case,
Arabic and Hebrew diacritics, tatweel, zero-width and bidi control characters, and (for Arabic only)
the hamza on alef, so ``"لكنّ"`` matches ``"لكن"`` and ``"الا ان"`` matches ``"إلا أن"``. Arabic
attaches ``و`` ("and") and pronoun suffixes to the connective; those forms are listed one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["CONNECTIVES", "Connective", "ConnectiveKind"]

ConnectiveKind = Literal["coordinating", "subordinating"]


@dataclass(frozen=True, slots=True)
class Connective:
    """One contrastive connective of one language.

    Attributes:
        lang: ISO 639-1 code of the language.
        form: The connective as written, words separated by single spaces.
        kind: ``"coordinating"`` joins two clauses ("X but Y"); ``"subordinating"`` opens a clause
            that may also come first ("although X, Y"), in which case the sentence is split at
            the comma that closes that clause.
        after_punctuation: Split only where a comma, semicolon, colon or dash comes right before
            the connective (or it opens the sentence): "X, yet Y" but not "not yet".
        language_specific: The form is an ordinary non-contrastive word in another supported
            language (Italian "ma" is French "my"; Portuguese "mas" is Spanish "more"), so it is
            used only when the text's language is known.
        not_before: No split when the next word is one of these ("but also").
        not_after: No split when the previous word is one of these ("all but", "last but").
    """

    lang: str
    form: str
    kind: ConnectiveKind = "coordinating"
    after_punctuation: bool = False
    language_specific: bool = False
    not_before: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()


def _c(
    lang: str,
    forms: str,
    kind: ConnectiveKind = "coordinating",
    *,
    after_punctuation: bool = False,
    language_specific: bool = False,
    not_before: str = "",
    not_after: str = "",
) -> tuple[Connective, ...]:
    """Build connectives sharing flags from '|'-separated forms and space-separated word lists."""
    return tuple(
        Connective(
            lang=lang,
            form=form.strip(),
            kind=kind,
            after_punctuation=after_punctuation,
            language_specific=language_specific,
            not_before=frozenset(not_before.split()),
            not_after=frozenset(not_after.split()),
        )
        for form in forms.split("|")
    )


_EN_BUT_NOT_AFTER = (
    "all anything nothing everything anyone everyone nobody none last cannot can't couldn't "
    "can\u2019t couldn\u2019t"  # with a typographic apostrophe
)

CONNECTIVES: Mapping[str, tuple[Connective, ...]] = {
    "en": (
        *_c("en", "but", not_before="also too rather", not_after=_EN_BUT_NOT_AFTER),
        *_c(
            "en",
            "however",
            after_punctuation=True,
            not_before="much many long often hard far little few small large big good bad well",
        ),
        *_c("en", "yet", after_punctuation=True, not_before="to another again more still"),
        *_c("en", "and yet|whereas|except|except for|except that"),
        *_c("en", "nevertheless|nonetheless|on the other hand", after_punctuation=True),
        *_c("en", "although|even though", "subordinating"),
        *_c("en", "though", "subordinating", not_after="as even"),
    ),
    "ar": (
        *_c(
            "ar",
            "لكن|ولكن|لكنه|لكنها|لكنهم|لكني|لكنني|لكننا|ولكنه|ولكنها|ولكنهم|ولكني|ولكنني|ولكننا",
        ),
        *_c("ar", "بيد أن|إلا أن|إلا أنه|إلا أنها|غير أن|غير أنه|غير أنها"),
        *_c("ar", "مع ذلك|ومع ذلك", after_punctuation=True),
        *_c(
            "ar",
            "رغم أن|رغم أنه|رغم أنها|بالرغم من أن|على الرغم من أن|مع أن",
            "subordinating",
        ),
    ),
    "he": (
        *_c("he", "אבל|אולם"),
        *_c("he", "אך", not_before="ורק"),
        *_c("he", "עם זאת|למרות זאת", after_punctuation=True),
        *_c("he", "למרות|אף על פי", "subordinating"),
    ),
    "fa": (
        *_c("fa", "اما|ولی|ولیکن|لیکن"),
        *_c("fa", "با این حال|با این وجود|با این‌حال|با این‌وجود", after_punctuation=True),
        *_c("fa", "هرچند|هر چند|اگرچه|اگر چه|گرچه", "subordinating"),
    ),
    "lt": (
        *_c("lt", "bet|tačiau"),
        *_c("lt", "vis dėlto", after_punctuation=True),
        # "o" is contrastive only after a comma ("Maistas geras, o pristatymas vėlavo"), and is
        # "or"/"the" in Spanish, Italian and Portuguese.
        *_c("lt", "o", after_punctuation=True, language_specific=True),
        *_c("lt", "nors", "subordinating"),
    ),
    "fr": (
        *_c("fr", "mais", language_specific=True, not_before="aussi également encore"),
        *_c("fr", "cependant|pourtant|toutefois|néanmoins", after_punctuation=True),
        *_c("fr", "bien que|même si|quoique", "subordinating"),
    ),
    "de": (
        *_c("de", "aber", not_before="auch"),
        *_c("de", "jedoch|allerdings|trotzdem|dennoch", after_punctuation=True),
        *_c("de", "obwohl|obgleich", "subordinating"),
    ),
    "es": (
        *_c("es", "pero", not_before="también"),
        *_c("es", "sin embargo|no obstante", after_punctuation=True),
        *_c("es", "aunque", "subordinating"),
    ),
    "it": (
        *_c("it", "ma", language_specific=True, not_before="anche pure"),
        *_c("it", "però|tuttavia", after_punctuation=True),
        *_c("it", "sebbene|benché|anche se", "subordinating"),
    ),
    "pt": (
        *_c("pt", "mas", language_specific=True, not_before="também"),
        *_c("pt", "porém"),
        *_c("pt", "contudo|todavia|no entanto|entretanto", after_punctuation=True),
        *_c("pt", "embora", "subordinating"),
    ),
}
"""Contrastive connectives by ISO 639-1 language code."""
