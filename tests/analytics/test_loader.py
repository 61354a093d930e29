"""Reading stored rows into the analytics frame."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.domain import AnalyticsRecords, FeedbackIn, PreparedFeedback
from feedback_nlp.report.bundle import build_report_bundle
from feedback_nlp.store import Store
from tests.report.cx_data import seed_workspace


def _dated(external_id: str, created_at: datetime) -> PreparedFeedback:
    feedback = FeedbackIn(
        external_id=external_id, text="Slow refunds.", created_at=created_at, nps=2
    )
    return PreparedFeedback(item=feedback, lang="en", lang_confidence=0.9)


@pytest.mark.parametrize("year", [399, 5209])
def test_frame_reads_dates_outside_pandas_range_as_unknown(
    store: Store, year: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Ingest now refuses such dates (E108); rows stored before that must not break analytics.
    ws = seed_workspace(store)
    store.upsert_feedback(ws, [_dated("ancient", datetime(year, 1, 1, tzinfo=UTC))])
    frame = FrameCache().get(store, ws).frame
    created = frame.items.set_index("item_id")["created_at"]
    assert pd.isna(created["ancient"])
    assert created.drop("ancient").notna().any()
    assert frame.n_items == 9
    assert "1 item has a created_at outside" in caplog.text
    assert "ancient" not in caplog.text  # ids may carry PII: counts only in logs
    bundle = build_report_bundle(store, ws)
    assert bundle.counts["items_total"] == 9


class GatedSource:
    """An analytics source whose reads can be held open; counts reads per workspace."""

    def __init__(self) -> None:
        self.versions: dict[int, int] = {}
        self.reads: dict[int, int] = {}
        self.gates: dict[int, threading.Event] = {}
        self.reading: dict[int, threading.Event] = {}

    def write(self, workspace_id: int) -> None:
        self.versions[workspace_id] = self.versions.get(workspace_id, 0) + 1

    def analytics_version(self, workspace_id: int) -> tuple[Any, ...]:
        return (self.versions.get(workspace_id, 0),)

    def analytics_records(self, workspace_id: int) -> AnalyticsRecords:
        version = self.analytics_version(workspace_id)
        self.reads[workspace_id] = self.reads.get(workspace_id, 0) + 1
        self.reading.setdefault(workspace_id, threading.Event()).set()
        self.gates.setdefault(workspace_id, threading.Event()).wait(timeout=10)
        items: dict[str, list[Any]] = {
            "item_id": [f"i{version[0]}"],
            "created_at": ["2026-01-01T00:00:00"],
            "nps": [3],
            "csat": [None],
            "ces": [None],
            "source": [None],
            "segments": [{}],
        }
        units: dict[str, list[Any]] = {
            "item_id": [], "theme_id": [], "sentiment": [], "label": [], "text": []
        }  # fmt: skip
        return AnalyticsRecords(version=version, items=items, units=units, theme_ids=())


def test_frame_cache_requests_queued_behind_a_rebuild_share_the_next_one() -> None:
    source, cache = GatedSource(), FrameCache()
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(cache.get, source, 1)
        assert source.reading.setdefault(1, threading.Event()).wait(timeout=10)
        source.write(1)  # a write lands while the first frame is being built
        waiting = [pool.submit(cache.get, source, 1) for _ in range(5)]
        time.sleep(0.3)  # all five are queued behind the first build
        source.gates.setdefault(1, threading.Event()).set()
        built = first.result(timeout=10)
        later = [future.result(timeout=10) for future in waiting]
    assert source.reads[1] == 2  # not 6: the five queued requests share one rebuild
    assert built.frame.items["item_id"].tolist() == ["i0"]
    # Every queued request sees the write that landed before it arrived.
    assert {id(loaded.frame) for loaded in later} == {id(later[0].frame)}
    assert later[0].frame.items["item_id"].tolist() == ["i1"]
    assert cache.get(source, 1).cached


def test_frame_cache_serves_other_workspaces_while_one_builds() -> None:
    source, cache = GatedSource(), FrameCache()
    source.gates.setdefault(2, threading.Event()).set()
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(cache.get, source, 1)
        assert source.reading.setdefault(1, threading.Event()).wait(timeout=10)
        other = pool.submit(cache.get, source, 2).result(timeout=5)
        assert not slow.done()
        source.gates.setdefault(1, threading.Event()).set()
        slow.result(timeout=10)
    assert other.frame.items["item_id"].tolist() == ["i0"]
    assert source.reads == {1: 1, 2: 1}
