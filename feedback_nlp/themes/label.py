"""Readable theme labels: a 2-5 word title and 3-5 keyphrases per theme and language.

For each language present, the units of that language are grouped by theme, and every theme's
candidate phrases are scored against the other themes of the same language:

1. **Candidates** are word n-grams of 1 to ``max_phrase_words`` tokens of each unit's content
   (placeholders, numbers, URLs and @handles are removed before: see
   :mod:`feedback_nlp.themes.content`), within one clause (an n-gram never spans a comma, a
   full stop or other punctuation: "add a dark mode, the white screen" gives "add dark mode",
   never "dark mode the white"), that neither start nor end with a stop word of the language
   (the project's lists of :mod:`feedback_nlp.themes.stopwords` together with spaCy's). Tokens are
   case-folded, Arabic short vowels and tatweel removed, and Arabic/Hebrew clitics (``و``, ``ال``,
   ``بال``, ``ه``, ``ו`` ...) are folded away for counting, so "التوصيل" and "والتوصيل" count
   as one word; a phrase is shown in its most frequent written form. No trained parser is
   installed, so noun chunks are not used; n-grams stand in for them in every language.
2. **c-TF-IDF** (as in BERTopic), with counts per unit (a phrase repeated in one message counts
   once)::

       ctfidf(term, theme) = tf(term, theme) * log(1 + A / f(term))

   where ``tf`` is the share of the theme's units that hold ``term``, ``A`` the average number of
   units per theme and ``f`` the term's unit count over all themes.
3. **Centre similarity**: when the members' vectors are given, a phrase's vector is the mean of
   the vectors of the member units that hold it, and its cosine to the theme centre measures how
   central the phrase is to the theme (no embedder is needed). The score is
   ``ctfidf * (1 + centre_similarity)`` times a small bonus per extra word, so that "card
   arrival" is preferred over "card" when nearly every unit saying "card" says "card arrival".
4. **MMR**: keyphrases are picked by maximal marginal relevance, a phrase sharing words with one
   already picked being penalised, and keyphrases hold no stop word at all.
5. **Title**: it starts from the *head*, the best-scored candidate, so that it names what sets
   the theme apart ("expire", not a common "order new" beside it). A head of 2-5 words held by at
   least ``min_title_share`` of the units is the title; else the best phrase of two or more words
   that holds every word of the head, is held by ``min_title_share`` of the units and by
   ``HEAD_EXTENSION_SHARE`` of the head's own units ("card" -> "card arrival"); else the head and
   the next best candidates that share no word with it, joined ("expire / order new"). Stop words
   may sit inside a title ("hope you fix"). On the theme eval files this lifted label accuracy@1
   from 0.491 to 0.573 (banking77) and from 0.531 to 0.562 (clinc150); see bench/RESULTS.md.
6. **Growing the title**: a title of two or more words is then replaced by a longer candidate
   that holds it word for word, in order, and is held by ``HEAD_EXTENSION_SHARE`` of the title's
   units (the longest such, again and again), so that a phrase cut short by the counting
   ("add dark", "app keeps") reads as its units say it ("add dark mode", "app keeps
   crashing"). With candidates of up to 5 words (3 before), chosen on banking77 TRAIN rows and
   the clinc150 validation split, label accuracy@1 went from 0.470 to 0.504 and from 0.551 to
   0.558; see bench/RESULTS.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import numpy as np

from feedback_nlp.constraints import Constraint, Interval, check_params
from feedback_nlp.themes.arrays import FloatMatrix, IntArray
from feedback_nlp.themes.content import content_text
from feedback_nlp.themes.stopwords import stop_words_for

__all__ = [
    "HEAD_EXTENSION_SHARE",
    "LABEL_SEPARATOR",
    "TOKEN_PATTERN",
    "KeyphraseLabeler",
    "ThemeLabel",
    "tokenize",
]

TOKEN_PATTERN = r"(?u)\b\w[\w'\u200c\u05f3\u05f4-]*\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_HAS_DIGIT = re.compile(r"\d")
# Where a clause ends: no candidate phrase spans one (Latin, Arabic and typographic marks).
_CLAUSE_BREAK = re.compile(
    r"[,.;:!?()\[\]{}\"\u060c\u061b\u061f\u06d4\u00ab\u00bb\u201c\u201d\u2026]+"
)
LABEL_SEPARATOR = " / "
_CLITICS = {
    "ar": ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل"),
    "he": ("וה", "שה", "בה", "לה", "מה", "ה", "ו", "ב", "ל", "מ", "ש"),
}
_MIN_STEM = 3
_WORD_BONUS = 0.0
_MMR_LAMBDA = 0.7
# A longer title around the head must be held by this share of the units holding the head.
HEAD_EXTENSION_SHARE = 0.7


def tokenize(text: str) -> list[str]:
    """Split ``text`` into case-folded word tokens of two or more characters, digits dropped."""
    folded = _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return [
        token.strip("'-")
        for token in _TOKEN_RE.findall(folded)
        if len(token.strip("'-")) > 1 and not _HAS_DIGIT.search(token)
    ]


@cache
def _stop_words(lang: str) -> frozenset[str]:
    """The project's stop words of ``lang`` with spaCy's, clitic-folded forms included."""
    words = set(stop_words_for(lang))
    base = lang.split("-")[0].lower()
    try:
        module = __import__(f"spacy.lang.{base}.stop_words", fromlist=["STOP_WORDS"])
        words |= {word.casefold() for word in module.STOP_WORDS}
    except ImportError:
        pass
    return frozenset(words | {_fold_clitic(word, base) for word in words})


def _fold_clitic(token: str, lang: str) -> str:
    """Strip one Arabic/Hebrew prefix clitic when a stem of three or more letters remains."""
    for prefix in _CLITICS.get(lang, ()):
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            return token[len(prefix) :]
    return token


def _unit_phrases(text: str, lang: str, longest: int) -> dict[str, str]:
    """Distinct phrases of a unit, none across a clause break: counting key -> written form."""
    base = lang.split("-")[0].lower()
    stop = _stop_words(lang)
    found: dict[str, str] = {}
    for clause in _CLAUSE_BREAK.split(content_text(text)):
        tokens = tokenize(clause)
        keys = [_fold_clitic(token, base) for token in tokens]
        for size in range(1, longest + 1):
            for start in range(len(tokens) - size + 1):
                first, last = start, start + size - 1
                if tokens[first] in stop or tokens[last] in stop:
                    continue
                if keys[first] in stop or keys[last] in stop:
                    continue
                key = " ".join(keys[start : start + size])
                found.setdefault(key, " ".join(tokens[start : start + size]))
    return found


@dataclass(frozen=True, slots=True)
class ThemeLabel:
    """The label (title) and ranked keyphrases of one theme, per language (``lang -> ...``)."""

    label: dict[str, str]
    keyphrases: dict[str, tuple[str, ...]]


class KeyphraseLabeler:
    """Label themes with a short title and distinctive keyphrases, in each language present.

    Args:
        max_phrase_words: longest candidate phrase, in tokens (titles are 2-5 words).
        n_keyphrases: keyphrases kept per theme and language (3-5 read well).
        n_label_phrases: single words joined when no phrase of two or more words qualifies.
        min_language_units: units of a language a theme needs for a label in that language.
        max_units_per_theme: at most this many units of a theme (per language, evenly spaced in
            corpus order) are counted: the top phrases of a theme of 100,000 units are those of
            a few thousand of them, at a fraction of the time and memory.
        min_title_share: share of a theme's units (in that language) a multi-word title needs.
        n_candidates: best c-TF-IDF candidates rescored with centre similarity and MMR.
    """

    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "max_phrase_words": Interval("int", 1, 5),
        "n_keyphrases": Interval("int", 1),
        "n_label_phrases": Interval("int", 1),
        "min_language_units": Interval("int", 1),
        "max_units_per_theme": Interval("int", 1),
        "n_candidates": Interval("int", 1),
    }

    def __init__(
        self,
        *,
        max_phrase_words: int = 5,
        n_keyphrases: int = 5,
        n_label_phrases: int = 2,
        min_language_units: int = 1,
        max_units_per_theme: int = 3000,
        min_title_share: float = 0.15,
        n_candidates: int = 40,
    ) -> None:
        self.max_phrase_words = max_phrase_words
        self.n_keyphrases = n_keyphrases
        self.n_label_phrases = n_label_phrases
        self.min_language_units = min_language_units
        self.max_units_per_theme = max_units_per_theme
        self.min_title_share = min_title_share
        self.n_candidates = n_candidates

    def get_config(self) -> dict[str, int | float]:
        """Return the parameters as a JSON-ready dict."""
        return {
            "max_phrase_words": self.max_phrase_words,
            "n_keyphrases": self.n_keyphrases,
            "n_label_phrases": self.n_label_phrases,
            "min_language_units": self.min_language_units,
            "max_units_per_theme": self.max_units_per_theme,
            "min_title_share": self.min_title_share,
            "n_candidates": self.n_candidates,
        }

    def label(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        labels: IntArray,
        n_themes: int,
        *,
        centred: FloatMatrix | None = None,
    ) -> list[ThemeLabel]:
        """Return one :class:`ThemeLabel` per theme ``0 .. n_themes-1``.

        Args:
            texts: unit texts.
            langs: one language code per unit.
            labels: theme of each unit (``-1``: unassigned, ignored).
            n_themes: number of themes.
            centred: the units' (language-centred) vectors, for the centre similarity of
                phrases; ``None`` ranks by c-TF-IDF alone.
        """
        check_params(type(self).__name__, self.parameter_constraints, self.get_config())
        labels_by: list[dict[str, str]] = [{} for _ in range(n_themes)]
        phrases_by: list[dict[str, tuple[str, ...]]] = [{} for _ in range(n_themes)]
        for lang in sorted({langs[i] for i in np.flatnonzero(labels >= 0).tolist()}):
            ranked = self._rank_language(texts, langs, labels, n_themes, lang, centred)
            for theme, (title, phrases) in ranked.items():
                if title:
                    phrases_by[theme][lang] = phrases
                    labels_by[theme][lang] = title
        return [ThemeLabel(label=labels_by[t], keyphrases=phrases_by[t]) for t in range(n_themes)]

    def _members(
        self, labels: IntArray, langs: Sequence[str], lang: str, n_themes: int
    ) -> list[IntArray]:
        """Per theme, the (capped, evenly spaced) member rows in ``lang``."""
        chosen = np.flatnonzero((labels >= 0) & (np.asarray(langs, dtype=object) == lang))
        chosen = chosen[np.argsort(labels[chosen], kind="stable")]  # by theme, corpus order
        units = np.bincount(labels[chosen], minlength=n_themes).astype(np.int64)
        bounds = np.concatenate([[0], np.cumsum(units)])
        out = []
        for theme in range(n_themes):
            members = chosen[bounds[theme] : bounds[theme + 1]]
            if members.size > self.max_units_per_theme:
                picks = np.linspace(0, members.size - 1, self.max_units_per_theme)
                members = members[np.round(picks).astype(np.int64)]
            out.append(members)
        return out

    def _rank_language(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        labels: IntArray,
        n_themes: int,
        lang: str,
        centred: FloatMatrix | None,
    ) -> dict[int, tuple[str, tuple[str, ...]]]:
        """Title and keyphrases of every theme with enough units in ``lang``."""
        members = self._members(labels, langs, lang, n_themes)
        present = [t for t in range(n_themes) if members[t].size >= self.min_language_units]
        holders: dict[int, dict[str, list[int]]] = {}
        forms: dict[int, dict[str, Counter[str]]] = {}
        totals: Counter[str] = Counter()
        for theme in present:
            held: dict[str, list[int]] = {}
            written: dict[str, Counter[str]] = {}
            for index in members[theme].tolist():
                for key, form in _unit_phrases(texts[index], lang, self.max_phrase_words).items():
                    held.setdefault(key, []).append(index)
                    written.setdefault(key, Counter())[form] += 1
            holders[theme], forms[theme] = held, written
            totals.update({key: len(rows) for key, rows in held.items()})
        mean_units = sum(members[t].size for t in present) / max(1, len(present))
        ranked: dict[int, tuple[str, tuple[str, ...]]] = {}
        for theme in present:
            size = members[theme].size
            needed = 2 if size >= 4 else 1
            candidates = [
                (len(rows) / size * math.log(1.0 + mean_units / totals[key]), key)
                for key, rows in holders[theme].items()
                if len(rows) >= needed
            ]
            if not candidates:
                continue
            candidates.sort(key=lambda pair: (-pair[0], pair[1]))
            top = candidates[: self.n_candidates]
            centre = None
            if centred is not None:
                mean = centred[members[theme]].mean(axis=0)
                centre = mean / max(float(np.linalg.norm(mean)), 1e-12)
            scored = []
            for score, key in top:
                rows = holders[theme][key]
                similarity = 0.0
                if centre is not None and centred is not None:
                    vector = centred[rows].mean(axis=0)
                    similarity = float(vector @ centre) / max(float(np.linalg.norm(vector)), 1e-12)
                words = key.count(" ") + 1
                bonus = 1.0 + _WORD_BONUS * (words - 1)
                scored.append((score * (1.0 + similarity) * bonus, key, len(rows) / size))
            # Scores within 5% of each other tie (then: alphabetical), so that an evenly spaced
            # sample of a large theme ranks its phrases as the whole theme does.
            best = max(score for score, _, _ in scored) or 1.0
            scored = [(round(score / best * 20) / 20, key, share) for score, key, share in scored]
            scored.sort(key=lambda item: (-item[0], item[1]))
            stop = _stop_words(lang)
            plain = [(s, key) for s, key, _ in scored if not set(key.split()) & stop]
            keys = _mmr([key for _, key in plain], [s for s, _ in plain], self.n_keyphrases)
            shown = {key: forms[theme][key].most_common(1)[0][0] for _, key, _ in scored}
            title = self._title(scored, shown)
            ranked[theme] = (title, tuple(shown[key] for key in keys))
        return ranked

    def _title(self, scored: list[tuple[float, str, float]], shown: dict[str, str]) -> str:
        """The head (best phrase), a common longer phrase around it, else it and the next joined.

        ``scored`` is ranked best first and holds ``(score, key, share of the units)``.
        """
        _, head, head_share = scored[0]
        if " " in head and head_share >= self.min_title_share:
            return shown[self._grown(scored, head, head_share)]
        head_words = set(head.split())
        needed = self._extension_share(head_share)
        for _, key, share in scored:
            if " " in key and share >= needed and head_words <= set(key.split()):
                return shown[self._grown(scored, key, share)]
        chosen: list[str] = []
        for _, key, _ in scored:
            words = set(key.split())
            if any(words & set(done.split()) for done in chosen):
                continue
            chosen.append(key)
            if len(chosen) == self.n_label_phrases:
                break
        return LABEL_SEPARATOR.join(shown[key] for key in chosen)

    def _extension_share(self, share: float) -> float:
        """The share of the units a longer title needs around one held by ``share`` of them."""
        return max(self.min_title_share, HEAD_EXTENSION_SHARE * share)

    def _grown(self, scored: list[tuple[float, str, float]], title: str, share: float) -> str:
        """``title``, or the longest candidate holding it (in order) that most of its units hold.

        Grown again from the candidate found, until no longer one qualifies: a candidate
        qualifies when it holds ``title`` word for word and is held by ``HEAD_EXTENSION_SHARE``
        of the units holding ``title`` (and by ``min_title_share`` of the theme's). Ties in
        length go to the better score, then to the alphabetically first key.
        """
        while True:
            needed = self._extension_share(share)
            inside = f" {title} "
            longer = [
                (-key.count(" "), -score, key, held)
                for score, key, held in scored
                if held >= needed and key != title and inside in f" {key} "
            ]
            if not longer:
                return title
            _, _, title, share = min(longer)


def _mmr(keys: list[str], scores: list[float], n: int) -> list[str]:
    """Pick ``n`` keys by maximal marginal relevance; redundancy is word overlap (Jaccard)."""
    if not keys:
        return []
    top = max(scores) or 1.0
    relevance = [score / top for score in scores]
    words = [set(key.split()) for key in keys]
    picked: list[int] = []
    left = list(range(len(keys)))
    while left and len(picked) < n:

        def gain(i: int) -> float:
            overlap = max(
                (len(words[i] & words[j]) / len(words[i] | words[j]) for j in picked), default=0.0
            )
            return _MMR_LAMBDA * relevance[i] - (1.0 - _MMR_LAMBDA) * overlap

        best = max(left, key=lambda i: (gain(i), -i))
        picked.append(best)
        left.remove(best)
    return [keys[i] for i in picked]
