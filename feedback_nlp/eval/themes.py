"""The theme-mining evaluation harness behind ``feedback-nlp eval themes PATH.csv``.

A CSV with columns ``text,label[,lang]`` is embedded (one unit per row), mined with
:class:`~feedback_nlp.themes.ThemeMiner`, and the themes are scored against the labels:

* **NMI / ARI** with the unassigned pool counted as one more cluster (no cherry-picking).
* **outlier share**: units in the unassigned pool.
* **stability ARI**: ARI between the themes of this run and a second clustering with ``seed + 1``.
* **cross-language agreement** (files with a ``lang`` column holding several languages): the share
  of labels present in two or more languages whose majority theme is the same in every language.
* **times**: embedding and mining separately (``seconds`` is their sum; the second clustering for
  the stability ARI is timed apart), and the process's peak resident memory.
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.labelled_csv import open_labelled_csv
from feedback_nlp.themes import MiningResult, ThemeMiner
from feedback_nlp.themes._checks import IntArray

__all__ = [
    "LabelledUnits",
    "ThemeEvalResult",
    "cross_language_agreement",
    "format_theme_eval",
    "load_labelled_csv",
    "run_theme_eval",
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


def _peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _embed(
    units: LabelledUnits, path: Path, embedder_name: str, cache_dir: Path | None
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], float, bool]:
    """Embed the texts, or read them from ``cache_dir``; returns vectors, seconds, cached."""
    cache = cache_dir / f"{path.stem}.{embedder_name}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        vectors = np.load(cache, allow_pickle=False)
        if vectors.shape[0] == len(units.texts):
            return vectors.astype(np.float32, copy=False), 0.0, True
    from feedback_nlp.models import load_model

    embedder = load_model(embedder_name)
    started = time.perf_counter()
    vectors = np.asarray(embedder.encode(units.texts), dtype=np.float32)
    seconds = time.perf_counter() - started
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
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
    """Embed, mine and score the labelled units of ``path``.

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
    vectors, embed_seconds, cached = _embed(units, path, embedder_name, cache_dir)
    miner = miner or ThemeMiner(seed=seed, n_resamples=n_resamples)
    started = time.perf_counter()
    result = miner.fit(vectors, units.texts, units.langs)
    mine_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = miner.make_clusterer(miner.seed + 1).fit(vectors, units.langs)
    stability_seconds = time.perf_counter() - started
    return _score(
        path=path,
        embedder=embedder_name,
        seed=miner.seed,
        units=units,
        result=result,
        second=second.labels_,
        times=(embed_seconds, mine_seconds, stability_seconds),
        cached=cached,
    )


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
) -> ThemeEvalResult:
    found = result.assignments
    confidences = np.array([t.confidence for t in result.themes], dtype=np.float64)
    agreement = cross_language_agreement(units.labels, units.langs, found)
    top = tuple((t.main_label, t.size, round(float(t.confidence), 3)) for t in result.themes[:10])
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
        embed_seconds=times[0],
        mine_seconds=times[1],
        seconds=times[0] + times[1],
        stability_seconds=times[2],
        embeddings_cached=cached,
        peak_memory_mb=_peak_memory_mb(),
        top_themes=top,
    )


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
        f"  same majority theme across languages: {agreement}",
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
