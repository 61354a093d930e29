"""The theme-mining evaluation harness behind ``feedback-nlp eval themes PATH.csv``.

A CSV with columns ``text,label[,lang]`` goes through the product's text path (PII redaction as
ingest does it, then :func:`~feedback_nlp.themes.content.content_text` for what the embedder
sees; one unit per row), is embedded, mined with :class:`~feedback_nlp.themes.ThemeMiner`, and
the themes are scored against the labels:

* **NMI / ARI** with the unassigned pool counted as one more cluster (no cherry-picking).
* **outlier share**: units in the unassigned pool.
* **stability ARI**: ARI between the themes of this run and a second clustering with ``seed + 1``.
* **cross-language agreement** (files with a ``lang`` column holding several languages): the share
  of labels present in two or more languages whose majority theme is the same in every language.
* **label accuracy**: for each theme, the gold name closest to its title in the embedder's space
  (``card_arrival`` read as "card arrival") is compared with the theme's majority label; the
  share of themes where they agree. ``None`` when the labels are not readable names or the
  embedder cannot be loaded (a cached run with a test embedder).
* **parent NMI**: NMI of the units' parent themes against the labels; **domain NMI**: the same
  against coarse gold (label -> domain) when a ``<stem>.domains.json`` sits next to the file or a
  ``<corpus>/domains.json`` two folders up (``clinc150`` for ``clinc150_test.csv``).
* **general share**: units in themes of the general-sentiment pool (scored like any theme).
* **times**: embedding and mining separately (``seconds`` is their sum; the second clustering for
  the stability ARI is timed apart), and the process's peak resident memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from feedback_nlp.errors import FeedbackNLPError, InvalidInputError
from feedback_nlp.labelled_csv import open_labelled_csv
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.themes import MiningResult, ThemeMiner
from feedback_nlp.themes.arrays import IntArray
from feedback_nlp.themes.content import content_texts

_Encode = Callable[[list[str]], Any]

__all__ = [
    "LabelledUnits",
    "ThemeEvalResult",
    "coarse_labels_for",
    "cross_language_agreement",
    "format_theme_eval",
    "label_accuracy",
    "load_labelled_csv",
    "product_texts",
    "readable_names",
    "run_theme_eval",
    "theme_label_accuracy",
]

DEFAULT_EMBEDDER = "e5-small-multilingual"


@dataclass(frozen=True, slots=True)
class LabelledUnits:
    """The rows of an evaluation CSV."""

    texts: list[str]
    labels: list[str]
    langs: list[str]
    has_lang: bool


@dataclass(frozen=True, slots=True)
class ThemeEvalResult:
    """Scores and costs of one evaluation run (see the module docstring for each field)."""

    path: str
    embedder: str
    seed: int
    n_units: int
    n_labels: int
    languages: tuple[str, ...]
    nmi: float
    ari: float
    outlier_share: float
    n_themes: int
    n_parents: int
    stability_ari: float
    mean_confidence: float
    cross_language_agreement: float | None
    label_accuracy: float | None
    parent_nmi: float
    domain_nmi: float | None
    general_share: float
    language_purity: float | None
    embed_seconds: float
    mine_seconds: float
    seconds: float
    stability_seconds: float
    embeddings_cached: bool
    peak_memory_mb: float
    top_themes: tuple[tuple[str, int, float], ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        out = asdict(self)
        out["languages"] = list(self.languages)
        out["top_themes"] = [list(item) for item in self.top_themes]
        return out


def load_labelled_csv(path: Path) -> LabelledUnits:
    """Read a UTF-8 CSV with a header ``text,label[,lang]``; rows with empty text are skipped."""
    with open_labelled_csv(path) as reader:
        rows = [row for row in reader if (row.get("text") or "").strip()]
        has_lang = "lang" in (reader.fieldnames or [])
    return LabelledUnits(
        texts=[row["text"] for row in rows],
        labels=[row["label"] for row in rows],
        langs=[(row.get("lang") or "und") if has_lang else "und" for row in rows],
        has_lang=has_lang,
    )


def cross_language_agreement(labels: list[str], langs: list[str], themes: IntArray) -> float | None:
    """Share of labels (present in 2+ languages) with the same majority theme in every language.

    The majority is taken over assigned units; a label whose units in some language are all
    unassigned counts as a disagreement. Returns ``None`` when fewer than two languages occur.
    """
    if len(set(langs)) < 2:
        return None
    groups: dict[str, dict[str, Counter[int]]] = {}
    for label, lang, theme in zip(labels, langs, themes.tolist(), strict=True):
        counter = groups.setdefault(label, {}).setdefault(lang, Counter())
        if theme >= 0:
            counter[theme] += 1
    shared = [by_lang for by_lang in groups.values() if len(by_lang) >= 2]
    if not shared:
        return None
    same = 0
    for by_lang in shared:
        majorities = {min(c, key=lambda t: (-c[t], t)) if c else None for c in by_lang.values()}
        same += int(len(majorities) == 1 and None not in majorities)
    return same / len(shared)


def language_purity(labels: list[str], langs: list[str], themes: IntArray) -> float | None:
    """The lowest, over languages, of the share of a language's units carrying their theme's label.

    A theme's label is the majority gold label of all its units (every language together), so a
    theme that holds one topic in English and another in Arabic is impure in one of them. Units
    of the unassigned pool count as impure. ``None`` when fewer than two languages occur.
    """
    if len(set(langs)) < 2:
        return None
    votes: dict[int, Counter[str]] = {}
    for label, theme in zip(labels, themes.tolist(), strict=True):
        if theme >= 0:
            votes.setdefault(theme, Counter())[label] += 1
    majority = {t: min(c, key=lambda g: (-c[g], g)) for t, c in votes.items()}
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for label, lang, theme in zip(labels, langs, themes.tolist(), strict=True):
        totals[lang] += 1
        hits[lang] += int(theme >= 0 and majority[theme] == label)
    return min(hits[lang] / totals[lang] for lang in totals)


def readable_names(labels: list[str]) -> dict[str, str] | None:
    """Gold labels as names to embed (``card_arrival`` -> "card arrival"), or ``None``.

    Labels are readable when nearly all of them (95%) hold a word of three or more letters;
    numeric or coded labels ("3", "c17") are not.
    """
    distinct = sorted(set(labels))
    names = {label: " ".join(re.split(r"[_/\-]+", label)).strip() for label in distinct}
    readable = sum(bool(re.search(r"[^\W\d_]{3}", name)) for name in names.values())
    return names if distinct and readable >= 0.95 * len(distinct) else None


def label_accuracy(
    titles: list[str], majority: list[str], names: dict[str, str], encode: _Encode
) -> float | None:
    """Share of themes whose title is closest (cosine, ``encode``'s space) to their majority label.

    Args:
        titles: each theme's title ('' for a theme without one: it counts as wrong).
        majority: each theme's majority gold label, in the same order.
        names: gold label -> readable name (:func:`readable_names`).
        encode: texts -> unit-norm vectors.
    """
    if not titles:
        return None
    gold = list(names)
    gold_vectors = np.asarray(encode([names[g] for g in gold]), dtype=np.float64)
    shown = [i for i, title in enumerate(titles) if title]
    correct = 0
    if shown:
        title_vectors = np.asarray(encode([titles[i] for i in shown]), dtype=np.float64)
        nearest = (title_vectors @ gold_vectors.T).argmax(axis=1)
        correct = sum(gold[j] == majority[i] for i, j in zip(shown, nearest.tolist(), strict=True))
    return correct / len(titles)


def theme_label_accuracy(
    titles: Mapping[int, str], labels: list[str], found: IntArray, encode: _Encode
) -> float | None:
    """:func:`label_accuracy` of any tool's themes, from their titles and unit assignments.

    Args:
        titles: theme id -> title (a theme with none counts as wrong).
        labels: the gold label of each unit.
        found: the theme id of each unit (``-1``: unassigned, no theme).
        encode: texts -> unit-norm vectors.

    Returns:
        The share over the themes present in ``found``; ``None`` when the gold labels are not
        readable names (:func:`readable_names`) or no unit has a theme.
    """
    names = readable_names(labels)
    themes = sorted({int(t) for t in found.tolist() if t >= 0})
    if names is None or not themes:
        return None
    dense = np.searchsorted(np.asarray(themes), np.where(found >= 0, found, themes[0]))
    majority = _majorities(labels, np.where(found >= 0, dense, -1), len(themes))
    return label_accuracy([titles.get(t, "") for t in themes], majority, names, encode)


def coarse_labels_for(path: Path) -> dict[str, str] | None:
    """Coarse gold (label -> domain) for an evaluation file, when one is published with it.

    Looks for ``<stem>.domains.json`` next to the file, then for ``<corpus>/domains.json`` two
    folders up, where ``<corpus>`` is the stem before its first ``_`` (``clinc150_test.csv`` in
    ``corpora/eval/themes`` reads ``corpora/clinc150/domains.json``). The file maps each domain
    to its labels.
    """
    candidates = [path.with_name(f"{path.stem}.domains.json")]
    if len(path.parents) > 2:
        candidates.append(path.parents[2] / path.stem.split("_")[0] / "domains.json")
    for candidate in candidates:
        if candidate.is_file():
            domains = json.loads(candidate.read_text(encoding="utf-8"))
            return {str(label): str(domain) for domain, ls in domains.items() for label in ls}
    return None


def product_texts(texts: list[str]) -> list[str]:
    """The texts as mining sees them: PII redacted as ingest does, then their content only."""
    redactor = PiiRedactor()
    return content_texts([redactor(text).text for text in texts])


def _peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _fingerprint(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


class _Embedder:
    """The evaluation's embedder, loaded on first use (a fully cached run may never load it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model: Any = None
        self.failed: str | None = None

    def encode(self, texts: list[str]) -> Any:
        if self._model is None:
            from feedback_nlp.models import load_model

            self._model = load_model(self.name)
        return np.asarray(self._model.encode(texts), dtype=np.float32)

    def try_encode(self) -> _Encode | None:
        """``encode`` when the model loads, else ``None`` (the reason is kept in ``failed``)."""
        try:
            self.encode(["query"])
        except FeedbackNLPError as error:
            self.failed = str(error)
            return None
        return self.encode


def _embed(
    texts: list[str], path: Path, embedder: _Embedder, cache_dir: Path | None
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], float, bool]:
    """Embed the texts, or read them from ``cache_dir``; returns vectors, seconds, cached.

    The cache ``<stem>.<embedder>.npy`` is used when its row count matches and, when a
    ``.sha256`` of the embedded texts sits next to it, when the texts are the same (a change of
    the text path re-embeds).
    """
    cache = cache_dir / f"{path.stem}.{embedder.name}.npy" if cache_dir else None
    fingerprint = _fingerprint(texts)
    if cache is not None and cache.is_file():
        vectors = np.load(cache, allow_pickle=False)
        stamp = cache.with_suffix(".sha256")
        same = not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() == fingerprint
        if vectors.shape[0] == len(texts) and same:
            return vectors.astype(np.float32, copy=False), 0.0, True
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    seconds = time.perf_counter() - started
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
        cache.with_suffix(".sha256").write_text(fingerprint + "\n", encoding="utf-8")
    return vectors, seconds, False


def run_theme_eval(
    path: Path,
    *,
    embedder_name: str = DEFAULT_EMBEDDER,
    seed: int = 0,
    n_resamples: int = 3,
    cache_dir: Path | None = None,
    miner: ThemeMiner | None = None,
) -> ThemeEvalResult:
    """Run the product's text path on the labelled units of ``path``, mine and score them.

    Args:
        path: CSV with columns ``text,label[,lang]``.
        embedder_name: registered embedder (``feedback-nlp models list``).
        seed: seed of the mining run; the stability ARI compares it with ``seed + 1``.
        n_resamples: resamples for the per-theme confidences (part of the mining time).
        cache_dir: read/write embeddings as ``<cache_dir>/<stem>.<embedder>.npy``; a cached run
            reports ``embed_seconds = 0`` and ``embeddings_cached = True``.
        miner: the miner to evaluate (default: ``ThemeMiner(seed=seed, n_resamples=...)``).
    """
    units = load_labelled_csv(path)
    if len(units.texts) < 2:
        raise InvalidInputError(f"The evaluation file '{path}' needs at least 2 rows with text.")
    texts = product_texts(units.texts)
    embedder = _Embedder(embedder_name)
    vectors, embed_seconds, cached = _embed(texts, path, embedder, cache_dir)
    miner = miner or ThemeMiner(seed=seed, n_resamples=n_resamples)
    started = time.perf_counter()
    result = miner.fit(vectors, texts, units.langs)
    mine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = miner.make_clusterer(miner.seed + 1).fit(vectors, units.langs)
    stability_seconds = time.perf_counter() - started
    names = readable_names(units.labels)
    encode = embedder.try_encode() if names is not None else None
    return _score(
        path=path,
        embedder=embedder_name,
        seed=miner.seed,
        units=units,
        result=result,
        second=second.labels_,
        times=(embed_seconds, mine_seconds, stability_seconds),
        cached=cached,
        naming=None if names is None or encode is None else (names, encode),
    )


def _majorities(labels: list[str], found: IntArray, n_groups: int) -> list[str]:
    votes: list[Counter[str]] = [Counter() for _ in range(n_groups)]
    for label, group in zip(labels, found.tolist(), strict=True):
        if group >= 0:
            votes[group][label] += 1
    return [min(c, key=lambda g: (-c[g], g)) if c else "" for c in votes]


def _score(
    *,
    path: Path,
    embedder: str,
    seed: int,
    units: LabelledUnits,
    result: MiningResult,
    second: IntArray,
    times: tuple[float, float, float],
    cached: bool,
    naming: tuple[dict[str, str], _Encode] | None,
) -> ThemeEvalResult:
    found = result.assignments
    confidences = np.array([t.confidence for t in result.themes], dtype=np.float64)
    agreement = cross_language_agreement(units.labels, units.langs, found)
    top = tuple((t.title, t.size, round(float(t.confidence), 3)) for t in result.themes[:10])
    parent_of = np.array([t.parent for t in result.themes] + [-1], dtype=np.int64)
    parents = np.where(found >= 0, parent_of[found], -1)
    coarse = coarse_labels_for(path)
    domain_nmi = None
    if coarse is not None and all(label in coarse for label in units.labels):
        domains = [coarse[label] for label in units.labels]
        domain_nmi = float(normalized_mutual_info_score(domains, parents))
    accuracy = None
    if naming is not None:
        majority = _majorities(units.labels, found, len(result.themes))
        accuracy = label_accuracy([t.title for t in result.themes], majority, *naming)
    general = sum(t.size for t in result.themes if t.general)
    return ThemeEvalResult(
        path=str(path),
        embedder=embedder,
        seed=seed,
        n_units=len(units.texts),
        n_labels=len(set(units.labels)),
        languages=tuple(sorted(set(units.langs))),
        nmi=float(normalized_mutual_info_score(units.labels, found)),
        ari=float(adjusted_rand_score(units.labels, found)),
        outlier_share=result.outlier_share,
        n_themes=len(result.themes),
        n_parents=len(result.parents),
        stability_ari=float(adjusted_rand_score(found, second)),
        mean_confidence=float(np.nanmean(confidences)) if confidences.size else float("nan"),
        cross_language_agreement=agreement,
        label_accuracy=accuracy,
        parent_nmi=float(normalized_mutual_info_score(units.labels, parents)),
        domain_nmi=domain_nmi,
        general_share=general / max(1, len(units.texts)),
        language_purity=language_purity(units.labels, units.langs, found),
        embed_seconds=times[0],
        mine_seconds=times[1],
        seconds=times[0] + times[1],
        stability_seconds=times[2],
        embeddings_cached=cached,
        peak_memory_mb=_peak_memory_mb(),
        top_themes=top,
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_theme_eval(result: ThemeEvalResult) -> str:
    """Render a result for people: scores, costs and the largest themes."""
    agreement = (
        "-" if result.cross_language_agreement is None else f"{result.cross_language_agreement:.3f}"
    )
    embed = "cached" if result.embeddings_cached else f"{result.embed_seconds:.1f} s"
    lines = [
        f"Theme evaluation of {result.path}",
        f"  units {result.n_units}, labels {result.n_labels}, "
        f"languages {', '.join(result.languages)}, embedder {result.embedder}, seed {result.seed}",
        f"  NMI {result.nmi:.3f}   ARI {result.ari:.3f}   outliers {result.outlier_share:.1%}",
        f"  themes {result.n_themes} (parents {result.n_parents})   "
        f"run-to-run ARI {result.stability_ari:.3f}   mean confidence "
        f"{result.mean_confidence:.3f}",
        f"  same majority theme across languages: {agreement}   "
        f"per-language purity (lowest): {_num(result.language_purity)}",
        f"  label accuracy {_num(result.label_accuracy)}   parent NMI {result.parent_nmi:.3f}   "
        f"domain NMI {_num(result.domain_nmi)}   general-sentiment share "
        f"{result.general_share:.1%}",
        f"  time: embed {embed} + mine {result.mine_seconds:.1f} s = {result.seconds:.1f} s"
        f"   (stability re-run {result.stability_seconds:.1f} s)   "
        f"peak memory {result.peak_memory_mb:.0f} MB",
        "  largest themes:",
    ]
    lines += [
        f"    {size:5d}  conf {conf:.2f}  {label or '(no label)'}"
        for label, size, conf in result.top_themes
    ]
    return "\n".join(lines)
