"""Checks of the bundled demo corpus (corpora/demo) and its generator."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DEMO_DIR = Path(__file__).resolve().parents[2] / "corpora" / "demo"
CSV_PATH = DEMO_DIR / "feedback.csv"
MANIFEST_PATH = DEMO_DIR / "MANIFEST.json"
COLUMNS = ["id", "text", "source", "created_at", "nps", "csat", "plan", "region", "channel", "lang"]
LANGUAGES = ["en", "ar", "he", "fa", "lt"]
CONNECTIVES = {
    "en": ("but", "however"),
    "ar": ("لكن", "ولكن"),
    "he": ("אבל",),
    "fa": ("اما", "ولی"),
    "lt": ("bet", "tačiau"),
}
SCRIPTS = {
    "ar": re.compile(r"[\u0621-\u064a]"),
    "he": re.compile(r"[\u05d0-\u05ea]"),
    "fa": re.compile(r"[پچژگیک]"),
    "lt": re.compile(r"[ąčęėįšųūž]", re.IGNORECASE),
}
PHONE = re.compile(r"[+(]?[\d\u0660-\u0669\u06f0-\u06f9][\d\u0660-\u0669\u06f0-\u06f9 ()-]{6,}")


def _load_generator() -> ModuleType:
    name = "demo_corpus_generate"
    spec = importlib.util.spec_from_file_location(name, DEMO_DIR / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def records() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rows(generator: ModuleType, manifest: dict[str, Any]) -> list[Any]:
    rows: list[Any] = generator.generate_rows(
        manifest["generator"]["seed"], manifest["generator"]["n"]
    )
    return rows


def _share(rows: list[Any], theme: str) -> float:
    """Share of the detractors (nps 0-6) among ``rows`` whose themes include ``theme``."""
    detractors = [row for row in rows if row.nps is not None and row.nps <= 6]
    assert detractors, "the selection has no detractors"
    return sum(theme in row.themes for row in detractors) / len(detractors)


def _split(rows: list[Any], attribute: str, value: str) -> tuple[list[Any], list[Any]]:
    inside = [row for row in rows if row.segment(attribute) == value]
    outside = [row for row in rows if row.segment(attribute) != value]
    return inside, outside


def test_demo_csv_exists_with_documented_columns() -> None:
    assert CSV_PATH.is_file()
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == COLUMNS


def test_demo_has_at_least_1000_rows(records: list[dict[str, str]]) -> None:
    assert len(records) >= 1000


def test_demo_has_every_language_with_100_rows(records: list[dict[str, str]]) -> None:
    counts = Counter(record["lang"] for record in records)
    assert set(counts) == set(LANGUAGES)
    assert min(counts.values()) >= 100


def test_demo_scores_are_in_range_or_empty(records: list[dict[str, str]]) -> None:
    nps = [record["nps"] for record in records]
    csat = [record["csat"] for record in records]
    assert all(value == "" or 0 <= int(value) <= 10 for value in nps)
    assert all(value == "" or 1 <= int(value) <= 5 for value in csat)
    assert 0.02 <= nps.count("") / len(nps) <= 0.08
    assert 0.30 <= sum(value != "" for value in csat) / len(csat) <= 0.50


def test_demo_dates_are_utc_and_within_range(records: list[dict[str, str]]) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    for record in records:
        assert record["created_at"].endswith("Z")
        created = datetime.fromisoformat(record["created_at"])
        assert start <= created < end


def test_demo_ids_are_unique_and_stable(records: list[dict[str, str]]) -> None:
    ids = [record["id"] for record in records]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"demo-\d{6}", value) for value in ids)
    assert ids == sorted(ids)


def test_demo_segment_values_are_documented(records: list[dict[str, str]]) -> None:
    assert {r["source"] for r in records} == {"survey", "review", "ticket", "social"}
    assert {r["plan"] for r in records} == {"free", "pro", "enterprise"}
    assert {r["channel"] for r in records} == {"web", "mobile_app", "email", "phone"}
    assert {r["region"] for r in records} == {
        "north_america",
        "europe",
        "baltics",
        "mena",
        "israel",
        "iran",
    }


def test_demo_texts_are_unique_and_short(records: list[dict[str, str]]) -> None:
    texts = [record["text"] for record in records]
    assert len(set(texts)) == len(texts)
    assert all(0 < len(text) <= 400 and "\n" not in text for text in texts)


@pytest.mark.parametrize(("lang", "minimum"), [("ar", 1.0), ("he", 1.0), ("fa", 1.0), ("lt", 0.8)])
def test_demo_texts_use_the_language_script(
    records: list[dict[str, str]], lang: str, minimum: float
) -> None:
    texts = [record["text"] for record in records if record["lang"] == lang]
    assert sum(bool(SCRIPTS[lang].search(text)) for text in texts) >= minimum * len(texts)


def test_demo_persian_uses_persian_letters(records: list[dict[str, str]]) -> None:
    persian = " ".join(record["text"] for record in records if record["lang"] == "fa")
    arabic = " ".join(record["text"] for record in records if record["lang"] == "ar")
    assert "ي" not in persian
    assert "ك" not in persian
    assert "ی" not in arabic
    assert "ک" not in arabic


def test_demo_manifest_sha256_matches_file(manifest: dict[str, Any]) -> None:
    assert manifest["sha256"] == hashlib.sha256(CSV_PATH.read_bytes()).hexdigest()


def test_demo_manifest_describes_file(
    manifest: dict[str, Any], records: list[dict[str, str]]
) -> None:
    assert manifest["rows"] == len(records)
    assert manifest["columns"] == COLUMNS
    assert manifest["languages"] == {
        lang: sum(record["lang"] == lang for record in records) for lang in LANGUAGES
    }
    assert {theme["id"] for theme in manifest["themes"]} >= {
        planted["theme"] for planted in manifest["planted"]
    }
    assert all(set(theme["keywords"]) == set(LANGUAGES) for theme in manifest["themes"])
    assert manifest["control_segments"]
    assert 4 <= len(manifest["planted"]) <= 5


def test_demo_regeneration_is_byte_identical(
    generator: ModuleType, manifest: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "feedback.csv"
    seed, n = manifest["generator"]["seed"], manifest["generator"]["n"]
    assert generator.main(["--seed", str(seed), "--n", str(n), "--out", str(out)]) == 0
    assert out.read_bytes() == CSV_PATH.read_bytes()
    assert (tmp_path / "MANIFEST.json").read_bytes() == MANIFEST_PATH.read_bytes()


def test_demo_rows_match_the_generator_annotation(
    rows: list[Any], records: list[dict[str, str]]
) -> None:
    assert [row.id for row in rows] == [record["id"] for record in records]
    assert [row.text for row in rows] == [record["text"] for record in records]


def test_demo_planted_complaints_dominate_their_segment(
    rows: list[Any], manifest: dict[str, Any]
) -> None:
    for planted in manifest["planted"]:
        theme = planted["theme"]
        segment, rest = _split(rows, planted["attribute"], planted["value"])
        inside, outside = _share(segment, theme), _share(rest, theme)
        assert 0.30 <= inside <= 0.55, planted
        assert outside <= 0.05, planted
        assert inside >= 5 * outside, planted
        detractors = [row for row in segment if row.is_detractor]
        top, _ = Counter(t for row in detractors for t in row.themes).most_common(1)[0]
        assert top == theme, planted


def test_demo_control_segments_have_no_dominant_complaint(
    rows: list[Any], manifest: dict[str, Any]
) -> None:
    complaints = [t["id"] for t in manifest["themes"] if t["polarity"] == "negative"]
    planted = [(p["attribute"], p["value"]) for p in manifest["planted"]]
    for control in manifest["control_segments"]:
        assert (control["attribute"], control["value"]) not in planted
        segment, rest = _split(rows, control["attribute"], control["value"])
        for theme in complaints:
            inside, outside = _share(segment, theme), _share(rest, theme)
            assert inside < 2.0 * outside, (control, theme)
            assert inside < 0.35, (control, theme)


def test_demo_spike_rises_after_its_start(rows: list[Any], manifest: dict[str, Any]) -> None:
    assert manifest["spikes"]
    for spike in manifest["spikes"]:
        early = [row for row in rows if row.created_at[:10] < spike["start"]]
        late = [row for row in rows if row.created_at[:10] >= spike["start"]]
        before, after = _share(early, spike["theme"]), _share(late, spike["theme"])
        assert after >= 1.5 * before, spike


def test_demo_sentiment_agrees_with_nps(rows: list[Any]) -> None:
    def mean_nps(sentiment: str) -> float:
        scores: list[int] = [
            row.nps for row in rows if row.sentiment == sentiment and row.nps is not None
        ]
        return sum(scores) / len(scores)

    assert mean_nps("negative") < 5.0
    assert 6.0 <= mean_nps("mixed") <= 8.5
    assert mean_nps("positive") > 8.5


def test_demo_mixed_texts_join_two_themes_with_a_contrast(rows: list[Any]) -> None:
    mixed = [row for row in rows if row.sentiment == "mixed"]
    assert len(mixed) >= 100
    for row in mixed:
        assert len(row.themes) == 2
        words = re.findall(r"\w+", row.text.lower())
        assert any(word in words for word in CONNECTIVES[row.lang]), row.text


def test_demo_some_texts_carry_fake_pii(rows: list[Any]) -> None:
    pii = [row for row in rows if row.has_pii]
    assert 0.01 <= len(pii) / len(rows) <= 0.04
    for row in pii:
        assert "@example.com" in row.text or PHONE.search(row.text), row.text
    assert {row.lang for row in pii} == set(LANGUAGES)
