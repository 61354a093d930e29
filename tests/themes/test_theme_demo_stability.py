"""Re-mining the demo corpus after adding 2% new items keeps theme ids and titles (issue 22).

Needs the built e5 model (``feedback-nlp models build``); skipped without it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.units import OpinionUnitSplitter
from feedback_nlp.themes import ThemeMiner, ThemeRegistry
from feedback_nlp.themes.content import content_texts

DEMO = Path(__file__).resolve().parents[2] / "corpora" / "demo"


def _units(rows: list[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str], list[int]]:
    redactor = PiiRedactor()
    texts = [redactor(text).text for _, text, _ in rows]
    langs = [lang for _, _, lang in rows]
    units = OpinionUnitSplitter().split_many(texts, langs)
    keys = [f"{rows[u.item_index][0]}:{u.unit_index}" for u in units]
    return (
        [u.text for u in units],
        [langs[u.item_index] for u in units],
        keys,
        [u.item_index for u in units],
    )


@pytest.mark.slow
def test_remining_the_demo_after_two_percent_more_keeps_ids_and_titles() -> None:
    from feedback_nlp.models import load_model

    try:
        embedder = load_model("e5-small-multilingual")
    except FeedbackNLPError as error:
        pytest.skip(f"e5 model not built: {error}")
    with (DEMO / "feedback.csv").open(encoding="utf-8", newline="") as handle:
        old_rows = [(r["id"], r["text"], r["lang"]) for r in csv.DictReader(handle)]
    sys.path.insert(0, str(DEMO))
    from generate import generate_rows  # type: ignore[import-not-found]

    extra = [(f"new-{r.id}", r.text, r.lang) for r in generate_rows(seed=14, n=30)]
    registry = ThemeRegistry()
    runs = []
    for rows in (old_rows, old_rows + extra):
        texts, langs, keys, items = _units(rows)
        vectors = np.asarray(embedder.encode(content_texts(texts)), dtype=np.float32)
        result = ThemeMiner(n_resamples=0, unit_items=items).fit(vectors, texts, langs)
        ids = registry.update(result, vectors, keys, langs, space="e5")
        unit_ids = {
            key: ids[t] for key, t in zip(keys, result.assignments.tolist(), strict=True) if t >= 0
        }
        titles = {ids[t.index]: t.title for t in result.themes}
        runs.append((unit_ids, titles))
    (before, titles_before), (after, titles_after) = runs
    kept = sum(after.get(key) == theme for key, theme in before.items()) / len(before)
    same = [titles_after[i] == t for i, t in titles_before.items() if i in titles_after]
    assert kept >= 0.95, kept
    assert sum(same) / len(titles_before) >= 0.90, (sum(same), len(titles_before))
