from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

SEED_DIR = Path(__file__).resolve().parents[2] / "corpora" / "sentiment_seed"
LANGS = ("en", "ar", "he", "fa", "lt", "fr", "de", "es", "it", "pt", "hi")


def _rows(lang: str) -> list[dict[str, str]]:
    with (SEED_DIR / f"{lang}.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["text", "label", "lang"]
        return list(reader)


def test_sentiment_seed_has_one_file_per_language() -> None:
    assert sorted(path.stem for path in SEED_DIR.glob("*.csv")) == sorted(LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_sentiment_seed_rows_are_valid_and_balanced(lang: str) -> None:
    rows = _rows(lang)
    assert {row["lang"] for row in rows} == {lang}
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == {"negative", "neutral", "positive"}
    assert min(counts.values()) >= 40
    assert max(counts.values()) - min(counts.values()) <= 10
    assert all(row["text"].strip() == row["text"] and row["text"] for row in rows)


def test_sentiment_seed_has_no_duplicate_texts() -> None:
    texts = [row["text"] for lang in LANGS for row in _rows(lang)]
    assert len(texts) == len(set(texts))
