"""The theme-mining entry point: embeddings + texts + languages in, themes out.

Step order (as in BERTopic): prepare/cluster (:mod:`~feedback_nlp.themes.cluster`), label
(:mod:`~feedback_nlp.themes.label`), quotes (:mod:`~feedback_nlp.themes.quotes`), hierarchy
(:mod:`~feedback_nlp.themes.hierarchy`), confidence (:mod:`~feedback_nlp.themes.stability`).
Themes of openings, closings and courtesy are flagged ``general`` (:mod:`~feedback_nlp.themes.
general`): they are kept and counted, grouped under one parent of their own, and never mixed with
topical parents. Labels and titles are read from each unit's content
(:func:`~feedback_nlp.themes.content.content_text`), quotes from the text as given. Every theme
gets a ``title`` in one display language for the whole run (``display_lang``; default: the most
frequent language of the units), falling back to the theme's own main language.
Pure computation: arrays in, frozen values out; no database, no globals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from feedback_nlp.constraints import Constraint, Interval, check_params
from feedback_nlp.domain import choose_label
from feedback_nlp.themes.arrays import (
    FloatMatrix,
    IntArray,
    as_embeddings,
    as_langs,
    check_same_length,
)
from feedback_nlp.themes.cluster import ThemeClusterer, theme_centroids
from feedback_nlp.themes.content import content_text, content_texts
from feedback_nlp.themes.general import general_themes
from feedback_nlp.themes.hierarchy import group_themes
from feedback_nlp.themes.label import KeyphraseLabeler, ThemeLabel
from feedback_nlp.themes.quotes import representative_quotes
from feedback_nlp.themes.reduce import centre_by_language
from feedback_nlp.themes.stability import theme_confidence

__all__ = ["MiningResult", "ParentTheme", "Quote", "Theme", "ThemeMiner"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A unit quoted as representative of a theme."""

    index: int
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Theme:
    """One recurring theme.

    Attributes:
        index: position in :attr:`MiningResult.themes` (themes are ordered by size).
        label: readable label per language present (``lang -> label``).
        keyphrases: ranked c-TF-IDF keyphrases per language.
        quotes: 3-5 representative, diverse member units.
        size: number of member units.
        languages: member units per language.
        parent: index of the parent theme.
        confidence: mean best Jaccard overlap across resampled runs (NaN: not measured).
        centroid: unit-norm mean of the members' embeddings (the caller's space).
        title: the label shown: the display language's, else the main language's.
        general: the theme carries sentiment or courtesy but no topic (general-sentiment pool).
    """

    index: int
    label: dict[str, str]
    keyphrases: dict[str, tuple[str, ...]]
    quotes: tuple[Quote, ...]
    size: int
    languages: dict[str, int]
    parent: int
    confidence: float
    centroid: FloatMatrix = field(repr=False, compare=False)
    title: str = ""
    general: bool = False

    @property
    def main_label(self) -> str:
        """The label in the theme's most frequent language ('' when it has none)."""
        for lang, _ in sorted(self.languages.items(), key=lambda item: (-item[1], item[0])):
            if lang in self.label:
                return self.label[lang]
        return ""


@dataclass(frozen=True, slots=True)
class ParentTheme:
    """A group of related themes, with its own label."""

    index: int
    label: dict[str, str]
    keyphrases: dict[str, tuple[str, ...]]
    children: tuple[int, ...]
    size: int
    title: str = ""
    general: bool = False


@dataclass(frozen=True, slots=True)
class MiningResult:
    """Themes, parents and the theme of every unit (``-1``: unassigned)."""

    themes: tuple[Theme, ...]
    parents: tuple[ParentTheme, ...]
    assignments: IntArray = field(repr=False, compare=False)
    config: dict[str, Any] = field(default_factory=dict)
    display_lang: str = ""

    @property
    def n_general(self) -> int:
        """Units in themes of the general-sentiment pool."""
        return sum(theme.size for theme in self.themes if theme.general)

    @property
    def n_unassigned(self) -> int:
        """Units in the unassigned pool."""
        return int((self.assignments < 0).sum())

    @property
    def outlier_share(self) -> float:
        """Share of units in the unassigned pool."""
        return self.n_unassigned / max(1, self.assignments.size)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no centroids, no per-unit assignments)."""
        return {
            "n_units": int(self.assignments.size),
            "n_unassigned": self.n_unassigned,
            "n_general": self.n_general,
            "display_lang": self.display_lang,
            "themes": [
                {
                    "index": t.index,
                    "title": t.title,
                    "general": t.general,
                    "label": t.label,
                    "keyphrases": {lang: list(p) for lang, p in t.keyphrases.items()},
                    "quotes": [
                        {"index": q.index, "text": q.text, "lang": q.lang} for q in t.quotes
                    ],
                    "size": t.size,
                    "languages": t.languages,
                    "parent": t.parent,
                    "confidence": None if np.isnan(t.confidence) else round(t.confidence, 4),
                }
                for t in self.themes
            ],
            "parents": [
                {
                    "index": p.index,
                    "title": p.title,
                    "general": p.general,
                    "label": p.label,
                    "children": list(p.children),
                    "size": p.size,
                }
                for p in self.parents
            ],
            "config": self.config,
        }


def _most_frequent(langs: list[str]) -> str:
    """The most frequent language (ties: alphabetical; '' when there are no units)."""
    counts = Counter(langs)
    return min(counts, key=lambda lang: (-counts[lang], lang)) if counts else ""


def _quote_title(theme: Theme, words: int = 5) -> str:
    """A title from the most central quote's content, when no phrase survived the stop words."""
    for quote in theme.quotes:
        shown = content_text(quote.text).rstrip(".!?…").split()
        if shown:
            return " ".join(shown[:words])
    return ""


def _parents(
    centres: FloatMatrix, sizes: IntArray, general: np.ndarray[Any, Any], distance: float
) -> IntArray:
    """Parents of the topical themes by :func:`group_themes`; general themes share the last one."""
    parent_of = np.zeros(sizes.size, dtype=np.int64)
    topical = np.flatnonzero(~general)
    if topical.size:
        parent_of[topical] = group_themes(
            centres[topical], sizes[topical], parent_distance=distance
        )
    if general.any():
        parent_of[general] = int(parent_of[topical].max()) + 1 if topical.size else 0
    return parent_of


class ThemeMiner:
    """Mine recurring themes from unit embeddings, texts and languages.

    Args:
        clusterer: the clustering step (its ``seed`` is replaced by this miner's ``seed``).
        labeler: the labelling step.
        n_quotes: representative quotes per theme.
        quote_diversity: MMR diversity weight of the quotes.
        parent_distance: cosine distance at which theme centres are grouped into parents.
        n_resamples: resampled re-clusterings for the confidences (0 skips them: NaN).
        resample_fraction: share of the units in each resample.
        resample_max_units: most units in one resample (bounds its cost on large corpora).
        seed: seed of every random step.
        display_lang: language of the titles (``None``: the units' most frequent language).
        unit_items: the item of each unit, for the general-sentiment test (``None``: every unit
            is an item of its own, and no theme is general). Set per run, not part of the config.
    """

    # parent_distance and the resampling parameters are checked where they are used, by
    # group_themes and theme_confidence.
    parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_quotes": Interval("int", 1),
        "quote_diversity": Interval("float", 0.0, 1.0),
        "seed": Interval("int", 0),
    }

    def __init__(
        self,
        *,
        clusterer: ThemeClusterer | None = None,
        labeler: KeyphraseLabeler | None = None,
        n_quotes: int = 5,
        quote_diversity: float = 0.5,
        parent_distance: float = 0.75,
        n_resamples: int = 3,
        resample_fraction: float = 0.8,
        resample_max_units: int = 4000,
        seed: int = 0,
        display_lang: str | None = None,
        unit_items: Sequence[int] | None = None,
    ) -> None:
        self.clusterer = clusterer
        self.labeler = labeler
        self.n_quotes = n_quotes
        self.quote_diversity = quote_diversity
        self.parent_distance = parent_distance
        self.n_resamples = n_resamples
        self.resample_fraction = resample_fraction
        self.resample_max_units = resample_max_units
        self.seed = seed
        self.display_lang = display_lang
        self.unit_items = unit_items

    def make_clusterer(self, seed: int) -> ThemeClusterer:
        """Return an unfitted copy of the clustering step with ``seed``."""
        return (self.clusterer or ThemeClusterer()).with_seed(seed)

    def get_config(self) -> dict[str, Any]:
        """Return the parameters (with the steps' own configs) as a JSON-ready dict."""
        return {
            "clusterer": self.make_clusterer(self.seed).get_config(),
            "labeler": (self.labeler or KeyphraseLabeler()).get_config(),
            "n_quotes": self.n_quotes,
            "quote_diversity": self.quote_diversity,
            "parent_distance": self.parent_distance,
            "n_resamples": self.n_resamples,
            "resample_fraction": self.resample_fraction,
            "resample_max_units": self.resample_max_units,
            "seed": self.seed,
            "display_lang": self.display_lang,
        }

    def fit(
        self, embeddings: object, texts: Sequence[str], langs: Sequence[str] | None = None
    ) -> MiningResult:
        """Mine themes; returns a :class:`MiningResult` (also kept as ``result_``)."""
        owner = type(self).__name__
        check_params(owner, self.parameter_constraints, self.get_config())
        vectors = as_embeddings(embeddings, owner=owner)
        n = vectors.shape[0]
        check_same_length(owner, "texts", texts, n)
        codes = as_langs(langs, n, owner=owner)
        if self.unit_items is not None:
            check_same_length(owner, "unit items", self.unit_items, n)
        centred = centre_by_language(vectors, codes) if n else vectors
        clusterer = self.make_clusterer(self.seed).fit(vectors, codes, centred=centred)
        labels, k = clusterer.labels_, clusterer.n_themes_
        centres = theme_centroids(centred, labels, k)
        sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.int64)
        general = general_themes(centred, labels, k, self.unit_items)
        parent_of = _parents(centres, sizes, general, self.parent_distance)
        content = content_texts(texts)
        labeler = self.labeler or KeyphraseLabeler()
        theme_labels = labeler.label(content, codes, labels, k, centred=centred)
        unit_parents = np.full(n, -1, dtype=np.int64)
        unit_parents[labels >= 0] = parent_of[labels[labels >= 0]]
        n_parents = int(parent_of.max()) + 1 if k else 0
        parent_labels = labeler.label(content, codes, unit_parents, n_parents, centred=centred)
        display = self.display_lang or _most_frequent(codes)
        confidence = theme_confidence(
            vectors,
            codes,
            labels,
            make_clusterer=self.make_clusterer,
            n_resamples=self.n_resamples,
            fraction=self.resample_fraction,
            max_units=self.resample_max_units,
            seed=self.seed + 1,
        )
        themes = tuple(
            self._theme(t, texts, codes, labels, centred, centres[t], theme_labels[t])
            for t in range(k)
        )
        themes = tuple(
            replace(
                theme,
                parent=int(parent_of[theme.index]),
                confidence=float(confidence[theme.index]),
                centroid=clusterer.centroids_[theme.index],
                title=choose_label(theme.label, theme.languages, display) or _quote_title(theme),
                general=bool(general[theme.index]),
            )
            for theme in themes
        )
        parents = []
        for p in range(n_parents):
            children = tuple(int(c) for c in np.flatnonzero(parent_of == p))
            languages = Counter(codes[i] for i in np.flatnonzero(unit_parents == p).tolist())
            parents.append(
                ParentTheme(
                    index=p,
                    label=parent_labels[p].label,
                    keyphrases=parent_labels[p].keyphrases,
                    children=children,
                    size=int(sizes[parent_of == p].sum()),
                    title=choose_label(parent_labels[p].label, languages, display),
                    general=bool(general[list(children)].all()) if children else False,
                )
            )
        self.result_ = MiningResult(
            themes=themes,
            parents=tuple(parents),
            assignments=labels,
            config=self.get_config(),
            display_lang=display,
        )
        return self.result_

    def _theme(
        self,
        index: int,
        texts: Sequence[str],
        langs: list[str],
        labels: IntArray,
        centred: FloatMatrix,
        centre: FloatMatrix,
        label: ThemeLabel,
    ) -> Theme:
        """Assemble one theme (parent and confidence are filled in by the caller)."""
        members = np.flatnonzero(labels == index)
        picked = representative_quotes(
            centred[members],
            centre,
            texts=[texts[i] for i in members.tolist()],
            n_quotes=self.n_quotes,
            diversity=self.quote_diversity,
        )
        rows = [int(members[j]) for j in picked]
        quotes = tuple(Quote(index=i, text=texts[i], lang=langs[i]) for i in rows)
        counts = Counter(langs[i] for i in members)
        return Theme(
            index=index,
            label=label.label,
            keyphrases=label.keyphrases,
            quotes=quotes,
            size=int(members.size),
            languages=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
            parent=-1,
            confidence=float("nan"),
            centroid=centre,
        )
