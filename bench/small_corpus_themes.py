"""How many feedback items do themes need before they can be trusted (the small-corpus warning)?

Usage (from the repository root; about a minute on 2 cores once the demo's embeddings are
cached in var/cache):

    python bench/small_corpus_themes.py [--sizes 9,25,50,100,200,400,800] [--repeats 3]

The demo corpus is embedded once and mined whole: that run is the reference. Then, for each
size n, ``repeats`` random samples of n items are mined alone (same miner, same seed), and each
sample's unit assignments are compared with the reference's on the same units: adjusted Rand
index (ARI; 1 = the same grouping, 0 = chance) and the share of the sample's themes that are
pure (>= 70 % of their units in one reference theme). The table is the one quoted in
``feedback_nlp/jobs/trust.py``, behind ``MIN_TRUSTED_ITEMS`` and ``MIN_MEANINGFUL_ITEMS``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
from sklearn.metrics import adjusted_rand_score


def main() -> None:
    from feedback_nlp.demo import prepare_demo
    from feedback_nlp.settings import load_settings
    from feedback_nlp.themes.miner import ThemeMiner

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="9,25,50,100,200,400,800")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    started = time.perf_counter()
    batch = prepare_demo(load_settings())
    vectors = np.asarray(batch.embeddings)
    texts = [u.text for u in batch.units]
    langs = batch.unit_langs()
    items = np.array([u.item_index for u in batch.units])
    reference = ThemeMiner(seed=0).fit(vectors, texts, langs).assignments
    print(f"# embedded and mined {len(batch.items)} items in {time.perf_counter() - started:.0f} s")
    print("| items | units | themes (mean) | ARI min | ARI mean | pure themes min |")
    print("|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for n in sizes:
        aris, pures, n_themes, n_units = [], [], [], []
        for _ in range(args.repeats):
            chosen = rng.choice(len(batch.items), size=n, replace=False)
            mask = np.isin(items, chosen)
            index = np.flatnonzero(mask)
            result = ThemeMiner(seed=0).fit(
                vectors[index], [texts[i] for i in index], [langs[i] for i in index]
            )
            mine, ref = result.assignments, reference[index]
            aris.append(adjusted_rand_score(ref, mine))
            themes = [t for t in set(mine.tolist()) if t >= 0]
            pure = [
                Counter(ref[mine == t].tolist()).most_common(1)[0][1] / (mine == t).sum() >= 0.7
                for t in themes
            ]
            pures.append(float(np.mean(pure)) if pure else 0.0)
            n_themes.append(len(themes))
            n_units.append(index.size)
        print(
            f"| {n} | {np.mean(n_units):.0f} | {np.mean(n_themes):.1f} | {min(aris):.2f} | "
            f"{np.mean(aris):.2f} | {min(pures):.2f} |"
        )


if __name__ == "__main__":
    main()
