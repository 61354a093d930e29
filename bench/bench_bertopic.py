"""Theme mining side by side with BERTopic 0.17.x: same texts, same embedding model, one run each.

Usage (from the repository root; BERTopic comes from the ``bench`` extra)::

    pip install -e ".[bench]"
    python bench/bench_bertopic.py                  # every data set, append to bench/RESULTS.md
    python bench/bench_bertopic.py --our-embedder e5-small-multilingual \
        --our-embedder e5-small-static             # and feedback_nlp with two more embedders
    python bench/bench_bertopic.py --quick          # 600 rows of banking77_test, print only

Data sets: the labelled files ``banking77_test``, ``clinc150_test`` and ``banking77_en_ar_test`` of
``../shared/corpora/eval/themes`` and ``corpus20k`` (20,583 banking77 + clinc150 rows built at run
time by ``bench/corpus20k.py`` and checked against ``corpora/manifests/corpus20k.json``).

Every measurement runs in its own fresh Python process, one after the other, so the peak resident
memory (``ru_maxrss`` of the child) is that tool's own and no run warms another's caches. Per data
set:

1. **feedback_nlp, end to end** with ``minilm-l6-en`` (all-MiniLM-L6-v2 from its pinned package):
   embed, then ``ThemeMiner(seed=0)`` with the product defaults, as ``feedback-nlp eval themes``
   does (clustering, c-TF-IDF labels per language, quotes, parent themes, three resampled
   re-clusterings for the confidences). Its embeddings are saved for the mining-only runs.
2. **BERTopic, end to end** with its defaults (UMAP + HDBSCAN + c-TF-IDF; the parameters actually
   used are read back from the fitted model and printed in the results) and the *same*
   SentenceTransformer object passed as ``embedding_model``; ``fit_transform(docs)``.
3. **mining only**: both tools get the embeddings saved in 1 (``ThemeMiner().fit(vectors, ...)``
   and ``BERTopic().fit_transform(docs, embeddings=vectors)``), since the embedding cost is shared.
4. **feedback_nlp, end to end** with each ``--our-embedder`` (any registered embedder).

Times: ``load`` (model load, not counted in the total), ``embed``, ``mine`` (BERTopic:
``fit_transform`` minus its embedding calls), ``total = embed + mine``. Imports are not timed;
``process s`` is the child's whole wall time (imports, data, model load, everything). Scores: NMI
and ARI against the labels with outliers as one more cluster for both tools (BERTopic's topic -1
is one cluster, like feedback_nlp's unassigned pool), the outlier share and the number of themes.
**Label accuracy@1** (issue 22), measured as ``feedback-nlp eval themes`` does and for both tools in
the same run: a theme is right when the gold name closest to its title, in the space of the eval's
embedder (``e5-small-multilingual``, whatever embedder mined), is its majority gold label.
feedback_nlp's title is ``Theme.title``; BERTopic's is its own default topic name without the
``3_`` prefix, its top three c-TF-IDF words (``generate_topic_labels(nr_words=3)``).
**Warm-up.** UMAP compiles its numba functions in every fresh process (about a minute on two busy
cores, minutes more for the nearest-neighbour-descent path that UMAP takes from 4,096 rows), which
would swamp BERTopic's own cost. So before the timed fit each BERTopic child fits clones of its UMAP
and HDBSCAN steps on random vectors of the same width and on the same side of UMAP's 4,096-row
switch (untimed, shown as ``warm-up s``); each feedback_nlp child likewise mines random vectors
once. ``warm-up s`` + ``total s`` approximates what a one-off cold run costs.

**Cold** (``--cold``): one more fresh process per tool with nothing warmed up, as a user's script
runs: ``total s`` = model load + embed + mine, so BERTopic's numba compilation falls inside its
fit and feedback_nlp's model load inside its total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import RESULTS, append_section, machine

REPO = Path(__file__).resolve().parent.parent
THEMES_DIR = REPO.parent / "shared" / "corpora" / "eval" / "themes"
SAME_MODEL = "minilm-l6-en"
DATASETS = ("banking77_test", "clinc150_test", "banking77_en_ar_test", "corpus20k")
QUICK_ROWS = 600
UMAP_EXACT_BELOW = 4096  # umap-learn computes exact neighbours below this many rows
TARGET_SPEEDUP = 3.0
TARGET_LABEL_MARGIN = 0.10  # issue 22: label accuracy@1 at least this far above BERTopic's
TITLE_WORDS = 3  # BERTopic's generate_topic_labels default (nr_words=3)
VERSIONED = (
    "bertopic",
    "umap-learn",
    "hdbscan",
    "numba",
    "sentence-transformers",
    "torch",
    "scikit-learn",
    "numpy",
)

Labelled = tuple[list[str], list[str], list[str]]


# ---------------------------------------------------------------------------------------------
# Child side: one tool on one data set, in a fresh process.


def load_dataset(name: str, limit: int | None) -> Labelled:
    """Texts, labels and languages of a data set (the first ``limit`` rows when given)."""
    if name == "corpus20k":
        from corpus20k import load_corpus20k

        corpus = load_corpus20k()
        texts, labels, langs = corpus.texts, corpus.labels, corpus.langs
    else:
        from feedback_nlp.eval.themes import load_labelled_csv

        units = load_labelled_csv(THEMES_DIR / f"{name}.csv")
        texts, labels, langs = units.texts, units.labels, units.langs
    if limit is not None:
        texts, labels, langs = texts[:limit], labels[:limit], langs[:limit]
    return texts, labels, langs


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _minilm_dir() -> Path:
    """Folder of the project's pinned all-MiniLM-L6-v2 (the folder ``minilm-l6-en`` loads)."""
    from feedback_nlp.models import enforce_offline, get_spec, weight_path

    enforce_offline()
    return weight_path(get_spec(SAME_MODEL)).parent


def _random_unit_rows(n: int, dim: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def _warm_up_rows(n_units: int) -> int:
    """Rows of the warm-up data: on the same side of UMAP's exact/approximate switch as the data."""
    return UMAP_EXACT_BELOW if n_units >= UMAP_EXACT_BELOW else min(n_units, 500)


class Stopwatch:
    """Wall seconds and CPU seconds (all threads of this process) of the steps timed with it."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def _times(
    warm_up: Stopwatch, load: Stopwatch, embed: Stopwatch, mine: Stopwatch
) -> dict[str, Any]:
    return {
        "warm_up_s": warm_up.wall,
        "load_s": load.wall,
        "load_cpu_s": load.cpu,
        "embed_s": embed.wall,
        "mine_s": mine.wall,
        "embed_cpu_s": embed.cpu,
        "mine_cpu_s": mine.cpu,
    }


def run_ours(spec: dict[str, Any], data: Labelled) -> dict[str, Any]:
    """feedback_nlp: embed with a registered embedder (or read saved vectors), then mine."""
    from feedback_nlp.models import load_model
    from feedback_nlp.themes import ThemeMiner

    texts, _, langs = data
    warm_up, load, embed, mine = Stopwatch(), Stopwatch(), Stopwatch(), Stopwatch()
    if spec["mode"] != "cold":
        with warm_up:
            rows = min(len(texts), 500)
            warm = _random_unit_rows(rows, 384)
            ThemeMiner(seed=spec["seed"]).fit(warm, texts[:rows], langs[:rows])
    if spec["embeddings"]:
        vectors = np.load(spec["embeddings"], allow_pickle=False)
    else:
        with load:
            embedder = load_model(spec["embedder"])
        with embed:
            vectors = np.asarray(embedder.encode(texts), dtype=np.float32)
        if spec["save_embeddings"]:
            np.save(spec["save_embeddings"], vectors)
    with mine:
        result = ThemeMiner(seed=spec["seed"]).fit(vectors, texts, langs)
    return {
        "assignments": result.assignments.tolist(),
        "titles": {theme.index: theme.title for theme in result.themes},
        **_times(warm_up, load, embed, mine),
        "n_parents": len(result.parents),
        "config": {"ThemeMiner": result.config},
    }


def run_bertopic(spec: dict[str, Any], data: Labelled) -> dict[str, Any]:
    """BERTopic with its defaults; the SentenceTransformer object as ``embedding_model``."""
    from bertopic import BERTopic
    from bertopic.backend._sentencetransformers import SentenceTransformerBackend
    from sklearn.base import clone

    warm_up, load, embed, fit = Stopwatch(), Stopwatch(), Stopwatch(), Stopwatch()

    class TimedBackend(SentenceTransformerBackend):  # type: ignore[misc]
        """BERTopic's own wrapper of a SentenceTransformer, with its ``embed`` calls timed."""

        def embed(self, documents: list[str], verbose: bool = False) -> Any:
            with embed:
                return super().embed(documents, verbose)

    texts = data[0]
    vectors = None
    model: Any = None
    if spec["embeddings"]:
        vectors = np.load(spec["embeddings"], allow_pickle=False)
    else:
        from sentence_transformers import SentenceTransformer

        with load:
            st = SentenceTransformer(str(_minilm_dir()), device="cpu", local_files_only=True)
            model = TimedBackend(st)
    topic_model = BERTopic(embedding_model=model)
    if spec["mode"] != "cold":
        with warm_up:
            dim = 384 if vectors is None else vectors.shape[1]
            random_rows = _random_unit_rows(_warm_up_rows(len(texts)), dim)
            clone(topic_model.hdbscan_model).fit(
                clone(topic_model.umap_model).fit_transform(random_rows)
            )
    with fit:
        topics, _ = topic_model.fit_transform(texts, embeddings=vectors)
    mine = Stopwatch()  # fit_transform minus its embedding calls
    mine.wall, mine.cpu = fit.wall - embed.wall, fit.cpu - embed.cpu
    umap, hdb, vec = topic_model.umap_model, topic_model.hdbscan_model, topic_model.vectorizer_model
    config = {
        "umap": {
            k: umap.get_params()[k]
            for k in (
                "n_neighbors",
                "n_components",
                "min_dist",
                "metric",
                "low_memory",
                "random_state",
            )
        },
        "hdbscan": {
            k: hdb.get_params()[k]
            for k in ("min_cluster_size", "metric", "cluster_selection_method", "prediction_data")
        },
        "vectorizer": {k: vec.get_params()[k] for k in ("ngram_range", "stop_words")},
        "min_topic_size": topic_model.min_topic_size,
        "nr_topics": topic_model.nr_topics,
        "umap_class": f"{type(umap).__module__}.{type(umap).__name__}",
        "hdbscan_class": f"{type(hdb).__module__}.{type(hdb).__name__}",
    }
    # BERTopic's own default topic names without the "3_" prefix: its top c-TF-IDF words
    titles = {
        int(topic): " ".join(word for word, _ in (topic_model.get_topic(topic) or [])[:TITLE_WORDS])
        for topic in topic_model.get_topics()
        if int(topic) >= 0
    }
    return {
        "assignments": [int(t) for t in topics],
        "titles": titles,
        **_times(warm_up, load, embed, mine),
        "n_parents": None,
        "config": {"BERTopic": json.loads(json.dumps(config, default=str))},
    }


def _label_encoder() -> Any:
    """``encode`` of the embedder ``feedback-nlp eval themes`` scores titles with (loaded once)."""
    from feedback_nlp.eval.themes import DEFAULT_EMBEDDER
    from feedback_nlp.models import load_model

    model = load_model(DEFAULT_EMBEDDER)
    return lambda texts: np.asarray(model.encode(texts), dtype=np.float32)


def _accuracy_cells(row: dict[str, Any], ref: dict[str, Any] | None) -> str:
    """The label-accuracy cells of a table row (``-`` where not measured)."""
    mine = row.get("label_accuracy")
    theirs = ref.get("label_accuracy") if ref else None
    shown = "-" if mine is None else f"{mine:.3f}"
    delta = "-" if mine is None or theirs is None else f"{mine - theirs:+.3f}"
    return f"{shown} | {delta} |"


def child(spec: dict[str, Any], out: Path) -> None:
    """Run one measurement and write its JSON to ``out``."""
    started = time.perf_counter()
    load_average = os.getloadavg()[0]
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    data = load_dataset(spec["dataset"], spec["limit"])
    runner = run_ours if spec["tool"] == "feedback_nlp" else run_bertopic
    row = runner(spec, data)
    cold = spec["mode"] == "cold"
    found = np.asarray(row.pop("assignments"), dtype=np.int64)
    titles = row.pop("titles")
    labels = data[1]
    # after every timed step (process_s includes it): titles scored as `eval themes` does
    from feedback_nlp.eval.themes import theme_label_accuracy

    row["label_accuracy"] = theme_label_accuracy(titles, labels, found, _label_encoder())
    row.update(
        spec,
        units=len(labels),
        n_labels=len(set(labels)),
        total_s=row["embed_s"] + row["mine_s"] + (row["load_s"] if cold else 0.0),
        total_cpu_s=row["embed_cpu_s"] + row["mine_cpu_s"] + (row["load_cpu_s"] if cold else 0.0),
        nmi=float(normalized_mutual_info_score(labels, found)),
        ari=float(adjusted_rand_score(labels, found)),
        outlier_share=float((found < 0).mean()),
        n_themes=len(set(found[found >= 0].tolist())),
        peak_mb=_peak_mb(),
        load_average=load_average,
        process_s=time.perf_counter() - started,
    )
    out.write_text(json.dumps(row), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Parent side: plan the runs, start the children, write the tables.


def plan(
    datasets: Sequence[str], ours: Sequence[str], limit: int | None, work: Path, *, cold: bool
) -> list[Any]:
    """The ordered child specs (see the module docstring for the order and why).

    With ``cold``, each data set also gets one cold process for BERTopic and one for feedback_nlp
    with each embedder (nothing warmed up, model load counted).
    """
    specs: list[dict[str, Any]] = []
    for name in datasets:
        saved = str(work / f"{name}.{SAME_MODEL}.npy")
        base = {"dataset": name, "limit": limit, "seed": 0, "save_embeddings": None}
        specs += [
            {**base, "mode": "end to end", "tool": "feedback_nlp", "embedder": SAME_MODEL,
             "embeddings": None, "save_embeddings": saved},
            {**base, "mode": "end to end", "tool": "BERTopic", "embedder": SAME_MODEL,
             "embeddings": None},
            {**base, "mode": "mining only", "tool": "feedback_nlp", "embedder": SAME_MODEL,
             "embeddings": saved},
            {**base, "mode": "mining only", "tool": "BERTopic", "embedder": SAME_MODEL,
             "embeddings": saved},
        ]  # fmt: skip
        specs += [
            {**base, "mode": "end to end", "tool": "feedback_nlp", "embedder": name_,
             "embeddings": None}
            for name_ in ours
            if name_ != SAME_MODEL
        ]  # fmt: skip
        if cold:
            specs += [
                {**base, "mode": "cold", "tool": "BERTopic", "embedder": SAME_MODEL,
                 "embeddings": None},
                *({**base, "mode": "cold", "tool": "feedback_nlp", "embedder": name_,
                   "embeddings": None} for name_ in dict.fromkeys([SAME_MODEL, *ours])),
            ]  # fmt: skip
    return specs


def run_child(spec: dict[str, Any], work: Path, index: int) -> dict[str, Any]:
    """Start one child process and return its row (``error`` set when it failed)."""
    out = work / f"row{index:02d}.json"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    done = subprocess.run([*command, "--out", str(out)], env=env, check=False)
    if done.returncode != 0 or not out.is_file():
        return {**spec, "error": f"child exited with status {done.returncode}"}
    row: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return row


def versions() -> str:
    found = []
    for name in VERSIONED:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def code_state() -> str:
    """The commit measured and whether the theme-mining code had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.rstrip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "feedback_nlp/themes", "feedback_nlp/embed")
    if not dirty:
        return f"commit {head}, feedback_nlp/themes and feedback_nlp/embed as committed"
    files = ", ".join(line[3:] for line in dirty.splitlines())
    return f"commit {head} plus uncommitted changes in: {files}"


def _find(rows: list[dict[str, Any]], dataset: str, mode: str, tool: str) -> dict[str, Any] | None:
    for row in rows:
        same = (row["dataset"], row["mode"], row["tool"], row["embedder"])
        if same == (dataset, mode, tool, SAME_MODEL) and "error" not in row:
            return row
    return None


def table(rows: list[dict[str, Any]], mode: str) -> list[str]:
    """One Markdown table of the rows of ``mode``, with ratios against BERTopic on the same data.

    The ratios divide BERTopic's time by the row's: end to end the totals (embed + mine), mining
    only the mining times; once for wall seconds and once for CPU seconds.
    """
    wall, cpu = ("mine_s", "mine_cpu_s") if mode == "mining only" else ("total_s", "total_cpu_s")
    lines = [
        "| data | units | labels | tool | embedder | load avg | warm-up s | embed s | mine s | "
        "total s | BERTopic ÷ this (wall) | embed CPU s | mine CPU s | total CPU s | "
        "BERTopic ÷ this (CPU) | peak MB | process s | NMI | ΔNMI vs BERTopic | ARI | outliers | "
        "themes | label acc | Δ label acc vs BERTopic |",
        "|---|---:|---:|---|---|" + "---:|" * 19,
    ]
    for r in rows:
        if r["mode"] != mode:
            continue
        head = f"| {r['dataset']} | {r.get('units', '-')} | {r.get('n_labels', '-')} | "
        head += f"{r['tool']} | {r['embedder']} |"
        if "error" in r:
            lines.append(head + f" FAILED: {r['error']} |" + " |" * 18)
            continue
        ref = _find(rows, r["dataset"], mode, "BERTopic")
        ratio = f"{ref[wall] / r[wall]:.2f}×" if ref and r[wall] > 0 else "-"
        ratio_cpu = f"{ref[cpu] / r[cpu]:.2f}×" if ref and r[cpu] > 0 else "-"
        delta = f"{r['nmi'] - ref['nmi']:+.3f}" if ref else "-"
        given = r["embeddings"] is not None
        embed = "given" if given else f"{r['embed_s']:.1f}"
        embed_cpu = "given" if given else f"{r['embed_cpu_s']:.1f}"
        lines.append(
            f"{head} {r['load_average']:.1f} | {r['warm_up_s']:.1f} | {embed} | "
            f"{r['mine_s']:.1f} | {r['total_s']:.1f} | {ratio} | {embed_cpu} | "
            f"{r['mine_cpu_s']:.1f} | {r['total_cpu_s']:.1f} | {ratio_cpu} | "
            f"{r['peak_mb']:.0f} | {r['process_s']:.1f} | {r['nmi']:.3f} | {delta} | "
            f"{r['ari']:.3f} | {r['outlier_share']:.1%} | {r['n_themes']} | "
            f"{_accuracy_cells(r, ref)}"
        )
    return lines


def verdict(rows: list[dict[str, Any]], dataset: str, mode: str = "end to end") -> list[str]:
    """The issue's target on ``dataset``: ≥ 3× faster than BERTopic at ≥ its NMI, in ``mode``."""
    ref = _find(rows, dataset, mode, "BERTopic")
    if ref is None:
        return [f"Target check on {dataset}: no BERTopic {mode} row, nothing to compare."]
    lines = [
        f"Target (issue 7) on {dataset}, {mode}: feedback_nlp ≥ {TARGET_SPEEDUP:.0f}× faster "
        f"(wall) than BERTopic (BERTopic + {SAME_MODEL}: {ref['total_s']:.1f} s, "
        f"{ref['total_cpu_s']:.1f} CPU s, NMI {ref['nmi']:.3f}) at equal or better NMI:",
        "",
    ]
    for r in rows:
        if (r["dataset"], r["mode"], r["tool"]) != (dataset, mode, "feedback_nlp"):
            continue
        if "error" in r:
            lines.append(f"- {r['embedder']}: run failed ({r['error']})")
            continue
        speed = ref["total_s"] / r["total_s"]
        speed_cpu = ref["total_cpu_s"] / r["total_cpu_s"]
        met = speed >= TARGET_SPEEDUP and r["nmi"] >= ref["nmi"]
        lines.append(
            f"- feedback_nlp + {r['embedder']}: {r['total_s']:.1f} s = {speed:.2f}× "
            f"(≥ {TARGET_SPEEDUP:.0f}×: {'yes' if speed >= TARGET_SPEEDUP else 'no'}; in CPU "
            f"seconds {speed_cpu:.2f}×), NMI {r['nmi']:.3f} (≥ {ref['nmi']:.3f}: "
            f"{'yes' if r['nmi'] >= ref['nmi'] else 'no'}) → **{'met' if met else 'not met'}**"
        )
    return lines


def label_verdict(rows: list[dict[str, Any]], dataset: str, mode: str = "end to end") -> list[str]:
    """Issue 22's target on ``dataset``: label accuracy@1 ≥ BERTopic's + the margin, in ``mode``."""
    ref = _find(rows, dataset, mode, "BERTopic")
    if ref is None or ref.get("label_accuracy") is None:
        return [f"Label target (issue 22) on {dataset}: no BERTopic {mode} label accuracy."]
    theirs = ref["label_accuracy"]
    lines = [
        f"Target (issue 22) on {dataset}, {mode}: feedback_nlp's label accuracy@1 ≥ BERTopic's "
        f"({theirs:.3f}) + {TARGET_LABEL_MARGIN:.2f}:",
        "",
    ]
    for r in rows:
        if (r["dataset"], r["mode"], r["tool"]) != (dataset, mode, "feedback_nlp"):
            continue
        mine = r.get("label_accuracy")
        if "error" in r or mine is None:
            lines.append(f"- {r['embedder']}: no label accuracy ({r.get('error', 'not measured')})")
            continue
        met = mine >= theirs + TARGET_LABEL_MARGIN
        lines.append(
            f"- feedback_nlp + {r['embedder']}: {mine:.3f} ({mine - theirs:+.3f}) → "
            f"**{'met' if met else 'not met'}**"
        )
    return lines


def bertopic_defaults(rows: list[dict[str, Any]]) -> str:
    for r in rows:
        if r["tool"] == "BERTopic" and "error" not in r:
            return "BERTopic parameters read back from the fitted model: " + json.dumps(
                r["config"]["BERTopic"], sort_keys=True
            )
    return "BERTopic parameters: no BERTopic run finished."


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=None)
    parser.add_argument(
        "--our-embedder",
        action="append",
        default=[],
        metavar="NAME",
        help="also run feedback_nlp end to end with this registered embedder (repeatable)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also time one cold process per tool and embedder (model load and JIT counted)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 600 rows, print only")
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each data set")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    parser.add_argument("--rows-json", type=Path, default=None, help="also save the raw rows here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child), args.out)
        return
    if not THEMES_DIR.is_dir():
        raise SystemExit(f"evaluation corpora not found at {THEMES_DIR}")
    try:
        importlib.metadata.version("bertopic")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit('BERTopic is not installed: pip install -e ".[bench]"') from None
    datasets = args.datasets or (["banking77_test"] if args.quick else list(DATASETS))
    limit = QUICK_ROWS if args.quick and args.limit is None else args.limit
    write = not (args.no_write or args.quick)
    command = "python " + " ".join([f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}",
        "",
        f"Code: {code_state()}; {versions()}",
        "",
    ]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_bertopic_") as folder:
        specs = plan(datasets, args.our_embedder, limit, Path(folder), cold=args.cold)
        for index, spec in enumerate(specs):
            print(f"[{index + 1}/{len(specs)}] {spec['dataset']} {spec['mode']} {spec['tool']} "
                  f"{spec['embedder']}", flush=True)  # fmt: skip
            rows.append(run_child(spec, Path(folder), index))
            print(table([rows[-1]], rows[-1]["mode"])[-1], flush=True)
            if args.rows_json:
                args.rows_json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    body = [
        *header,
        "End to end (one fresh process per row, run one after the other; `load avg` is the "
        "1-minute load average when the row's process started; `total s` = embed + mine; warm-up, "
        "model load and imports are not included; CPU s = user + system seconds of all the "
        "process's threads in the same steps, less sensitive than wall time to other work on a "
        "shared machine; `process s` is the child's whole wall time):",
        "",
        *table(rows, "end to end"),
        "",
        f"Mining only (both tools get the same precomputed {SAME_MODEL} embeddings):",
        "",
        *table(rows, "mining only"),
        "",
        bertopic_defaults(rows),
        "",
    ]
    if args.cold:
        body[-2:-2] = [
            "Cold (one fresh process per row, nothing warmed up; `total s` = model load + embed + "
            "mine, so BERTopic's numba compilation and each tool's model load are inside it):",
            "",
            *table(rows, "cold"),
            "",
        ]
    for name in datasets:
        body += [*verdict(rows, name), "", *label_verdict(rows, name), ""]
        if args.cold:
            body += [*verdict(rows, name, "cold"), ""]
    if write:
        append_section(f"Theme mining vs BERTopic ({stamp})", body)
        print(f"appended the section to {RESULTS}")
    else:
        print("\n".join(body))


if __name__ == "__main__":
    main()
