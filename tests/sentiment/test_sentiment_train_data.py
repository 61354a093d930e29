"""The licence-clean training rows: manifest, hashes, licences, and no evaluation text."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from feedback_nlp.build.sentiment_data import (
    DEFAULT_SOURCES,
    hebemo_label,
    read_train_rows,
    sentimp21_rows,
    xed_label,
)
from feedback_nlp.build.sentiment_finetune import FinetuneConfig, load_finetune_rows

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = ROOT / "corpora" / "sentiment_train"
MANIFEST = ROOT / "corpora" / "manifests" / "sentiment_train.json"
REGRESSION_DIR = ROOT / "corpora" / "sentiment_regression"
CLEAN_LICENCES = {"Apache-2.0", "CC BY 4.0", "CC BY-SA 4.0", "MIT", "public domain"}


def _texts(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["text"] for row in csv.DictReader(handle)}


def test_sentiment_train_manifest_pins_every_copied_file() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    listed = set()
    for name, source in manifest["sources"].items():
        assert source["licence"] in CLEAN_LICENCES
        assert len(source["commit"]) == 40
        assert all(len(sha) == 64 for sha in source["original_files"].values())
        assert (TRAIN_DIR / name / "PROVENANCE.md").is_file()
        for file, facts in source["files"].items():
            path = TRAIN_DIR / name / file
            assert hashlib.sha256(path.read_bytes()).hexdigest() == facts["sha256"]
            listed.add(path)
    assert listed == set(TRAIN_DIR.glob("*/*.csv"))
    total = sum(path.stat().st_size for path in listed)
    assert total < 3_000_000  # what lands in git stays small


def test_sentiment_train_sources_exclude_evaluation_and_restricted_data() -> None:
    names = {path.name.lower() for path in TRAIN_DIR.iterdir()}
    assert not names & {"xlmt", "xlm-t", "parsinlu", "semeval", "umsab"}
    rows = read_train_rows(TRAIN_DIR)
    assert {source for *_, source in rows} == {"goemotions", "hebemo", "sentimp21", "xed"}


def test_sentiment_train_sources_can_be_named_one_by_one() -> None:
    assert set(DEFAULT_SOURCES) == {"goemotions", "hebemo", "sentimp21", "xed"}
    every = {source for *_, source in read_train_rows(TRAIN_DIR, sources=None)}
    assert every == set(DEFAULT_SOURCES)
    assert {s for *_, s in read_train_rows(TRAIN_DIR, sources=["xed"])} == {"xed"}
    only = read_train_rows(TRAIN_DIR, sources=["hebemo"])
    assert only
    assert {(lang, source) for _, _, lang, source in only} == {("he", "hebemo")}
    assert {label for _, label, *_ in only} == {"negative", "neutral", "positive"}


def test_sentiment_training_rows_never_contain_the_regression_set() -> None:
    training = {row.text for row in load_finetune_rows(FinetuneConfig())}
    for path in sorted(REGRESSION_DIR.glob("*.csv")):
        assert not _texts(path) & training, path.name


@pytest.mark.corpus
def test_sentiment_training_rows_never_contain_evaluation_texts(shared_corpora: Path) -> None:
    folder = shared_corpora / "eval" / "sentiment"
    files = sorted(folder.glob("*.csv"))
    if not files:
        pytest.skip(f"{folder} is missing")
    training = {row.text for row in load_finetune_rows(FinetuneConfig())}
    for path in files:
        assert len(_texts(path) & training) <= 2, path.name  # short stock phrases at most


@pytest.mark.corpus
def test_sentiment_candidate_rows_never_contain_evaluation_texts(shared_corpora: Path) -> None:
    files = sorted((shared_corpora / "eval" / "sentiment").glob("*.csv"))
    if not files:
        pytest.skip("no evaluation files")
    candidates = {text for text, *_ in read_train_rows(TRAIN_DIR, sources=None)}
    for path in [*files, *sorted(REGRESSION_DIR.glob("*.csv"))]:
        assert len(_texts(path) & candidates) <= 2, path.name  # short stock phrases at most


@pytest.mark.parametrize(
    ("judgements", "expected"),
    [
        (["שלילי", "שלילי מאוד", "שלילי"], "negative"),  # both negative grades agree
        (["ניטרלי", "ניטרלי", "חיובי"], "neutral"),  # two of three
        (["חיובי מאוד", "חיובי", "ניטרלי", "שלילי"], None),  # half is not two thirds
        (["חיובי", "חיובי"], None),  # fewer than three judgements
        (["חיובי", "חיובי", "-99", "-99.0"], None),  # no-answers are not judgements
        (["חיובי", "חיובי", "חיובי מאוד", "-99"], "positive"),
    ],
)
def test_hebemo_labels_need_two_thirds_agreement(
    judgements: list[str], expected: str | None
) -> None:
    assert hebemo_label(judgements) == expected


def test_sentimp21_rows_map_final_labels_and_languages() -> None:
    spain = 'tweet_id,full_text,final_label\n1,"Muy bien\n hecho",1\n2,Ya veremos,0\n3,Fatal,-1\n'
    uk = "tweet_id,full_text,final_label\n4,Shameful,-1\n5,ok,TIE\n6,Agreed,1\n7,Agreed,1\n"
    rows = sentimp21_rows({"sp/sp_simple.csv": spain, "uk/uk_simple.csv": uk})
    assert rows == [
        ("Shameful", "negative", "en"),
        ("Agreed", "positive", "en"),  # the duplicate is dropped
        ("Fatal", "negative", "es"),
        ("Ya veremos", "neutral", "es"),
        ("Muy bien hecho", "positive", "es"),  # whitespace collapsed
    ]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("1", "negative"),
        ("1, 4, 6", "negative"),
        ("5, 8", "positive"),
        ("1, 5", None),  # both polarities
        ("5, 7", None),  # surprise is ambiguous
        ("2", None),  # anticipation is ambiguous
        ("", None),
        ("x", None),
    ],
)
def test_xed_labels_map_to_clear_polarity_only(labels: str, expected: str | None) -> None:
    assert xed_label(labels) == expected
