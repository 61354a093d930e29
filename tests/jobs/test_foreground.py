"""Running a job in the calling process (``feedback-nlp mine``), and cancelling it with Ctrl-C."""

from __future__ import annotations

import pytest

from feedback_nlp.domain import JobRecord
from feedback_nlp.jobs.foreground import run_in_foreground
from feedback_nlp.settings import ModelSettings, Settings
from feedback_nlp.store import Store
from tests.store.factory import item

pytestmark = pytest.mark.slow  # the worker loads a real embedder (minilm-l6-en) per job

SETTINGS = Settings(models=ModelSettings(embedder="minilm-l6-en"))


def test_foreground_reports_a_failed_job(store: Store) -> None:
    ws = store.create_workspace("acme").id
    job = store.create_job(ws, "mine", {"source": "review"})  # no item matches
    seen: list[str] = []
    done = run_in_foreground(store, SETTINGS, job, lambda j: seen.append(j.state), poll_s=0.05)
    assert done.state == "failed"
    assert "No feedback matches" in (done.error or "")
    assert seen[-1] == "failed"


def test_foreground_interrupt_cancels_the_running_job(store: Store) -> None:
    ws = store.create_workspace("acme").id
    texts = ["The delivery was late.", "Support never answered.", "The app crashes on login."]
    store.upsert_feedback(ws, [item(f"i{n}", texts[n % 3] + f" ({n})") for n in range(60)])
    job = store.create_job(ws, "mine", {"n_resamples": 0})
    cancels: list[bool] = []

    def ctrl_c_once_running(current: JobRecord) -> None:
        if current.state == "running" and not cancels:
            raise KeyboardInterrupt

    done = run_in_foreground(
        store,
        SETTINGS,
        job,
        ctrl_c_once_running,
        poll_s=0.05,
        on_cancel=lambda: cancels.append(True),
    )
    assert cancels == [True]
    assert done.state == "cancelled"
    assert done.finished_at is not None
    assert store.list_themes(ws) == []


def test_foreground_interrupt_while_queued_cancels_at_once(store: Store) -> None:
    ws = store.create_workspace("acme").id
    other = store.create_workspace("other").id
    # an older job of another workspace is claimed first; ours is still queued when we stop
    store.upsert_feedback(other, [item(f"o{n}", f"Slow refunds, case {n}.") for n in range(60)])
    older = store.create_job(other, "mine", {"n_resamples": 0})
    job = store.create_job(ws, "mine", {})

    def ctrl_c(current: JobRecord) -> None:
        if store.get_job(other, older.id).state == "running" and current.state == "queued":
            raise KeyboardInterrupt

    done = run_in_foreground(store, SETTINGS, job, ctrl_c, poll_s=0.05)
    assert done.state == "cancelled"
    assert done.started_at is None
    # the other workspace's job was released back to the queue (or had finished by then)
    assert store.get_job(other, older.id).state in ("queued", "succeeded")
