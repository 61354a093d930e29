"""The hand-written phrase books (``phrases/<lang>.json``): loaded and checked."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpus import PHRASES_DIR
from .themes import THEME_IDS


@dataclass(frozen=True)
class PhraseBook:
    """The hand-written phrases of one language, loaded from ``phrases/<lang>.json``.

    Attributes:
        lang: ISO 639-1 code.
        themes: Theme id to clause phrasings (no final punctuation, lower-case start).
        fillers: Slot name to pre-inflected fillers, for ``{slot}`` in a clause.
        openers: Sentiment to stand-alone opening sentences.
        closers: Sentiment to stand-alone closing sentences.
        joins: Template kind to templates over ``{a}`` and ``{b}``.
        pii: Sentences with an ``{email}`` or ``{phone}`` slot.
        emails: Fake addresses at ``example.com``.
        phones: Fake phone numbers.
        keywords: Theme id to a few words that mark the theme in this language.
    """

    lang: str
    themes: Mapping[str, Sequence[str]]
    fillers: Mapping[str, Sequence[str]]
    openers: Mapping[str, Sequence[str]]
    closers: Mapping[str, Sequence[str]]
    joins: Mapping[str, Sequence[str]]
    pii: Sequence[str]
    emails: Sequence[str]
    phones: Sequence[str]
    keywords: Mapping[str, Sequence[str]]


MIN_PHRASINGS = 6
JOIN_KINDS = ("single", "emphatic", "contrast", "addition", "praise_addition")
SENTIMENTS = ("negative", "mixed", "positive")


def load_phrasebook(lang: str, directory: Path = PHRASES_DIR) -> PhraseBook:
    """Load and check the phrase book of one language.

    Args:
        lang: ISO 639-1 code, one of :data:`LANGUAGES`.
        directory: Folder holding ``<lang>.json``.

    Returns:
        The phrase book.

    Raises:
        ValueError: If a theme, join kind or sentiment is missing, a theme has fewer than
            :data:`MIN_PHRASINGS` phrasings, or a clause uses a slot with no fillers.
    """
    path = directory / f"{lang}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    book = PhraseBook(
        lang=data["lang"],
        themes=data["themes"],
        fillers=data["fillers"],
        openers=data["openers"],
        closers=data["closers"],
        joins=data["joins"],
        pii=data["pii"],
        emails=data["emails"],
        phones=data["phones"],
        keywords=data["keywords"],
    )
    _check_phrasebook(book, path)
    return book


def _check_phrasebook(book: PhraseBook, path: Path) -> None:
    problems: list[str] = []
    for theme_id in THEME_IDS:
        phrasings = book.themes.get(theme_id, ())
        if len(phrasings) < MIN_PHRASINGS:
            problems.append(f"theme '{theme_id}' has {len(phrasings)} phrasings")
        if not book.keywords.get(theme_id):
            problems.append(f"theme '{theme_id}' has no keywords")
        for clause in phrasings:
            missing = set(slot_names(clause)) - set(book.fillers)
            if missing:
                problems.append(f"clause {clause!r} uses slots {sorted(missing)} with no fillers")
    problems += [f"join kind '{kind}' is missing" for kind in JOIN_KINDS if kind not in book.joins]
    for sentiment in SENTIMENTS:
        if not book.openers.get(sentiment) or not book.closers.get(sentiment):
            problems.append(f"openers or closers for '{sentiment}' are missing")
    if problems:
        raise ValueError(f"The phrase book {path} is incomplete: {'; '.join(problems)}.")


def slot_names(template: str) -> list[str]:
    """Return the ``{slot}`` names used in ``template``."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
