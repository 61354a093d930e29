"""The incremental analytics state: merged snapshots equal a rebuild from every row."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.loader import frame_from_records
from feedback_nlp.analytics.persist import MANIFEST, load_snapshot
from feedback_nlp.analytics.state import AnalyticsState, Snapshot
from feedback_nlp.analytics.state.memo import Served
from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.store import Store
from tests.report.cx_data import seed_other, seed_workspace


def _item(
    external_id: str,
    text: str = "Slow refunds.",
    *,
    nps: int | None = 2,
    segments: dict[str, str] | None = None,
    source: str | None = None,
    day: int = 5,
) -> PreparedFeedback:
    feedback = FeedbackIn(
        external_id=external_id,
        text=text,
        created_at=datetime(2026, 10, day, tzinfo=UTC),
        nps=nps,
        segments=segments or {},
        source=source,
    )
    return PreparedFeedback(item=feedback, lang="en", lang_confidence=0.9)


def assert_same_frame(got: FeedbackFrame, expected: FeedbackFrame) -> None:
    """Every part of two frames is equal (values, dtypes, order)."""
    pd.testing.assert_frame_equal(got.items, expected.items)
    pd.testing.assert_frame_equal(got.units, expected.units)
    assert got.segments == expected.segments
    assert got.theme_ids == expected.theme_ids
    np.testing.assert_array_equal(got.mentions, expected.mentions)


def rebuilt(store: Store, workspace_id: int) -> FeedbackFrame:
    return frame_from_records(store.analytics_records(workspace_id))


def test_state_merges_new_and_changed_items_like_a_rebuild(store: Store) -> None:
    ws = seed_workspace(store)
    seed_other(store)
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    assert_same_frame(first.frame, rebuilt(store, ws))
    store.upsert_feedback(
        ws,
        [
            _item("new-1", segments={"plan": "pro", "tier": "gold"}),
            _item("new-2", nps=None, source="survey"),
            _item("d", "A different text now.", nps=9),  # text changed: its units go
            _item("a", "Fair price", nps=3, segments={"plan": "pro", "region": "eu"}),
        ],
    )
    merged = state.snapshot(store, ws)
    assert merged.version > first.version
    assert merged.frame.n_items == 10
    assert "tier" in merged.frame.segments
    assert "source" in merged.frame.segments
    assert_same_frame(merged.frame, rebuilt(store, ws))
    assert first.frame.n_items == 8  # the published snapshot never changes


def test_state_unchanged_data_keeps_the_snapshot(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    assert state.snapshot(store, ws) is first
    assert state.get(store, ws).cached


def test_state_rebuilds_when_a_mining_run_or_rename_lands(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    store.rename_theme(ws, "t2", "Pricing")
    renamed = state.snapshot(store, ws)
    assert renamed is not first
    assert_same_frame(renamed.frame, rebuilt(store, ws))


def test_state_repair_finds_an_item_committed_below_the_watermark(store: Store) -> None:
    ws = seed_workspace(store)
    clock = [0.0]
    state = AnalyticsState(repair_interval=10.0, clock=lambda: clock[0])
    state.snapshot(store, ws)
    store.upsert_feedback(ws, [_item("late")])
    # Pretend the snapshot had already seen a newer write: "late" is below both watermarks.
    snapshot = state.snapshot(store, ws)
    entry = state._entries[ws]
    parts = snapshot.parts
    keep = np.asarray(parts.frame.items["item_id"] != "late")
    hidden = type(snapshot)(
        parts=type(parts)(
            parts.frame.subset(keep), parts.ids[keep], parts.segment_keys, parts.source_field
        ),
        marks=snapshot.marks,
        max_id=snapshot.max_id,
        updated=snapshot.updated,
        version=snapshot.version,
        repaired_at=snapshot.repaired_at,
    )
    entry.snapshot = hidden
    assert state.snapshot(store, ws).frame.n_items == 8  # no repair due yet
    clock[0] = 11.0
    repaired = state.snapshot(store, ws)
    assert repaired.frame.n_items == 9
    assert_same_frame(repaired.frame, rebuilt(store, ws))


class _WriteBeforeRepairRead:
    """The store, with one more write committed between a refresh's delta read and its repair."""

    def __init__(self, store: Store, workspace_id: int) -> None:
        self.store, self.workspace_id = store, workspace_id
        self.pending = [_item("between-reads", nps=10)]
        self.delta_rows: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def analytics_rows(self, workspace_id: int, **kwargs: Any) -> Any:
        rows = self.store.analytics_rows(workspace_id, **kwargs)
        if "ids" not in kwargs:
            self.delta_rows.append(len(rows.ids))
        return rows

    def analytics_updates(self, workspace_id: int, *, since: datetime) -> Any:
        if self.pending:
            self.store.upsert_feedback(self.workspace_id, self.pending)
            self.pending = []
        return self.store.analytics_updates(workspace_id, since=since)


def test_state_repair_merges_writes_since_the_delta_read_and_moves_the_watermark(
    store: Store,
) -> None:
    ws = seed_workspace(store)
    clock = [0.0]
    state = AnalyticsState(repair_interval=10.0, clock=lambda: clock[0])
    state.snapshot(store, ws)
    source = _WriteBeforeRepairRead(store, ws)
    store.upsert_feedback(ws, [_item("new-1")])
    clock[0] = 11.0  # a repair pass is due
    repaired = state.snapshot(source, ws)  # type: ignore[arg-type]
    assert repaired.frame.n_items == 10
    assert_same_frame(repaired.frame, rebuilt(store, ws))
    stamps = dict(store.analytics_updates(ws, since=datetime(2000, 1, 1, tzinfo=UTC)))
    assert repaired.updated == max(stamps.values())
    store.upsert_feedback(ws, [_item("new-2")])
    again = state.snapshot(source, ws)  # type: ignore[arg-type]
    assert source.delta_rows == [1, 1]  # new-1, then new-2 alone (not between-reads again)
    assert_same_frame(again.frame, rebuilt(store, ws))


def test_state_readers_do_not_wait_for_a_refresh(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    store.upsert_feedback(ws, [_item("new-1")])
    entry = state._entries[ws]
    with entry.builder:  # another request is refreshing
        served = []
        reader = threading.Thread(target=lambda: served.append(state.snapshot(store, ws)))
        reader.start()
        reader.join(timeout=5)
        assert served == [first]
    assert state.snapshot(store, ws).frame.n_items == 9


def test_state_restart_loads_the_saved_snapshot_and_catches_up(
    store: Store, tmp_path: Path
) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(directory=tmp_path / "state", namespace="db")
    state.snapshot(store, ws)
    state.close()
    (saved,) = (tmp_path / "state").iterdir()
    assert (saved / MANIFEST).exists()
    store.upsert_feedback(ws, [_item("after-save"), _item("b", nps=0)])
    restarted = AnalyticsState(directory=tmp_path / "state", namespace="db")
    calls: list[str] = []
    original = store.analytics_rows

    def counting(*args: object, **kwargs: object) -> object:
        calls.append("everything" if not kwargs else "delta")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    store.analytics_rows = counting  # type: ignore[method-assign]
    try:
        caught_up = restarted.snapshot(store, ws)
    finally:
        del store.analytics_rows
    assert calls == ["delta"]  # no full read, nothing read twice
    assert_same_frame(caught_up.frame, rebuilt(store, ws))


@pytest.mark.parametrize("damage", ["truncate", "manifest", "foreign"])
def test_state_restart_ignores_a_damaged_or_foreign_snapshot(
    store: Store, tmp_path: Path, damage: str
) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(directory=tmp_path / "state", namespace="db")
    state.snapshot(store, ws)
    state.close()
    (saved,) = (tmp_path / "state").iterdir()
    if damage == "truncate":  # a kill while a data file was written (before the manifest)
        data = next(p for p in saved.iterdir() if p.name.startswith("units-"))
        data.write_bytes(data.read_bytes()[:20])
    elif damage == "manifest":
        (saved / MANIFEST).write_text('{"format": "feedback-nlp.analytics-state.v1", "fi')
    assert damage == "foreign" or load_snapshot(saved) is None
    namespace = "another-db" if damage == "foreign" else "db"
    restarted = AnalyticsState(directory=tmp_path / "state", namespace=namespace)
    assert_same_frame(restarted.snapshot(store, ws).frame, rebuilt(store, ws))


def _next_snapshot(state: AnalyticsState, ws: int, after: object, *, tries: int = 200) -> Snapshot:
    """The snapshot the background refresh publishes after ``after`` (polled every 50 ms)."""
    for _ in range(tries):
        entry = state._entries[ws]
        if entry.snapshot is not after and not entry.refreshing:
            break
        threading.Event().wait(0.05)
    fresh = state._entries[ws].snapshot
    assert fresh is not None
    assert fresh is not after
    return fresh


def test_state_large_workspaces_refresh_in_the_background_and_warm_answers(
    store: Store,
) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0)
    first = state.snapshot(store, ws)

    def count(snapshot: object) -> int:
        return state_frame(snapshot).n_items

    def state_frame(snapshot: object) -> FeedbackFrame:
        assert hasattr(snapshot, "frame")
        return snapshot.frame  # type: ignore[no-any-return]

    assert first.memo.get("n", lambda: count(first), count) == 8
    assert first.memo.get("n", lambda: -1, count) == 8  # asked again: worth warming
    first.memo.get("once", lambda: 0, count)  # a one-off question is not warmed

    def pro(frame: FeedbackFrame) -> FeedbackFrame:
        return frame.where({"plan": "pro"})

    for _ in range(2):
        first.frames.get("pro", lambda: pro(first.frame), pro)
    store.upsert_feedback(
        ws, [_item("new-1"), _item("new-2", segments={"plan": "pro", "region": "eu"})]
    )
    assert state.snapshot(store, ws) is first  # answered at once from the current snapshot
    fresh = _next_snapshot(state, ws, first, tries=100)
    assert_same_frame(fresh.frame, rebuilt(store, ws))
    computed: list[int] = []
    assert fresh.memo.get("n", lambda: computed.append(1) or 0) == 10  # warmed before publication
    assert computed == []
    carried = fresh.frames.peek("pro")  # the old filtered frame with the new pro item appended
    assert carried is not None
    assert_same_frame(carried, pro(rebuilt(store, ws)))
    assert fresh.memo.get("once", lambda: -1) == -1
    state.close(timeout=30)  # its poller would go on reading a database the fixture drops


def _n_items(snapshot: Snapshot) -> int:
    return snapshot.frame.n_items


def test_state_serves_an_unwarmed_answer_stale_while_it_is_recomputed(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0, warm_budget=-1.0)  # never warms
    first = state.snapshot(store, ws)
    for _ in range(2):
        first.memo.get("n", lambda: _n_items(first), _n_items)
    store.upsert_feedback(ws, [_item("new-1"), _item("new-2")])
    assert state.snapshot(store, ws) is first
    fresh = _next_snapshot(state, ws, first)
    assert fresh.frame.n_items == 10
    value, served = fresh.memo.answer("n", lambda: -1)
    assert (value, served.stale_as_of) == (8, first.built_at)  # at once, from the snapshot before
    for _ in range(200):  # one background computation over the newest snapshot replaces it
        if fresh.memo.is_fresh("n"):
            break
        threading.Event().wait(0.05)
    assert fresh.memo.answer("n", lambda: -1) == (10, Served())
    state.close(timeout=30)


def test_state_never_serves_an_answer_stale_after_a_theme_edit(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0, warm_budget=-1.0)
    first = state.snapshot(store, ws)
    for _ in range(2):
        first.memo.get("labels", lambda: "old", lambda _snapshot: "new")
    store.rename_theme(ws, "t2", "Pricing")
    assert state.snapshot(store, ws) is first
    renamed = _next_snapshot(state, ws, first)
    assert renamed.memo.answer("labels", lambda: "new") == ("new", Served())
    state.close(timeout=30)


def test_state_close_waits_for_background_refreshes_and_starts_no_more(store: Store) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0)
    first = state.snapshot(store, ws)
    store.upsert_feedback(ws, [_item("new-1")])
    assert state.snapshot(store, ws) is first  # a refresh starts in the background
    started = [*state._refreshers, state._poller]
    assert started[0] is not None
    state.close(timeout=30)
    assert not any(t is not None and t.is_alive() for t in started)
    store.upsert_feedback(ws, [_item("new-2")])
    # closed: answers come from the last snapshot and no new thread reads the database
    assert state.snapshot(store, ws).frame.n_items in (8, 9)
    assert state._refreshers == started[:-1]
    assert not any(t.is_alive() for t in state._refreshers)


def test_state_merge_carries_derived_codes_that_equal_a_recomputation(store: Store) -> None:
    from feedback_nlp.analytics.breakdown import score_columns
    from feedback_nlp.analytics.impact import _quote_order
    from feedback_nlp.analytics.trends import _pool_cells

    ws = seed_workspace(store)
    state = AnalyticsState()
    first = state.snapshot(store, ws).frame
    first.segment_codes("plan")
    first.segment_codes("region")
    first.period_codes("week")
    first.mention_cells()
    first.theme_csr()
    score_columns(first)
    _quote_order(first)
    _pool_cells(first)
    store.upsert_feedback(
        ws, [_item("n1", segments={"plan": "pro", "region": "mars"}, day=1), _item("n2", day=2)]
    )
    merged = state.snapshot(store, ws).frame
    assert merged.kept(("segment_codes", ("plan",))) is not None  # carried: no new plan value
    assert merged.kept(("segment_codes", ("region",))) is None  # "mars" is new: recomputed
    assert merged.kept(("period_codes", "week")) is not None
    fresh = rebuilt(store, ws)
    for by in ("plan", "region"):
        np.testing.assert_array_equal(merged.segment_codes(by)[0], fresh.segment_codes(by)[0])
        assert merged.segment_codes(by)[1] == fresh.segment_codes(by)[1]
    np.testing.assert_array_equal(merged.period_codes("week")[0], fresh.period_codes("week")[0])
    assert merged.period_codes("week")[1] == fresh.period_codes("week")[1]
    for got, expected in zip(merged.mention_cells(), fresh.mention_cells(), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(score_columns(merged), score_columns(fresh))
    assert merged.kept("quote_order") is not None
    for got, expected in zip(_quote_order(merged), _quote_order(fresh), strict=True):
        np.testing.assert_array_equal(got, expected)
    got_pool, expected_pool = _pool_cells(merged), _pool_cells(fresh)
    assert got_pool[0] == expected_pool[0]
    for got, expected in zip(got_pool[1:], expected_pool[1:], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert merged.kept("theme_csr") is not None
    np.testing.assert_array_equal(merged.theme_csr().toarray(), fresh.theme_csr().toarray())


_WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from feedback_nlp.analytics.state import AnalyticsState, Snapshot
from feedback_nlp.analytics.state.memo import Served
from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.store import open_store
store = open_store(sys.argv[1], migrate=False)
state = AnalyticsState(directory=Path(sys.argv[2]), namespace="db", persist_interval=0.0)
ws = int(sys.argv[3])
for k in range(100000):
    item = FeedbackIn(external_id=f"k{k}", text=f"Item {k}.", nps=k % 11,
                      created_at=datetime(2026, 9, 5, tzinfo=UTC))
    store.upsert_feedback(ws, [PreparedFeedback(item=item, lang="en", lang_confidence=0.9)])
    state.snapshot(store, ws)
    if k == 3:
        print("saving", flush=True)
"""


def test_state_sigkill_while_saving_loses_nothing(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import time

    ws = seed_workspace(store)
    directory = tmp_path / "state"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, database_url, str(directory), str(ws)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saving"
        time.sleep(1.5)  # saves and merges run back to back: the kill lands inside one
    finally:
        child.kill()
        child.wait(timeout=30)
    (saved,) = directory.iterdir()
    loaded = load_snapshot(saved)
    if loaded is not None:  # whatever survived is a complete snapshot of some earlier state
        parts, _ = loaded
        assert parts.frame.n_items == len(parts.ids) >= 8
    restarted = AnalyticsState(directory=directory, namespace="db")
    assert_same_frame(restarted.snapshot(store, ws).frame, rebuilt(store, ws))


def test_state_publishes_merged_items_before_it_warms_the_answers(store: Store) -> None:
    # The refresh thread publishes the next snapshot, then warms: while a warming computation
    # runs, the new snapshot is the current one, a question asked for the first time counts
    # the new items, and a recently used answer is served stale (never older than before).
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0)
    first = state.snapshot(store, ws)
    warming, release = threading.Event(), threading.Event()

    def slow_count(snapshot: Snapshot) -> int:
        if snapshot is not first:
            warming.set()
            release.wait(30)
        return snapshot.frame.n_items

    for _ in range(2):
        first.memo.get("n", lambda: slow_count(first), slow_count)
    store.upsert_feedback(ws, [_item("new-1"), _item("new-2")])
    state.snapshot(store, ws)  # notices the write: starts the background refresh
    try:
        assert warming.wait(30)  # the refresh thread is warming "n" over the next snapshot
        fresh = state._entries[ws].snapshot
        assert fresh is not None
        assert fresh is not first
        assert state.snapshot(store, ws) is fresh
        assert fresh.memo.get("new question", lambda: _n_items(fresh)) == 10
        value, served = fresh.memo.answer("n", lambda: -1)
        assert (value, served.stale_as_of) == (8, first.built_at)
    finally:
        release.set()
    for _ in range(200):
        if fresh.memo.is_fresh("n"):
            break
        threading.Event().wait(0.05)
    assert fresh.memo.answer("n", lambda: -1) == (10, Served())
    state.close(timeout=30)


def test_state_logs_each_background_refresh_with_its_times(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    ws = seed_workspace(store)
    state = AnalyticsState(sync_below=0, check_interval=0.0)
    first = state.snapshot(store, ws)
    caplog.set_level("DEBUG", logger="feedback_nlp.analytics.state.analytics_state")
    store.upsert_feedback(ws, [_item("new-1"), _item("new-2")])
    state.snapshot(store, ws)
    _next_snapshot(state, ws, first)
    state.close(timeout=30)
    lines = [r.getMessage() for r in caplog.records if "built in" in r.getMessage()]
    assert any(
        f"workspace {ws}: snapshot" in line and "merged, 8 -> 10 items" in line for line in lines
    ), lines
