"""Outcome columns reach the analytics frame: loader, incremental merges and saved snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.analytics.loader import frame_from_records
from feedback_nlp.analytics.merge import OUTCOME_ORDER
from feedback_nlp.analytics.persist import MANIFEST, load_snapshot
from feedback_nlp.analytics.state import AnalyticsState
from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.store import Store
from tests.analytics.test_state import assert_same_frame, rebuilt
from tests.report.cx_data import seed_workspace

OUTCOMES = {
    "a": {"customer_id": "c_00000000000000aa", "revenue": 100.0, "churned": False},
    "d": {
        "customer_id": "c_00000000000000dd",
        "resolution_minutes": 600.0,
        "first_response_minutes": 30.0,
        "churned": True,
        "churned_at": datetime(2026, 10, 1, tzinfo=UTC),
        "revenue": 5000.0,
    },
    "e": {"customer_id": "c_00000000000000aa", "resolution_minutes": 60.0},
}


def _item(external_id: str, **fields: object) -> PreparedFeedback:
    feedback = FeedbackIn(
        external_id=external_id,
        text="Slow refunds.",
        created_at=datetime(2026, 10, 5, tzinfo=UTC),
        nps=2,
        **fields,  # type: ignore[arg-type]
    )
    return PreparedFeedback(item=feedback, lang="en", lang_confidence=0.9)


def test_outcome_records_carry_the_columns(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    items = store.analytics_records(ws).items
    by_id = dict(zip(items["item_id"], range(len(items["item_id"])), strict=True))
    d = by_id["d"]
    assert items["customer_id"][d] == "c_00000000000000dd"
    assert items["churned"][d] is True
    assert (items["resolution_minutes"][d], items["revenue"][d]) == (600.0, 5000.0)
    assert items["churned"][by_id["a"]] is False
    assert items["revenue"][by_id["b"]] is None


def test_outcome_frame_has_typed_columns(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    frame = frame_from_records(store.analytics_records(ws))
    table = frame.items.set_index("item_id")
    assert [name for name in frame.items.columns if name in OUTCOME_ORDER] == list(OUTCOME_ORDER)
    assert table["churned"].dtype == np.float64
    assert table.loc["d", "churned"] == 1.0
    assert table.loc["a", "churned"] == 0.0
    assert np.isnan(table.loc["b", "churned"])
    assert table.loc["e", "customer_id"] == table.loc["a", "customer_id"]
    assert table.loc["b", "customer_id"] is None
    assert table.loc["d", "resolution_minutes"] == 600.0
    assert np.isnan(table.loc["a", "resolution_minutes"])
    assert table["revenue"].sum() == 5100.0
    assert not set(OUTCOME_ORDER) & set(frame.segments)


def test_outcome_workspace_without_outcomes_has_no_outcome_columns(store: Store) -> None:
    ws = seed_workspace(store)
    frame = frame_from_records(store.analytics_records(ws))
    assert not set(OUTCOME_ORDER) & set(frame.items.columns)


@pytest.mark.parametrize(
    "delta",
    [
        [_item("n1", revenue=7.0)],  # new column on a frame that had none of them
        [_item("n1", churned=True), _item("n2")],
        [_item("a", revenue=1.0, customer_id="c_0000000000000001")],  # a changed item
    ],
)
def test_outcome_merge_equals_a_rebuild(store: Store, delta: list[PreparedFeedback]) -> None:
    ws = seed_workspace(store, outcomes={"b": {"resolution_minutes": 5.0}})
    state = AnalyticsState()
    state.snapshot(store, ws)
    store.upsert_feedback(ws, delta)
    assert_same_frame(state.snapshot(store, ws).frame, rebuilt(store, ws))


def test_outcome_merge_drops_a_column_nobody_has_any_more(store: Store) -> None:
    ws = seed_workspace(store, outcomes={"b": {"revenue": 5.0}})
    state = AnalyticsState()
    assert "revenue" in state.snapshot(store, ws).frame.items.columns
    store.upsert_feedback(ws, [_item("b")])  # b loses its revenue
    merged = state.snapshot(store, ws).frame
    assert "revenue" not in merged.items.columns
    assert_same_frame(merged, rebuilt(store, ws))


def test_outcome_appended_items_with_outcomes_equal_a_rebuild(store: Store) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    state = AnalyticsState()
    state.snapshot(store, ws)
    store.upsert_feedback(ws, [_item("n1", revenue=3.0), _item("n2", churned=False)])
    assert_same_frame(state.snapshot(store, ws).frame, rebuilt(store, ws))


def test_outcome_snapshot_saves_and_loads_the_columns(store: Store, tmp_path: Path) -> None:
    ws = seed_workspace(store, outcomes=OUTCOMES)
    state = AnalyticsState(directory=tmp_path / "state", namespace="db")
    state.snapshot(store, ws)
    state.close()
    (saved,) = (tmp_path / "state").iterdir()
    manifest = json.loads((saved / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["outcomes"] == list(OUTCOME_ORDER)
    loaded = load_snapshot(saved)
    assert loaded is not None
    assert_same_frame(loaded[0].frame, rebuilt(store, ws))
    store.upsert_feedback(ws, [_item("n1", revenue=9.0)])
    restarted = AnalyticsState(directory=tmp_path / "state", namespace="db")
    assert_same_frame(restarted.snapshot(store, ws).frame, rebuilt(store, ws))


def test_outcome_snapshot_of_the_old_format_loads_and_catches_up(
    store: Store, tmp_path: Path
) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(directory=tmp_path / "state", namespace="db")
    state.snapshot(store, ws)
    state.close()
    (saved,) = (tmp_path / "state").iterdir()
    manifest = json.loads((saved / MANIFEST).read_text(encoding="utf-8"))
    del manifest["outcomes"]  # as written before outcomes existed
    (saved / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert load_snapshot(saved) is not None
    store.upsert_feedback(ws, [_item("n1", revenue=9.0, churned=True)])
    restarted = AnalyticsState(directory=tmp_path / "state", namespace="db")
    frame = restarted.snapshot(store, ws).frame
    assert {"revenue", "churned"} <= set(frame.items.columns)
    assert_same_frame(frame, rebuilt(store, ws))
