"""Readable theme labels from class-based TF-IDF keyphrases, one label per language.

For each language present, the units of that language are grouped by theme and every theme is
scored against the other themes of the same language with c-TF-IDF (as in BERTopic):

    score(term, theme) = tf(term, theme) * log(1 + A / f(term))

where ``tf`` is the share of the theme's phrase occurrences that are ``term``, ``A`` is the average
number of phrase occurrences per theme and ``f`` is the term's frequency over all themes. Counts
are per unit (a phrase repeated in one message counts once), which suits short feedback.

Unlike BERTopic's default tokenizer, nothing here deletes non-ASCII text: tokens follow the
Unicode-aware pattern :data:`TOKEN_PATTERN` (Arabic, Hebrew, Persian with ZWNJ, Lithuanian), text
is case-folded, Arabic short vowels and tatweel are removed, and phrases of 1-2 tokens are kept
unless they start or end with a stop word of their language (:mod:`feedback_nlp.themes.stopwords`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from feedback_nlp.themes._checks import IntArray, check_int
from feedback_nlp.themes.stopwords import stop_words_for

__all__ = ["TOKEN_PATTERN", "KeyphraseLabeler", "ThemeLabel", "tokenize"]

TOKEN_PATTERN = r"(?u)\b\w[\w'\u200c\u05f3\u05f4-]*\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
LABEL_SEPARATOR = " / "


def tokenize(text: str) -> list[str]:
    """Split ``text`` into case-folded word tokens of two or more characters, digits dropped."""
    folded = _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return [
        token.strip("'-")
        for token in _TOKEN_RE.findall(folded)
        if len(token.strip("'-")) > 1 and not token.isdigit()
    ]


def _phrases(tokens: list[str], stop: frozenset[str], longest: int) -> set[str]:
    """Return the distinct phrases of 1..``longest`` tokens not starting or ending in stop words."""
    found: set[str] = set()
    for size in range(1, longest + 1):
        for start in range(len(tokens) - size + 1):
            gram = tokens[start : start + size]
            if gram[0] in stop or gram[-1] in stop:
                continue
            found.add(" ".join(gram))
    return found


def _expand(terms: list[str], counts: Counter[str], share: float = 0.6) -> tuple[str, ...]:
    """Replace a single word by the longer phrase that holds most of its occurrences.

    "virtual" becomes "virtual card" when at least ``share`` of the units with "virtual" say
    "virtual card"; a phrase already in the list is not repeated.
    """
    out: list[str] = []
    for term in terms:
        best = term
        if " " not in term:
            longer = [
                (count, phrase)
                for phrase, count in counts.items()
                if " " in phrase and term in phrase.split() and count >= share * counts[term]
            ]
            if longer:
                best = max(longer, key=lambda pair: (pair[0], pair[1]))[1]
        if best not in out:
            out.append(best)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ThemeLabel:
    """The label and ranked keyphrases of one theme, per language (``lang -> ...``)."""

    label: dict[str, str]
    keyphrases: dict[str, tuple[str, ...]]


class KeyphraseLabeler:
    """Label themes with their most distinctive 1-2-word phrases, in each language present.

    Args:
        max_phrase_words: longest phrase, in tokens.
        n_keyphrases: keyphrases kept per theme and language.
        n_label_phrases: keyphrases joined into the label (a phrase sharing a word with one
            already chosen is skipped, so "card" does not follow "card arrival").
        min_language_units: units of a language a theme needs for a label in that language.
        max_units_per_theme: at most this many units of a theme (per language, evenly spaced in
            corpus order) are counted: the top phrases of a theme of 100,000 units are those of
            a few thousand of them, at a fraction of the time and memory.
    """

    def __init__(
        self,
        *,
        max_phrase_words: int = 2,
        n_keyphrases: int = 10,
        n_label_phrases: int = 2,
        min_language_units: int = 1,
        max_units_per_theme: int = 3000,
    ) -> None:
        self.max_phrase_words = max_phrase_words
        self.n_keyphrases = n_keyphrases
        self.n_label_phrases = n_label_phrases
        self.min_language_units = min_language_units
        self.max_units_per_theme = max_units_per_theme

    def get_config(self) -> dict[str, int]:
        """Return the parameters as a JSON-ready dict."""
        return {
            "max_phrase_words": self.max_phrase_words,
            "n_keyphrases": self.n_keyphrases,
            "n_label_phrases": self.n_label_phrases,
            "min_language_units": self.min_language_units,
            "max_units_per_theme": self.max_units_per_theme,
        }

    def label(
        self, texts: Sequence[str], langs: Sequence[str], labels: IntArray, n_themes: int
    ) -> list[ThemeLabel]:
        """Return one :class:`ThemeLabel` per theme ``0 .. n_themes-1``.

        Args:
            texts: unit texts.
            langs: one language code per unit.
            labels: theme of each unit (``-1``: unassigned, ignored).
            n_themes: number of themes.
        """
        owner = type(self).__name__
        check_int(owner, "max_phrase_words", self.max_phrase_words, 1, 4)
        check_int(owner, "n_keyphrases", self.n_keyphrases, 1)
        check_int(owner, "n_label_phrases", self.n_label_phrases, 1)
        check_int(owner, "min_language_units", self.min_language_units, 1)
        check_int(owner, "max_units_per_theme", self.max_units_per_theme, 1)
        labels_by: list[dict[str, str]] = [{} for _ in range(n_themes)]
        phrases_by: list[dict[str, tuple[str, ...]]] = [{} for _ in range(n_themes)]
        for lang in sorted({langs[i] for i in np.flatnonzero(labels >= 0).tolist()}):
            ranked = self._rank_language(texts, langs, labels, n_themes, lang)
            for theme, phrases in ranked.items():
                if phrases:
                    phrases_by[theme][lang] = phrases
                    labels_by[theme][lang] = self._compose(phrases)
        return [ThemeLabel(label=labels_by[t], keyphrases=phrases_by[t]) for t in range(n_themes)]

    def _rank_language(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        labels: IntArray,
        n_themes: int,
        lang: str,
    ) -> dict[int, tuple[str, ...]]:
        """c-TF-IDF keyphrases of every theme with enough units in ``lang``."""
        stop = stop_words_for(lang)
        counts: list[Counter[str]] = [Counter() for _ in range(n_themes)]
        chosen = np.flatnonzero((labels >= 0) & (np.asarray(langs, dtype=object) == lang))
        chosen = chosen[np.argsort(labels[chosen], kind="stable")]  # by theme, corpus order
        units = np.bincount(labels[chosen], minlength=n_themes).astype(np.int64)
        bounds = np.concatenate([[0], np.cumsum(units)])
        for theme in np.flatnonzero(units).tolist():
            members = chosen[bounds[theme] : bounds[theme + 1]]
            if members.size > self.max_units_per_theme:  # evenly spaced, in corpus order
                picks = np.linspace(0, members.size - 1, self.max_units_per_theme)
                members = members[np.round(picks).astype(np.int64)]
            for index in members.tolist():
                phrases = _phrases(tokenize(texts[index]), stop, self.max_phrase_words)
                counts[theme].update(phrases)
        present = [t for t in range(n_themes) if units[t] >= self.min_language_units]
        totals: Counter[str] = Counter()
        for theme in present:
            totals.update(counts[theme])
        mean_size = sum(sum(counts[t].values()) for t in present) / max(1, len(present))
        ranked: dict[int, tuple[str, ...]] = {}
        for theme in present:
            size = sum(counts[theme].values())
            if size == 0:
                continue
            needed = 2 if units[theme] >= 4 else 1
            scored = [
                (count / size * math.log(1.0 + mean_size / totals[term]), term)
                for term, count in counts[theme].items()
                if count >= needed
            ]
            scored.sort(key=lambda pair: (-pair[0], pair[1]))
            ranked[theme] = _expand(
                [term for _, term in scored[: self.n_keyphrases]], counts[theme]
            )
        return ranked

    def _compose(self, phrases: tuple[str, ...]) -> str:
        """Join the top phrases into a label, skipping phrases inside one already chosen."""
        chosen: list[str] = []
        for phrase in phrases:
            words = set(phrase.split())
            if any(words & set(done.split()) for done in chosen):
                continue
            chosen.append(phrase)
            if len(chosen) == self.n_label_phrases:
                break
        return LABEL_SEPARATOR.join(chosen)
