"""The Ray engine on a private local Ray instance gives what the local engine gives.

200 multilingual demo texts (40 each in en, ar, he, fa, lt), the real ``e5-small-static``
embedder: the same vectors row by row, and the same themes, assignments and labels, both from
the engine calls and from a whole mining job run through the store.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from feedback_nlp.engines import LocalEngine
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.jobs import run_mine_job
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store, open_store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.themes.cluster import ThemeClusterer
from feedback_nlp.themes.miner import ThemeMiner
from tests.conftest import REPO_ROOT

EMBEDDER = "e5-small-static"
LANGS = ("en", "ar", "he", "fa", "lt")


@pytest.fixture(scope="module")
def demo_rows() -> list[dict[str, str]]:
    with (REPO_ROOT / "corpora" / "demo" / "feedback.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    picked: list[dict[str, str]] = []
    for lang in LANGS:
        picked += [row for row in rows if row["lang"] == lang][:40]
    assert len(picked) == 200
    return picked


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[Any]:
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from feedback_nlp.engines.ray import RayEngine

    if ray.is_initialized():  # another test module's instance; start our own
        ray.shutdown()
    engine = RayEngine(num_cpus=2, concurrency=2, batch_size=32)
    yield engine
    engine.close()
    assert not ray.is_initialized()


@pytest.mark.slow
def test_ray_engine_embeds_and_mines_as_the_local_engine(
    ray_engine: Any, demo_rows: list[dict[str, str]]
) -> None:
    texts = [row["text"] for row in demo_rows]
    langs = [row["lang"] for row in demo_rows]
    local = LocalEngine()

    expected = local.embed(texts, EMBEDDER)
    got = ray_engine.embed(texts, EMBEDDER)  # 7 batches of 32 over 2 actors
    assert got.shape == expected.shape == (200, 256)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)

    miner = ThemeMiner(clusterer=ThemeClusterer(min_theme_size=5), n_resamples=2, seed=0)
    want = local.mine(miner, expected, texts, langs)
    mined = ray_engine.mine(miner, got, texts, langs)
    assert len(want.themes) >= 3
    np.testing.assert_array_equal(mined.assignments, want.assignments)
    assert [t.label for t in mined.themes] == [t.label for t in want.themes]
    assert [t.size for t in mined.themes] == [t.size for t in want.themes]
    assert [[q.index for q in t.quotes] for t in mined.themes] == [
        [q.index for q in t.quotes] for t in want.themes
    ]
    assert [p.children for p in mined.parents] == [p.children for p in want.parents]


@pytest.mark.slow
def test_ray_engine_keeps_input_order_with_duplicates_and_uneven_batches(
    ray_engine: Any, demo_rows: list[dict[str, str]]
) -> None:
    texts = [row["text"] for row in demo_rows[:23]] * 2 + ["", "x"]  # 48 rows, batches of 32
    got = ray_engine.embed(texts, EMBEDDER)
    expected = LocalEngine().embed(texts, EMBEDDER)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got[:23], got[23:46])
    assert ray_engine.embed([], EMBEDDER).shape == (0, 256)


def _mine_workspace(store: Store, name: str, demo_rows: list[dict[str, str]], engine: Any) -> Any:
    ws = store.create_workspace(name).id
    raw = [{"id": row["id"], "text": row["text"], "source": row["source"]} for row in demo_rows]
    good, errors = validate_rows(raw, max_text_chars=2000)
    assert errors == []
    prepared = prepare_items([row for _, row in good], PiiRedactor(), LanguageIdentifier())
    assert store.upsert_feedback(ws, prepared).created == 200
    settings = Settings(models={"embedder": EMBEDDER})  # type: ignore[arg-type]
    results = []
    for _ in range(2):
        store.create_job(ws, "mine", {"n_resamples": 1})
        job = store.claim_next_job()
        assert job is not None
        results.append(run_mine_job(store, job, settings, sentiment=False, engine=engine))
        store.finish_job(job.id, "succeeded", result=results[-1])
    themes = [(t.theme_id, t.label, t.size, t.languages) for t in store.list_themes(ws)]
    return results, themes


@pytest.mark.slow
def test_mine_job_on_ray_saves_the_themes_of_a_local_job(
    ray_engine: Any, demo_rows: list[dict[str, str]], tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'feedback.db'}")
    try:
        local_results, local_themes = _mine_workspace(store, "local", demo_rows, None)
        ray_results, ray_themes = _mine_workspace(store, "ray", demo_rows, ray_engine)
    finally:
        store.close()
    assert [r["engine"] for r in local_results + ray_results] == ["local"] * 2 + ["ray"] * 2
    first, second = ray_results
    assert first["embedded"] + first["cache_hits"] == first["n_units"] >= 200
    assert first["embedded"] >= 200  # each distinct unit embedded once, on Ray
    assert (second["embedded"], second["cache_hits"]) == (0, first["n_units"])  # cache kept
    for key in ("n_units", "embedded", "n_themes", "n_unassigned"):
        assert first[key] == local_results[0][key]
    assert first["n_themes"] >= 3
    assert ray_themes == local_themes


def test_local_engine_path_never_imports_ray() -> None:
    code = (
        "import sys, feedback_nlp.cli, feedback_nlp.cli.batch, feedback_nlp.jobs, "
        "feedback_nlp.engines\n"
        "from feedback_nlp.engines import get_engine\n"
        "get_engine('local')\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
