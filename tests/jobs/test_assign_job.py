"""A real ``assign`` job: ingest after a real mining run, the worker assigns the new units.

150 short English demo texts are mined with the real minilm-l6-en embedder; then 20 more are
ingested through :class:`~feedback_nlp.ingest.service.IngestService` (which queues the job),
with one of them a copy of a mined theme's first quote (a central member: it is above its
theme's acceptance bar, so it must land in that theme).
"""

from __future__ import annotations

import csv
from typing import Any

import pytest

from feedback_nlp.domain import FeedbackFilter
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.jobs import JobWorker
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _demo_rows(n: int) -> list[dict[str, object]]:
    with (REPO_ROOT / "corpora" / "demo" / "feedback.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["lang"] == "en"][:n]
    return [{"id": row["id"], "text": row["text"], "created_at": row["created_at"]} for row in rows]


def _unit_themes(store: Store, ws: int, external_ids: set[str]) -> dict[str, list[str | None]]:
    return {
        external_id: [unit.theme_id for unit in store.get_units(ws, external_id)]
        for external_id in sorted(external_ids)
    }


def test_assign_job_gives_new_feedback_the_latest_runs_themes(store: Store) -> None:
    from feedback_nlp.models import load_model

    minilm: Any = load_model("minilm-l6-en")
    ws = store.create_workspace("demo").id
    ingest = IngestService(store, PiiRedactor(), LanguageIdentifier(), max_text_chars=2000)
    rows = _demo_rows(170)
    ingest.ingest(ws, rows[:150])
    settings = Settings(models={"embedder": "minilm-l6-en"})  # type: ignore[arg-type]
    worker = JobWorker(store, settings, embedder=minilm)
    store.create_job(ws, "mine", {"n_resamples": 0})
    mined = worker.run_once()
    assert mined is not None
    assert (mined.kind, mined.state) == ("mine", "succeeded")
    run_themes = {t.theme_id for t in store.list_themes(ws) if t.level == 0}
    first = next(t for t in store.list_themes(ws) if t.level == 0)
    copy = {"id": "copy-of-a-quote", "text": first.quotes[0]["text"]}

    ingest.ingest(ws, [*rows[150:], copy])
    done = worker.run_once()
    assert done is not None
    assert (done.kind, done.state, done.error) == ("assign", "succeeded", None)
    result = done.result or {}
    assert result["run_id"] == (mined.result or {})["run_id"]
    assert result["n_items"] == 21
    assert result["n_units"] >= 21
    assert result["sentiment"] == (mined.result or {})["sentiment"]  # the run's sentiment path
    new_ids = {str(row["id"]) for row in [*rows[150:], copy]}
    themes = _unit_themes(store, ws, new_ids)
    assert all(units for units in themes.values())  # every new item was split into units
    assigned = {t for units in themes.values() for t in units if t is not None}
    assert assigned <= run_themes
    assert result["n_assigned"] == sum(t is not None for u in themes.values() for t in u)
    assert first.theme_id in themes["copy-of-a-quote"]
    listed = store.list_feedback(ws, FeedbackFilter(theme_id=first.theme_id), limit=1000)
    assert "copy-of-a-quote" in {item.external_id for item in listed.items}
    assert worker.run_once() is None  # nothing left queued
