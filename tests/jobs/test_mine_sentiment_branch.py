"""A real mining job with the default embedder: sentiment from the fine-tuned branch, cached."""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pytest

from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.jobs import run_mine_job
from feedback_nlp.jobs.runner import find_sentiment_head
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

COMPLAINTS = [
    # (id, text, lang) — clear feedback appended to the demo rows
    ("neg-en", "The app keeps crashing and support never answers.", "en"),
    ("neg-he", "המשלוח הגיע אחרי שבועיים והשירות לא ענה", "he"),
    ("pos-en", "Thank you, the new checkout is fast and lovely!", "en"),
]
REPORTED = [
    # The two complaints of issues 17/21 that the shipped model still scores positive.
    "الأسعار مرتفعة جدا مقارنة بالمنافسين",
    "تبلیغات خیلی زیاده و برنامه کند شده",
]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    with (REPO_ROOT / "corpora" / "demo" / "feedback.csv").open(encoding="utf-8") as handle:
        demo = list(csv.DictReader(handle))[:120]
    items: list[dict[str, object]] = [
        {"id": r["id"], "text": r["text"], "created_at": r["created_at"]} for r in demo
    ]
    items += [{"id": i, "text": t} for i, t, _ in COMPLAINTS]
    return items


def _mine(store: Store, ws: int, e5: Any) -> dict[str, Any]:
    store.create_job(ws, "mine", {})
    job = store.claim_next_job()
    assert job is not None
    result = run_mine_job(store, job, Settings(), embedder=e5)
    store.finish_job(job.id, "succeeded", result=result)
    return result


def test_mine_job_runs_the_fine_tuned_branch_in_the_embedding_pass(
    store: Store, e5_embedder: Any, rows: list[dict[str, object]]
) -> None:
    head = find_sentiment_head(e5_embedder.name, e5_embedder.dim)
    assert head is not None
    assert head.name == "sentiment-e5-ft-v2"  # preferred over the linear head
    ws = store.create_workspace("branch").id
    good, _ = validate_rows(rows, max_text_chars=2000)
    store.upsert_feedback(
        ws, prepare_items([r for _, r in good], PiiRedactor(), LanguageIdentifier())
    )

    first = _mine(store, ws, e5_embedder)
    assert first["sentiment"] == "sentiment-e5-ft-v2"
    assert first["embedded"] > 0
    units = {i: store.get_units(ws, i) for i, _, _ in COMPLAINTS}
    for item_id, _text, _lang in COMPLAINTS:
        labels = {u.sentiment_label for u in units[item_id]}
        assert labels == {"negative" if item_id.startswith("neg") else "positive"}, item_id
        assert all(
            u.sentiment_score is not None and -1 <= u.sentiment_score <= 1 for u in units[item_id]
        )
    # The stored sentiment is the model's own on the same text (one pass, nothing lost).
    text = units["neg-he"][0].text
    expected = head.model.predict_texts([text])[1][0]
    assert units["neg-he"][0].sentiment_score == pytest.approx(float(expected), abs=1e-5)

    second = _mine(store, ws, e5_embedder)
    assert (second["embedded"], second["sentiment"]) == (0, "sentiment-e5-ft-v2")  # all cached
    again = {i: store.get_units(ws, i) for i, _, _ in COMPLAINTS}
    for item_id in again:
        assert np.allclose(
            [u.sentiment_score for u in again[item_id]],
            [u.sentiment_score for u in units[item_id]],
            atol=1e-6,
        )


@pytest.mark.xfail(
    strict=True,
    reason="sentiment-e5-ft-v2 scores both reported complaints positive (+0.65, +0.61), as did "
    "v1 (+0.79, +0.69) and a retrain with 885 project-written CX sentences (bench/RESULTS.md)",
)
def test_the_reported_arabic_and_persian_complaints_are_negative() -> None:
    from feedback_nlp.models import load_model

    labels, _scores = load_model("sentiment-e5-ft-v2").predict_texts(REPORTED)
    assert labels == ["negative", "negative"]
