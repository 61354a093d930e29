"""One feedback text from a phrase book: clauses, joins, opener, closer, PII, emoji, case."""

from __future__ import annotations

import random
from collections.abc import Sequence

from .phrasebook import PhraseBook, slot_names

OPENER_RATE = 0.30
CLOSER_RATE = 0.40
EMPHATIC_RATE = 0.12
EMOJI_RATE = 0.03
PII_RATE = 0.02
CASUAL_RATE = 0.35  # share of English/Lithuanian social posts written in lower case
CASUAL_LANGS = frozenset({"en", "lt"})
MAX_SENTENCES = 3
EMOJI = {
    "negative": ("😡", "😤", "👎", "😞"),
    "mixed": ("🤷", "😐", "🙂"),
    "positive": ("👍", "😊", "🙏", "⭐⭐⭐⭐⭐", "❤️"),
}


def render_clause(rng: random.Random, book: PhraseBook, theme: str) -> str:
    """Pick a phrasing of ``theme`` and fill its slots."""
    clause = rng.choice(book.themes[theme])
    values = {name: rng.choice(book.fillers[name]) for name in slot_names(clause)}
    return clause.format(**values)


def capitalize_first(text: str) -> str:
    """Upper-case the first character; scripts without case are left as they are."""
    return text[:1].upper() + text[1:]


def compose_body(
    rng: random.Random, book: PhraseBook, sentiment: str, themes: Sequence[str]
) -> tuple[str, int]:
    """Write the sentences that carry the themes.

    Returns:
        The text and how many sentences it has.
    """
    clauses = [render_clause(rng, book, theme) for theme in themes]
    if len(clauses) == 1:
        kind = "emphatic" if sentiment != "mixed" and rng.random() < EMPHATIC_RATE else "single"
    elif sentiment == "mixed":
        kind = "contrast"
    else:
        kind = "addition" if sentiment == "negative" else "praise_addition"
    template = rng.choice(book.joins[kind])
    body = template.format(a=clauses[0], b=clauses[1] if len(clauses) > 1 else "")
    return capitalize_first(body), 1 + template.count(". ")


def compose_text(
    rng: random.Random, book: PhraseBook, sentiment: str, themes: Sequence[str], source: str
) -> tuple[str, bool]:
    """Write one feedback text: body, optional opener, closer, PII sentence and emoji.

    Returns:
        The text and whether it contains a planted e-mail address or phone number.
    """
    body, n_sentences = compose_body(rng, book, sentiment, themes)
    opener = rng.choice(book.openers[sentiment]) if rng.random() < OPENER_RATE else None
    closer = rng.choice(book.closers[sentiment]) if rng.random() < CLOSER_RATE else None
    pii = None
    if rng.random() < PII_RATE:
        template = rng.choice(book.pii)
        pii = template.format(email=rng.choice(book.emails), phone=rng.choice(book.phones))
    room = MAX_SENTENCES - n_sentences - (pii is not None)
    if room < 2 and opener is not None and closer is not None:
        opener = None
    if room < 1:
        opener = closer = None
    text = " ".join(part for part in (opener, body, pii, closer) if part is not None)
    if rng.random() < EMOJI_RATE:
        text = f"{text} {rng.choice(EMOJI[sentiment])}"
    if book.lang in CASUAL_LANGS and source == "social" and rng.random() < CASUAL_RATE:
        text = text.lower().removesuffix(".")
    return text, pii is not None
