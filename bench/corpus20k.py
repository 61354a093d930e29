"""A 20,583-item labelled English corpus built at run time from ``../shared/corpora``.

The corpus is every labelled, in-scope utterance of two public intent data sets:

* banking77 ``train.csv`` + ``test.csv`` (10,003 + 3,080 rows, 77 intents), labels prefixed
  ``banking77:``;
* clinc150 ``data_full.json`` ``val`` + ``test`` (3,000 + 4,500 rows, 150 intents), labels prefixed
  ``clinc150:``. clinc's ``train`` split is left out so the two sources stay near 2:1 and the total
  near 20k.

clinc's out-of-scope rows (``oos_val``, ``oos_test``) are left out on purpose: ``oos`` is a
catch-all of unrelated requests, not a theme, so scoring it as one label would reward a tool for
lumping unrelated texts together and punish it for keeping them apart. Some real-world intents occur
in both sources (card declined, transfers) under different labels; both tools pay that alike.

Rows are shuffled with a fixed seed (``SHUFFLE_SEED``) so the order looks like a feedback stream
rather than two blocks, and is the same on every machine. Nothing is copied into this repository:
``corpora/manifests/corpus20k.json`` records the sources (with their sha256), the counts and the
sha256 of the built ``(text, label)`` list, and :func:`load_corpus20k` refuses a build that does
not match it.

Run from the repository root to (re)write the manifest: ``python bench/corpus20k.py``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO.parent / "shared" / "corpora"
MANIFEST = REPO / "corpora" / "manifests" / "corpus20k.json"
SHUFFLE_SEED = 20_583
BANKING77_FILES = ("banking77/train.csv", "banking77/test.csv")
CLINC150_FILE = "clinc150/data_full.json"
CLINC150_SPLITS = ("val", "test")
LEFT_OUT = {
    "clinc150 oos_val + oos_test": "out-of-scope catch-all, not a theme",
    "clinc150 train": "keeps banking77 : clinc150 near 2:1 and the total near 20k",
}


@dataclass(frozen=True, slots=True)
class Corpus:
    """The built corpus: one text, label and language per row, plus where the rows came from."""

    texts: list[str]
    labels: list[str]
    langs: list[str]
    sources: list[dict[str, object]]

    def digest(self) -> str:
        """sha256 of the ordered ``[text, label]`` list as compact UTF-8 JSON."""
        pairs = [[t, lab] for t, lab in zip(self.texts, self.labels, strict=True)]
        payload = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_corpus(root: Path = SHARED_CORPORA) -> Corpus:
    """Read the source files under ``root`` and return the shuffled, labelled corpus."""
    rows: list[tuple[str, str]] = []
    sources: list[dict[str, object]] = []
    for name in BANKING77_FILES:
        path = root / name
        with path.open(newline="", encoding="utf-8") as handle:
            found = [(r["text"], f"banking77:{r['category']}") for r in csv.DictReader(handle)]
        rows += found
        sources.append({"path": name, "sha256": _sha256(path), "rows": len(found)})
    path = root / CLINC150_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    for split in CLINC150_SPLITS:
        found = [(str(text), f"clinc150:{intent}") for text, intent in data[split]]
        rows += found
        sources.append(
            {"path": f"{CLINC150_FILE}#{split}", "sha256": _sha256(path), "rows": len(found)}
        )
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(rows))
    shuffled = [rows[i] for i in order.tolist()]
    return Corpus(
        texts=[text for text, _ in shuffled],
        labels=[label for _, label in shuffled],
        langs=["en"] * len(shuffled),
        sources=sources,
    )


def describe(corpus: Corpus) -> dict[str, object]:
    """The manifest of a built corpus (JSON-ready)."""
    families = sorted({label.split(":", 1)[0] for label in corpus.labels})
    return {
        "name": "corpus20k",
        "root": "../shared/corpora",
        "builder": "bench/corpus20k.py",
        "shuffle_seed": SHUFFLE_SEED,
        "sources": corpus.sources,
        "left_out": LEFT_OUT,
        "rows": len(corpus.texts),
        "distinct_texts": len(set(corpus.texts)),
        "labels": len(set(corpus.labels)),
        "labels_per_source": {
            family: len({lab for lab in corpus.labels if lab.startswith(f"{family}:")})
            for family in families
        },
        "languages": sorted(set(corpus.langs)),
        "sha256_text_label_json": corpus.digest(),
        "licence": "banking77 CC BY 4.0; clinc150 CC BY 3.0 (evaluation and training)",
    }


def load_corpus20k(root: Path = SHARED_CORPORA, manifest: Path = MANIFEST) -> Corpus:
    """Build the corpus and check it against the manifest.

    Raises:
        ValueError: the built rows differ from the manifest (the shared files changed).
    """
    corpus = build_corpus(root)
    expected = json.loads(manifest.read_text(encoding="utf-8"))["sha256_text_label_json"]
    if corpus.digest() != expected:
        raise ValueError(
            f"The corpus built from {root} does not match {manifest} (sha256 {corpus.digest()} "
            f"instead of {expected}). Check ../shared/corpora, then rerun "
            "python bench/corpus20k.py."
        )
    return corpus


def main() -> None:
    """Build the corpus and write its manifest."""
    corpus = build_corpus()
    MANIFEST.write_text(
        json.dumps(describe(corpus), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {MANIFEST} ({len(corpus.texts)} rows, {len(set(corpus.labels))} labels)")


if __name__ == "__main__":
    main()
