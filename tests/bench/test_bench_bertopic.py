"""The BERTopic side-by-side benchmark's planning, tables and verdict, and its 20k corpus.

The benchmark scripts live in ``bench/`` (not a package), so they are loaded from their files. The
measurements themselves need BERTopic (the ``bench`` extra) and minutes of CPU; only the pure parts
run here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.file_modules import load_file_module

BENCH = Path(__file__).resolve().parents[2] / "bench"


corpus20k = load_file_module("corpus20k", BENCH / "corpus20k.py")
bench = load_file_module("bench_bertopic", BENCH / "bench_bertopic.py")


def _row(tool: str, mode: str, total: float, nmi: float, **extra: Any) -> dict[str, Any]:
    row = {
        "dataset": "corpus20k",
        "mode": mode,
        "tool": tool,
        "embedder": "minilm-l6-en",
        "embeddings": None if mode == "end to end" else "/tmp/x.npy",
        "units": 100,
        "n_labels": 10,
        "load_average": 1.0,
        "warm_up_s": 0.5,
        "load_s": 1.0,
        "embed_s": total / 2 if mode == "end to end" else 0.0,
        "mine_s": total / 2 if mode == "end to end" else total,
        "total_s": total,
        "embed_cpu_s": total if mode == "end to end" else 0.0,
        "mine_cpu_s": total,
        "total_cpu_s": 2 * total if mode == "end to end" else total,
        "peak_mb": 500.0,
        "process_s": total + 5,
        "nmi": nmi,
        "ari": 0.5,
        "outlier_share": 0.1,
        "n_themes": 12,
    }
    row.update(extra)
    return row


def test_corpus20k_digest_hashes_ordered_text_label_pairs() -> None:
    corpus = corpus20k.Corpus(texts=["a", "b"], labels=["x", "y"], langs=["en", "en"], sources=[])
    swapped = corpus20k.Corpus(texts=["b", "a"], labels=["y", "x"], langs=["en", "en"], sources=[])
    expected = hashlib.sha256(b'[["a","x"],["b","y"]]').hexdigest()
    assert corpus.digest() == expected
    assert swapped.digest() != expected


@pytest.mark.corpus
def test_corpus20k_matches_its_manifest(shared_corpora: Path) -> None:
    corpus = corpus20k.load_corpus20k(root=shared_corpora)
    manifest = json.loads(corpus20k.MANIFEST.read_text(encoding="utf-8"))
    assert len(corpus.texts) == manifest["rows"] == 10_003 + 3_080 + 3_000 + 4_500
    assert len(set(corpus.labels)) == 77 + 150
    assert not any(label.endswith(":oos") for label in corpus.labels)
    assert corpus20k.describe(corpus) == manifest


def test_bench_bertopic_plan_shares_one_set_of_embeddings(tmp_path: Path) -> None:
    specs = bench.plan(
        ["banking77_test"], ["e5-small-static", "minilm-l6-en"], 50, tmp_path, cold=False
    )
    order = [(s["mode"], s["tool"], s["embedder"]) for s in specs]
    assert order == [
        ("end to end", "feedback_nlp", "minilm-l6-en"),
        ("end to end", "BERTopic", "minilm-l6-en"),
        ("mining only", "feedback_nlp", "minilm-l6-en"),
        ("mining only", "BERTopic", "minilm-l6-en"),
        ("end to end", "feedback_nlp", "e5-small-static"),
    ]
    saved = specs[0]["save_embeddings"]
    assert saved == str(tmp_path / "banking77_test.minilm-l6-en.npy")
    assert specs[2]["embeddings"] == specs[3]["embeddings"] == saved
    assert all(s["limit"] == 50 for s in specs)


def test_bench_bertopic_cold_adds_one_fresh_process_per_tool_and_embedder(tmp_path: Path) -> None:
    specs = bench.plan(["corpus20k"], ["minilm-l6-en-int8"], None, tmp_path, cold=True)
    cold = [(s["tool"], s["embedder"], s["embeddings"]) for s in specs if s["mode"] == "cold"]
    assert cold == [
        ("BERTopic", "minilm-l6-en", None),
        ("feedback_nlp", "minilm-l6-en", None),
        ("feedback_nlp", "minilm-l6-en-int8", None),
    ]


def test_bench_bertopic_cold_verdict_compares_cold_rows_only() -> None:
    rows = [
        _row("BERTopic", "end to end", 30.0, 0.80),
        _row("feedback_nlp", "end to end", 20.0, 0.81),
        _row("BERTopic", "cold", 90.0, 0.80),
        _row("feedback_nlp", "cold", 25.0, 0.81),
    ]
    warm = [line for line in bench.verdict(rows, "corpus20k") if line.startswith("- ")]
    cold = [line for line in bench.verdict(rows, "corpus20k", "cold") if line.startswith("- ")]
    assert len(warm) == len(cold) == 1
    assert "1.50×" in warm[0]
    assert warm[0].endswith("**not met**")
    assert "3.60×" in cold[0]
    assert cold[0].endswith("**met**")


def test_bench_bertopic_warm_up_stays_on_the_data_side_of_umaps_switch() -> None:
    assert bench._warm_up_rows(20_583) == 4096
    assert bench._warm_up_rows(4096) == 4096
    assert bench._warm_up_rows(4095) == 500
    assert bench._warm_up_rows(300) == 300


def test_bench_bertopic_table_divides_bertopic_time_by_each_row() -> None:
    rows = [
        _row("feedback_nlp", "end to end", 10.0, 0.81),
        _row("BERTopic", "end to end", 30.0, 0.80),
    ]
    lines = bench.table(rows, "end to end")
    assert len(lines) == 4
    ours = lines[2].split(" | ")
    assert ours.count("3.00×") == 2  # 30 s / 10 s, wall and CPU (60 / 20)
    assert "+0.010" in ours  # 0.81 - 0.80
    assert lines[3].split(" | ").count("1.00×") == 2
    assert len(ours) == len(lines[0].split(" | ")) == 24
    assert ours[-2:] == ["-", "- |"]  # no label accuracy measured in these rows


def test_bench_bertopic_table_shows_label_accuracy_side_by_side() -> None:
    rows = [
        _row("feedback_nlp", "end to end", 10.0, 0.81, label_accuracy=0.55),
        _row("BERTopic", "end to end", 30.0, 0.80, label_accuracy=0.40),
    ]
    lines = bench.table(rows, "end to end")
    assert lines[2].split(" | ")[-2:] == ["0.550", "+0.150 |"]  # 0.55 - 0.40
    assert lines[3].split(" | ")[-2:] == ["0.400", "+0.000 |"]


def test_bench_bertopic_verdict_needs_both_speed_and_nmi() -> None:
    rows = [
        _row("BERTopic", "end to end", 30.0, 0.80),
        _row("feedback_nlp", "end to end", 10.0, 0.80),  # 3.00×, equal NMI: met
        _row("feedback_nlp", "end to end", 12.0, 0.90, embedder="e5-small-multilingual"),
        _row("feedback_nlp", "end to end", 1.0, 0.79, embedder="e5-small-static"),
    ]
    lines = [line for line in bench.verdict(rows, "corpus20k") if line.startswith("- ")]
    assert len(lines) == 3
    assert lines[0].endswith("**met**")
    assert "2.50×" in lines[1]
    assert lines[1].endswith("**not met**")
    assert "30.00×" in lines[2]
    assert lines[2].endswith("**not met**")


def test_bench_bertopic_verdict_without_bertopic_row_says_so() -> None:
    rows = [_row("feedback_nlp", "end to end", 10.0, 0.8)]
    assert "no BERTopic end to end row" in bench.verdict(rows, "corpus20k")[0]
