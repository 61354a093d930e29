from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic_themes import sphere_blobs, topic_texts

from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.eval.themes import (
    ThemeEvalResult,
    cross_language_agreement,
    format_theme_eval,
    run_theme_eval,
    theme_label_accuracy,
)


def _write_case(folder: Path, *, with_lang: bool) -> Path:
    vectors, truth, _ = sphere_blobs(n_blobs=4, per_blob=30, seed=0)
    langs = ["en" if i % 2 else "ar" for i in range(len(truth))]
    texts = topic_texts(truth, langs)
    path = folder / "tiny.csv"
    rows = ["text,label,lang" if with_lang else "text,label"]
    for text, label, lang in zip(texts, truth.tolist(), langs, strict=True):
        rows.append(f"{text},topic{label},{lang}" if with_lang else f"{text},topic{label}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    np.save(folder / "tiny.fake-embedder.npy", vectors)  # the cache: no model is loaded
    return path


def test_eval_scores_a_cached_file_without_loading_a_model(tmp_path: Path) -> None:
    path = _write_case(tmp_path, with_lang=True)
    result = run_theme_eval(path, embedder_name="fake-embedder", cache_dir=tmp_path)
    assert result.embeddings_cached
    assert result.embed_seconds == 0.0
    assert result.nmi > 0.95
    assert result.ari > 0.95
    assert result.n_themes == 4
    assert result.n_labels == 4
    assert result.stability_ari == 1.0
    assert result.cross_language_agreement == 1.0
    assert result.languages == ("ar", "en")
    assert result.to_json()["n_units"] == 120
    text = format_theme_eval(result)
    assert "NMI" in text
    assert "run-to-run ARI" in text


def test_eval_without_lang_column_reports_no_agreement(tmp_path: Path) -> None:
    path = _write_case(tmp_path, with_lang=False)
    result = run_theme_eval(path, embedder_name="fake-embedder", cache_dir=tmp_path)
    assert result.cross_language_agreement is None
    assert "same majority theme across languages: -" in format_theme_eval(result)


def test_eval_rejects_missing_files_and_columns(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No evaluation file"):
        run_theme_eval(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("body,topic\nhello,x\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="text,label"):
        run_theme_eval(bad)


def test_cross_language_agreement_counts_labels_with_one_majority_theme() -> None:
    labels = ["a", "a", "a", "a", "b", "b", "c"]
    langs = ["en", "en", "ar", "ar", "en", "ar", "en"]
    themes = np.array([0, 0, 0, 1, 2, -1, 3])
    # a: en -> 0, ar -> tie 0/1 broken to 0: same. b: ar all unassigned: different. c: one language.
    assert cross_language_agreement(labels, langs, themes) == 0.5
    assert cross_language_agreement(["a"], ["en"], np.array([0])) is None


@pytest.fixture(scope="module")
def banking77(shared_corpora: Path) -> ThemeEvalResult:
    path = shared_corpora / "eval" / "themes" / "banking77_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return run_theme_eval(path, embedder_name="e5-small-multilingual", seed=0)


@pytest.mark.slow
@pytest.mark.corpus
def test_eval_banking77_meets_the_measured_floor(banking77: ThemeEvalResult) -> None:
    # What the default method reaches with e5-small (bench/RESULTS.md), minus a small margin.
    assert banking77.nmi >= 0.76
    assert banking77.ari >= 0.44
    assert banking77.outlier_share <= 0.05
    assert banking77.stability_ari >= 0.90


@pytest.mark.slow
@pytest.mark.corpus
def test_eval_banking77_titles_name_half_of_the_themes(banking77: ThemeEvalResult) -> None:
    # Issue 22's target for label accuracy@1; 0.573 measured (bench/RESULTS.md), 0.491 before the
    # title started from the head phrase.
    assert banking77.label_accuracy is not None
    assert banking77.label_accuracy >= 0.50


@pytest.mark.slow
@pytest.mark.corpus
def test_eval_clinc150_titles_name_half_of_the_themes(shared_corpora: Path) -> None:
    path = shared_corpora / "eval" / "themes" / "clinc150_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    result = run_theme_eval(path, embedder_name="e5-small-multilingual", seed=0, n_resamples=0)
    assert result.label_accuracy is not None
    assert result.label_accuracy >= 0.50  # 0.562 measured (bench/RESULTS.md)


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.xfail(
    reason="e5-small (4-bit) caps banking77 near NMI 0.78 / ARI 0.48 even with the true k; "
    "see bench/RESULTS.md (wall time is measured there, by bench/eval_themes.py)",
    strict=False,
)
def test_eval_banking77_meets_the_issue_targets(banking77: ThemeEvalResult) -> None:
    assert banking77.nmi >= 0.82
    assert banking77.ari >= 0.50


@pytest.mark.slow
@pytest.mark.corpus
def test_eval_banking77_with_minilm_meets_the_issue_targets(shared_corpora: Path) -> None:
    # The issue's targets were set against BERTopic with all-MiniLM-L6-v2 (NMI 0.802, ARI 0.413,
    # 9.6% outliers); with the same embeddings the default miner clears them.
    path = shared_corpora / "eval" / "themes" / "banking77_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    result = run_theme_eval(path, embedder_name="minilm-l6-en", seed=0)
    assert result.nmi >= 0.82
    assert result.ari >= 0.50
    assert result.outlier_share <= 0.05
    assert result.stability_ari >= 0.90


def _bag_of_words(texts: list[str]) -> np.ndarray:
    """Unit-norm word-count vectors over a fixed vocabulary (a deterministic toy encoder)."""
    vocabulary = ["card", "arrival", "lost", "top", "up", "fee"]
    rows = np.array([[t.split().count(w) for w in vocabulary] for t in texts], dtype=np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def test_theme_label_accuracy_scores_each_theme_title_against_its_majority() -> None:
    labels = ["card_arrival"] * 3 + ["lost_card"] * 2 + ["top_up"] * 3
    found = np.array([5, 5, 5, 9, 9, 9, -1, 12], dtype=np.int64)
    # theme 5: majority card_arrival, title closest to "card arrival": right.
    # theme 9: lost_card 2 vs top_up 1, title "top up": wrong. theme 12: no title: wrong.
    titles = {5: "card arrival", 9: "top up"}
    assert theme_label_accuracy(titles, labels, found, _bag_of_words) == pytest.approx(1 / 3)
    titles[9] = "lost card"
    titles[12] = "top up fee"
    assert theme_label_accuracy(titles, labels, found, _bag_of_words) == pytest.approx(1.0)
    # unreadable gold labels, or no theme at all: not measured
    assert theme_label_accuracy(titles, ["1", "2"] * 4, found, _bag_of_words) is None
    assert theme_label_accuracy(titles, labels, np.full(8, -1), _bag_of_words) is None
