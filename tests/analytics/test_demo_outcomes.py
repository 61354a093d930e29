"""The outcome effects planted in the demo corpus are found, and only they (issue 19).

The themes are the generator's own labels of each row (``generate_rows``, the rows of
``corpora/demo/feedback.csv``), so this checks the statistics, not the miner; the outcomes are
the CSV's, turned into minutes from ``created_at`` as ingest does.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.churn import churn_lift
from feedback_nlp.analytics.durations import duration_effect
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.ranking import ranked_issues
from tests.file_modules import load_file_module

DEMO_DIR = Path(__file__).resolve().parents[2] / "corpora" / "demo"
FDR = 0.05


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def demo_frame(manifest: dict[str, Any]) -> FeedbackFrame:
    with (DEMO_DIR / "feedback.csv").open(encoding="utf-8", newline="") as handle:
        table = pd.DataFrame(list(csv.DictReader(handle))).replace("", None)
    generator = load_file_module("demo_corpus_generate", DEMO_DIR / "generate.py")
    rows = generator.generate_rows(manifest["generator"]["seed"], len(table))
    assert [row.id for row in rows] == table["id"].tolist()
    created = pd.to_datetime(table["created_at"], utc=True)

    def minutes(column: str) -> np.ndarray:
        elapsed = pd.to_datetime(table[column], utc=True) - created
        return np.asarray(elapsed.dt.total_seconds() / 60.0, dtype=np.float64)

    items = pd.DataFrame(
        {
            "item_id": table["id"],
            "created_at": table["created_at"],
            "nps": table["nps"],
            "plan": table["plan"],
            "customer_id": table["customer_id"],
            "first_response_minutes": minutes("first_response_at"),
            "resolution_minutes": minutes("resolved_at"),
            "churned": table["churned"].map({"true": 1.0, "false": 0.0}),
            "revenue": pd.to_numeric(table["revenue"]),
        }
    )
    units = pd.DataFrame([{"item_id": r.id, "theme_id": t} for r in rows for t in r.themes])
    return FeedbackFrame.from_frames(items, units)


def test_demo_sso_tickets_resolve_slower(
    demo_frame: FeedbackFrame, manifest: dict[str, Any]
) -> None:
    planted = manifest["outcomes"]["planted"]["login_sso_resolution"]
    table = duration_effect(demo_frame).set_index("theme_id")
    sso = table.loc["login_sso"]
    assert sso["median_mentioning"] == pytest.approx(planted["median_minutes_login_sso"], abs=0.1)
    assert sso["median_other"] == pytest.approx(planted["median_minutes_other"], abs=0.1)
    assert sso["effect_low"] > 0
    assert set(table.index[table["q_value"] <= FDR]) == {"login_sso"}


def test_demo_price_complaints_churn_more(
    demo_frame: FeedbackFrame, manifest: dict[str, Any]
) -> None:
    planted = manifest["outcomes"]["planted"]["price_too_high_churn"]
    table = churn_lift(demo_frame).set_index("theme_id")
    price = table.loc["price_too_high"]
    # Counted per customer (the manifest counts rows), so near the planted lift, not equal.
    assert price["lift"] == pytest.approx(planted["observed_lift"], rel=0.1)
    assert price["lift_low"] > 1
    assert set(table.index[table["q_value"] <= FDR]) == {"price_too_high"}
    top = ranked_issues(demo_frame, "churn_lift", limit=1)
    assert top["theme_id"].tolist() == ["price_too_high"]
