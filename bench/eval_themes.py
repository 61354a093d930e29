"""Benchmark theme mining on every labelled file in ../shared/corpora/eval/themes.

Usage (from the repository root):

    python bench/eval_themes.py                      # embed + mine every file, append results
    python bench/eval_themes.py --cache-dir /tmp/emb # reuse/write <stem>.<model>.npy embeddings
    python bench/eval_themes.py --compare --cache-dir /tmp/emb   # method comparison (cached only)

Each (file, model) run happens in a fresh process, so the peak memory column is that run's own.
The multilingual default embedder runs on every file; the English MiniLM model also runs on the
files whose units are all English. A dated section is appended to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from _common import RESULTS, append_section, machine

REPO = Path(__file__).resolve().parent.parent

THEMES_DIR = REPO.parent / "shared" / "corpora" / "eval" / "themes"
DEFAULT_MODEL = "e5-small-multilingual"
ENGLISH_MODEL = "minilm-l6-en"
FILE_ORDER = [
    "banking77_test",
    "clinc150_test",
    "banking77_en_ar_test",
    "arbanking77_msa_test",
    "sib200_en_test",
    "sib200_ar_test",
    "sib200_he_test",
    "sib200_fa_test",
    "sib200_lt_test",
]


def eval_files() -> list[Path]:
    found = {p.stem: p for p in THEMES_DIR.glob("*.csv")}
    ordered = [found.pop(stem) for stem in FILE_ORDER if stem in found]
    return ordered + sorted(found.values())


def file_langs(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row.get("lang") or "und" for row in csv.DictReader(handle)}


def run_one(path: str, model: str, cache_dir: str | None, seed: int) -> dict[str, Any]:
    """One harness run (executed in a fresh process)."""
    from feedback_nlp.eval.themes import run_theme_eval

    result = run_theme_eval(
        Path(path),
        embedder_name=model,
        seed=seed,
        cache_dir=Path(cache_dir) if cache_dir else None,
    )
    return result.to_json()


def results_table(rows: list[dict[str, Any]]) -> list[str]:
    head = (
        "| file | model | units | labels | NMI | ARI | outliers | themes | parents | "
        "run-to-run ARI | mean conf. | same theme across langs | embed s | mine s | "
        "total s | peak MB |"
    )
    lines = [head, "|" + "---|" * 16]
    for r in rows:
        agreement = r["cross_language_agreement"]
        embed = "cached" if r["embeddings_cached"] else f"{r['embed_seconds']:.1f}"
        lines.append(
            f"| {Path(r['path']).stem} | {r['embedder']} | {r['n_units']} | {r['n_labels']} | "
            f"{r['nmi']:.3f} | {r['ari']:.3f} | {r['outlier_share']:.1%} | {r['n_themes']} | "
            f"{r['n_parents']} | {r['stability_ari']:.3f} | {r['mean_confidence']:.3f} | "
            f"{'-' if agreement is None else f'{agreement:.3f}'} | {embed} | "
            f"{r['mine_seconds']:.1f} | {r['seconds']:.1f} | {r['peak_memory_mb']:.0f} |"
        )
    return lines


# ---------------------------------------------------------------------------------------------
# Method comparison (cached embeddings only; labels are used for scoring, never for fitting).


def _load_cached(path: Path, model: str, cache_dir: Path) -> tuple[Any, list[str], list[str]]:
    from feedback_nlp.eval.themes import load_labelled_csv

    units = load_labelled_csv(path)
    vectors = np.load(cache_dir / f"{path.stem}.{model}.npy", allow_pickle=False)
    return vectors, units.labels, units.langs


def _kmeans_true_k(vectors: Any, langs: list[str], labels: list[str]) -> Any:
    from sklearn.cluster import KMeans

    from feedback_nlp.themes.reduce import centre_by_language

    centred = centre_by_language(vectors, langs)
    return KMeans(len(set(labels)), n_init=3, random_state=0).fit_predict(centred)


def _hdbscan(vectors: Any, langs: list[str], reassign: bool) -> Any:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    from feedback_nlp.themes.reduce import centre_by_language, normalise_rows

    centred = centre_by_language(vectors, langs)
    reduced = normalise_rows(PCA(min(50, len(vectors) - 1), random_state=0).fit_transform(centred))
    found = HDBSCAN(min_cluster_size=max(5, len(vectors) // 300), copy=True).fit_predict(reduced)
    if reassign and (found >= 0).any():
        from feedback_nlp.themes.cluster import theme_centroids

        centres = theme_centroids(centred, found, int(found.max()) + 1)
        outliers = found < 0
        found[outliers] = (centred[outliers] @ centres.T).argmax(axis=1)
    return found


def _avg_threshold(vectors: Any, langs: list[str]) -> Any:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    from feedback_nlp.themes.reduce import centre_by_language

    centred = centre_by_language(vectors, langs)
    return fcluster(linkage(pdist(centred, "cosine"), "average"), 0.5, "distance")


def _clusterer(**params: Any) -> Callable[[Any, list[str], list[str]], Any]:
    def run(vectors: Any, langs: list[str], labels: list[str]) -> Any:  # noqa: ARG001
        from feedback_nlp.themes import ThemeClusterer

        return ThemeClusterer(**params).fit(vectors, langs).labels_

    return run


def methods() -> dict[str, Callable[[Any, list[str], list[str]], Any]]:
    return {
        "KMeans, TRUE k (reference only: uses the labels' k)": _kmeans_true_k,
        "HDBSCAN mcs=n/300 on PCA-50 (BERTopic-like, no UMAP)": lambda v, g, _labels: _hdbscan(
            v, g, reassign=False
        ),
        "HDBSCAN + reassign all outliers to nearest centre": lambda v, g, _labels: _hdbscan(
            v, g, reassign=True
        ),
        "average linkage, cosine cut 0.5, no smoothing/count": lambda v, g, _labels: _avg_threshold(
            v, g
        ),
        "default minus smoothing (n_neighbours=0)": _clusterer(n_neighbours=0),
        "default minus refinement (refine_iterations=0)": _clusterer(refine_iterations=0),
        "default minus outliers (outlier_z=1e9)": _clusterer(outlier_z=1e9),
        "default, merge_distance 0.4": _clusterer(merge_distance=0.4),
        "default, merge_distance 0.6": _clusterer(merge_distance=0.6),
        "default, min_theme_share 1/300": _clusterer(min_theme_share=1 / 300),
        "default, outlier_z 3.0": _clusterer(outlier_z=3.0),
        "**DEFAULT** ThemeClusterer()": _clusterer(),
    }


def compare(files: list[Path], cache_dir: Path) -> list[str]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    data = {p.stem: _load_cached(p, DEFAULT_MODEL, cache_dir) for p in files}
    short = {s: s.replace("_test", "").replace("banking77", "b77") for s in data}
    lines = [
        "NMI / ARI / outlier share / themes per file (e5-small-multilingual embeddings); "
        "`mean` is the mean NMI / ARI over the non-sib200 files and the sib200 average; "
        "`s` is total clustering seconds over all files.",
        "",
        "| method | " + " | ".join(short[s] for s in data) + " | mean | s |",
        "|" + "---|" * (len(data) + 3),
    ]
    for name, method in methods().items():
        cells, scores, sib = [], [], []
        started = time.perf_counter()
        for stem, (vectors, labels, langs) in data.items():
            found = np.asarray(method(vectors, langs, labels))
            nmi = normalized_mutual_info_score(labels, found)
            ari = adjusted_rand_score(labels, found)
            out = float((found < 0).mean())
            k = len(set(found[found >= 0].tolist()))
            cells.append(f"{nmi:.3f} / {ari:.3f} / {out:.0%} / {k}")
            (sib if stem.startswith("sib200") else scores).append((nmi, ari))
        seconds = time.perf_counter() - started
        if sib:
            scores.append(
                (float(np.mean([s[0] for s in sib])), float(np.mean([s[1] for s in sib])))
            )
        mean = f"{np.mean([s[0] for s in scores]):.3f} / {np.mean([s[1] for s in scores]):.3f}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mean} | {seconds:.0f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache folder")
    parser.add_argument("--compare", action="store_true", help="method comparison (cached)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="file stems to run")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    if not THEMES_DIR.is_dir():
        raise SystemExit(f"evaluation corpora not found at {THEMES_DIR}")
    files = [p for p in eval_files() if not args.only or p.stem in args.only]
    command = "python " + " ".join([f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [f"Command: `{command}`", "", f"Machine: {machine()}", ""]
    if args.compare:
        if args.cache_dir is None:
            raise SystemExit("--compare needs --cache-dir with cached embeddings")
        body = header + compare(files, args.cache_dir)
        title = f"Theme mining: method comparison ({stamp})"
    else:
        runs = [(p, DEFAULT_MODEL) for p in files]
        runs += [(p, ENGLISH_MODEL) for p in files if file_langs(p) == {"en"}]
        rows = []
        context = get_context("spawn")
        for path, model in runs:
            cache = str(args.cache_dir) if args.cache_dir else None
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                row = pool.submit(run_one, str(path), model, cache, args.seed).result()
            rows.append(row)
            print(results_table([row])[-1], flush=True)
        body = header + results_table(rows)
        title = f"Theme mining: evaluation ({stamp})"
    if args.no_write:
        print("\n".join(body))
    else:
        append_section(title, body)
        print(f"appended '{title}' to {RESULTS}")


if __name__ == "__main__":
    main()
