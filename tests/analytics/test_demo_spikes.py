"""The spike rule on the demo corpus with its true themes (the generator's labels, no model).

The mined-theme version of these checks is in ``test_demo_analytics.py`` (marked slow). Here the
themes are the ten the generator planted, so the checks are about the statistics alone: how the
exact test ranks the planted app-crash incident of 2026-09-21 (a release that crashes on start;
see ``corpora/demo/generate.py``) and how much noise is flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from feedback_nlp.analytics import FeedbackFrame
from feedback_nlp.analytics.trends import detect_spikes, theme_trends
from tests.file_modules import load_file_module

DEMO_DIR = Path(__file__).resolve().parents[2] / "corpora" / "demo"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def true_frame(manifest: dict[str, Any]) -> FeedbackFrame:
    """The demo corpus, each item in the themes the generator wrote it from."""
    generator = load_file_module("demo_corpus_generate", DEMO_DIR / "generate.py")
    rows = generator.generate_rows(manifest["generator"]["seed"], manifest["generator"]["n"])
    items = pd.DataFrame(
        [{"item_id": r.id, "created_at": r.created_at, "channel": r.channel} for r in rows]
    )
    units = pd.DataFrame([{"item_id": r.id, "theme_id": t} for r in rows for t in r.themes])
    return FeedbackFrame.from_frames(items, units, segments=["channel"])


def test_demo_true_themes_rank_the_planted_crash_week_first(
    true_frame: FeedbackFrame, manifest: dict[str, Any]
) -> None:
    # The release week's crash reports (MANIFEST: 50 of its 111 items mention app_crash, 12 of
    # the 209 of the 4 weeks before) give the smallest p of all tested cells, far below the rest.
    planted = manifest["spikes"][0]
    week = planted["weekly_mentions"][planted["start"]]
    trends = theme_trends(true_frame, "week")
    by_p = trends.dropna(subset=["p_value"]).sort_values("p_value", kind="stable")
    first, second = by_p.iloc[0], by_p.iloc[1]
    assert (first["theme_id"], first["period"]) == (planted["theme"], planted["start"])
    assert (first["mentions"], first["n_items"]) == (week["mentions"], week["items"])
    assert first["q_value"] <= 0.001
    assert second["q_value"] > 0.05


def test_demo_true_themes_flag_the_planted_week_and_nothing_else(
    true_frame: FeedbackFrame, manifest: dict[str, Any]
) -> None:
    planted = manifest["spikes"][0]
    old = theme_trends(true_frame, "week")
    assert int(((old["z"] > 2.0) & (old["mentions"] >= 5)).sum()) > 5  # the old rule: 20 cells
    spikes = detect_spikes(true_frame, "week")
    assert spikes[["theme_id", "period"]].values.tolist() == [[planted["theme"], planted["start"]]]
    assert (spikes["ratio"] >= 2.0).all()
