"""A real mining job: 150 short English demo texts, the real minilm-l6-en embedder, two runs."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

import pytest

from feedback_nlp.alerts.service import AlertService
from feedback_nlp.domain import FeedbackFilter
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.jobs import JobContext, JobWorker, run_mine_job
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm() -> Any:
    from feedback_nlp.models import load_model

    return load_model("minilm-l6-en")


@pytest.fixture(scope="module")
def demo_rows() -> list[dict[str, object]]:
    with (REPO_ROOT / "corpora" / "demo" / "feedback.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["lang"] == "en"][:150]
    return [
        {
            "id": row["id"],
            "text": row["text"],
            "source": row["source"],
            "created_at": row["created_at"],
            "nps": int(row["nps"]) if row["nps"] else None,
            "segments": {"plan": row["plan"], "region": row["region"]},
        }
        for row in rows
    ]


class _Recording(JobContext):
    """A real context that also keeps the job's progress after each stage report."""

    def stage(self, progress: float, name: str) -> None:
        super().stage(progress, name)
        job = self.store.get_job(self.job.workspace_id, self.job.id)
        self.seen = [*getattr(self, "seen", []), (job.stage, job.progress)]


def test_mine_job_real_embedder_stable_ids(
    store: Store, minilm: Any, demo_rows: list[dict[str, object]]
) -> None:
    ws = store.create_workspace("demo").id
    good, errors = validate_rows(demo_rows, max_text_chars=2000)
    assert errors == []
    prepared = prepare_items([row for _, row in good], PiiRedactor(), LanguageIdentifier())
    assert store.upsert_feedback(ws, prepared).created == 150
    settings = Settings(models={"embedder": "minilm-l6-en"})  # type: ignore[arg-type]
    worker = JobWorker(store, settings, embedder=minilm)

    first_job = store.create_job(ws, "mine", {})
    first = worker.run_once()
    assert first is not None
    assert first.id == first_job.id
    assert (first.state, first.error, first.progress, first.stage) == (
        "succeeded",
        None,
        1.0,
        "done",
    )
    result = first.result or {}
    n_units = result["n_units"]
    assert result["n_items"] == 150
    assert n_units >= 150
    assert result["embedded"] + result["cache_hits"] == n_units
    assert result["n_themes"] >= 5
    themes = [t for t in store.list_themes(ws) if t.level == 0]
    assert len(themes) == result["n_themes"]
    assert all(t.theme_id.startswith("t_") and t.label for t in themes[:5])
    assert sum(t.size for t in themes) == n_units - result["n_unassigned"]
    for theme in themes[:3]:
        detail = store.get_theme(ws, theme.theme_id)
        assert detail.n_units == theme.size
        assert 1 <= len(theme.quotes) <= 5
        listed = store.list_feedback(ws, FeedbackFilter(theme_id=theme.theme_id), limit=1000)
        assert len(listed.items) == detail.n_items
    if result["sentiment"] is None:
        assert detail.sentiment == {}

    biggest = themes[0].theme_id
    store.rename_theme(ws, biggest, "Referrals")

    AlertService(store, ws).create_rule(name="spikes", kind="theme_spike")
    assert store.claim_alert_evaluation(ws)  # evaluated: not due until something changes
    assert store.alerts_due(0.0, now=utcnow() + timedelta(hours=1)) == []
    store.create_job(ws, "mine", {})
    job = store.claim_next_job()
    assert job is not None
    context = _Recording(store, job)
    second = run_mine_job(store, job, settings, context, embedder=minilm)
    assert store.alerts_due(0.0, now=utcnow() + timedelta(hours=1)) == [ws]  # the run marked it
    store.finish_job(job.id, "succeeded", result=second)
    assert second["embedded"] == 0  # every unit came from the DB cache
    assert second["cache_hits"] == n_units
    stages = [stage for stage, _ in context.seen]
    assert stages[:3] == ["load", "split", "embed"]
    assert stages[-3:] == ["mine", "register", "save"]
    progress = [value for _, value in context.seen]
    assert progress == sorted(progress)

    again = [t for t in store.list_themes(ws) if t.level == 0]
    assert {t.theme_id for t in again} == {t.theme_id for t in themes}  # stable ids
    renamed = store.get_theme(ws, biggest).theme
    assert (renamed.custom_label, renamed.first_seen_run, renamed.last_seen_run) == (
        "Referrals",
        result["run_id"],
        second["run_id"],
    )
    events = [e.event for e in store.theme_history(ws, biggest)]
    assert events == ["created", "renamed", "matched"]


def test_mine_job_fast_mode_uses_the_fast_embedder(
    store: Store, minilm: Any, demo_rows: list[dict[str, object]]
) -> None:
    ws = store.create_workspace("fast").id
    good, _ = validate_rows(demo_rows, max_text_chars=2000)
    prepared = prepare_items([row for _, row in good], PiiRedactor(), LanguageIdentifier())
    store.upsert_feedback(ws, prepared)
    settings = Settings(
        models={"embedder": "minilm-l6-en", "fast_embedder": "e5-small-static"}  # type: ignore[arg-type]
    )
    worker = JobWorker(store, settings, embedder=minilm)

    store.create_job(ws, "mine", {})
    accurate = worker.run_once()
    store.create_job(ws, "mine", {"mode": "fast"})
    fast = worker.run_once()

    assert accurate is not None
    assert fast is not None
    assert (fast.state, fast.error) == ("succeeded", None)
    result = fast.result or {}
    assert (result["embedder"], result["sentiment"]) == (
        "e5-small-static",
        "sentiment-static-head-v1",
    )
    # Another model: its vectors are not in the cache yet (repeated texts are embedded once).
    assert result["embedded"] == (accurate.result or {})["embedded"] > 0
    assert fast.params["mode"] == "fast"
    registry = store.load_registry(ws)
    assert registry is not None
    assert registry.space_ == "e5-small-static"
    dims = {t.centroid.shape[0] for t in registry.themes_ if t.active}
    assert dims == {256}
