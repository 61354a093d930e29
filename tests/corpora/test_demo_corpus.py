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
BASE_COLUMNS = ["id", "text", "source", "created_at", "nps", "csat", "plan", "region", "channel"]
BASE_COLUMNS += ["lang"]
OUTCOME_COLUMNS = ["customer_id", "first_response_at", "resolved_at", "churned", "churned_at"]
OUTCOME_COLUMNS += ["revenue"]
COLUMNS = BASE_COLUMNS + OUTCOME_COLUMNS
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


def _minutes(start: str, end: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    span = datetime.strptime(end, fmt) - datetime.strptime(start, fmt)
    return span.total_seconds() / 60


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _themes(rows: list[Any]) -> dict[str, tuple[str, ...]]:
    return {row.id: row.themes for row in rows}


def test_demo_outcomes_only_tickets_have_times(records: list[dict[str, str]]) -> None:
    for record in records:
        if record["source"] != "ticket":
            assert not record["first_response_at"]
            assert not record["resolved_at"]
        else:
            assert record["created_at"] <= record["first_response_at"]
        if record["resolved_at"]:
            assert record["first_response_at"] <= record["resolved_at"]
    tickets = [r for r in records if r["source"] == "ticket"]
    assert 0.8 < sum(bool(r["resolved_at"]) for r in tickets) / len(tickets) < 0.97


def test_demo_outcomes_sso_tickets_resolve_about_three_times_slower(
    records: list[dict[str, str]], rows: list[Any]
) -> None:
    themes = _themes(rows)
    resolved = [r for r in records if r["resolved_at"]]
    sso = [
        _minutes(r["created_at"], r["resolved_at"])
        for r in resolved
        if "login_sso" in themes[r["id"]]
    ]
    other = [
        _minutes(r["created_at"], r["resolved_at"])
        for r in resolved
        if "login_sso" not in themes[r["id"]]
    ]
    assert len(sso) >= 20
    assert 2.4 < _median(sso) / _median(other) < 4.0


def test_demo_outcomes_price_complaints_churn_more(
    records: list[dict[str, str]], rows: list[Any]
) -> None:
    themes = _themes(rows)
    known = [r for r in records if r["churned"]]
    assert 0.65 < len(known) / len(records) < 0.75
    assert all(r["churned"] in ("true", "false") for r in known)
    assert all(bool(r["churned_at"]) == (r["churned"] == "true") for r in records)

    def rate(keep: bool) -> float:
        chosen = [r for r in known if ("price_too_high" in themes[r["id"]]) == keep]
        return sum(r["churned"] == "true" for r in chosen) / len(chosen)

    assert 2.0 < rate(True) / rate(False) < 3.5


def test_demo_outcomes_enterprise_customers_carry_more_revenue(
    records: list[dict[str, str]],
) -> None:
    revenue = {
        plan: _median([float(r["revenue"]) for r in records if r["plan"] == plan and r["revenue"]])
        for plan in ("free", "pro", "enterprise")
    }
    assert revenue["enterprise"] > 10 * revenue["pro"] > 100 * revenue["free"]
    assert all(bool(r["revenue"]) == bool(r["customer_id"]) for r in records)


def test_demo_outcomes_customers_repeat_within_plan_and_region(
    records: list[dict[str, str]],
) -> None:
    seen: dict[str, set[tuple[str, str, str]]] = {}
    for record in records:
        if record["customer_id"]:
            seen.setdefault(record["customer_id"], set()).add(
                (record["plan"], record["region"], record["revenue"])
            )
    assert 0.8 < sum(bool(r["customer_id"]) for r in records) / len(records) < 0.95
    assert sum(len([r for r in records if r["customer_id"] == c]) > 1 for c in seen) > 100
    assert all(len(profiles) == 1 for profiles in seen.values())


def test_demo_outcomes_come_from_their_own_random_stream(
    generator: ModuleType, manifest: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed, n = manifest["generator"]["seed"], 300
    before = generator.generate_rows(seed, n)
    # The stream's name lives in the generator's package (demogen/, imported by generate.py).
    monkeypatch.setattr("demogen.outcomes.OUTCOME_STREAM", "another stream")
    after = generator.generate_rows(seed, n)
    base = len(BASE_COLUMNS)
    assert [r.csv_values()[:base] for r in before] == [r.csv_values()[:base] for r in after]
    assert [r.csv_values()[base:] for r in before] != [r.csv_values()[base:] for r in after]


def test_demo_manifest_records_the_planted_outcomes(manifest: dict[str, Any]) -> None:
    planted = manifest["outcomes"]["planted"]
    assert planted["login_sso_resolution"]["observed_factor"] > 2.4
    assert planted["price_too_high_churn"]["observed_lift"] > 2.0
    assert manifest["outcomes"]["customers_on_several_rows"] > 100
