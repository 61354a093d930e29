"""The read routes over the analytics state: writes of other processes, renames, restarts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api_support import bearer, make_settings
from fastapi.testclient import TestClient

from api.analytics_deps import AS_OF_HEADER, STALE_HEADER, STATE_DIRECTORY
from api.main import create_app
from feedback_nlp.analytics.state import AnalyticsState
from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.store import open_store
from tests.report.cx_data import seed_workspace


def _get(client: TestClient, key: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


def _detractor(external_id: str) -> PreparedFeedback:
    item = FeedbackIn(
        external_id=external_id,
        text="Never again.",
        created_at=datetime(2026, 10, 3, tzinfo=UTC),
        nps=0,
        segments={"plan": "pro"},
    )
    return PreparedFeedback(item=item, lang="en", lang_confidence=0.9)


def test_reads_see_writes_of_another_process_and_renames(database_url: str, tmp_path: Path) -> None:
    store = open_store(database_url)  # stands for `feedback-nlp ingest` in another process
    try:
        ws = seed_workspace(store)
        key = store.create_api_key("acme")
        settings = make_settings(tmp_path, database_url=database_url)
        with TestClient(create_app(settings)) as client:
            before = _get(client, key, "/v1/metrics/nps")["overall"]
            assert before["n_items"] == 8
            assert _get(client, key, "/v1/themes")[0]["label"] == "Late delivery"
            store.upsert_feedback(ws, [_detractor("x1"), _detractor("x2")])
            after = _get(client, key, "/v1/metrics/nps")["overall"]
            assert after["n_items"] == 10
            assert after["detractors"] == before["detractors"] + 2
            store.rename_theme(ws, "t1", "Slow parcels")
            themes = {t["id"]: t["label"] for t in _get(client, key, "/v1/themes")}
            assert themes["t1"] == "Slow parcels"
            issues = _get(client, key, "/v1/insights/top-detractor-issues")["issues"]
            assert issues[0]["label"] == "Slow parcels"
    finally:
        store.close()


def test_restart_loads_the_saved_state_and_answers_the_same(
    database_url: str, tmp_path: Path
) -> None:
    store = open_store(database_url)
    try:
        seed_workspace(store)
        key = store.create_api_key("acme")
    finally:
        store.close()
    settings = make_settings(tmp_path, database_url=database_url)
    paths: list[tuple[str, dict[str, str]]] = [
        ("/v1/metrics/scores", {"by": "plan"}),
        ("/v1/insights/segments", {"by": "region"}),
        ("/v1/insights/trends", {}),
        ("/v1/insights/top-detractor-issues", {}),
    ]
    with TestClient(create_app(settings)) as client:
        first = [_get(client, key, path, **params) for path, params in paths]
        client.app.state.frame_cache.close()  # type: ignore[attr-defined]
    assert list((tmp_path / STATE_DIRECTORY).glob("*/current.json")), "the state was not saved"
    with TestClient(create_app(settings)) as client:
        again = [_get(client, key, path, **params) for path, params in paths]
    assert again == first


def test_a_large_workspace_answers_stale_with_headers_while_recomputing(
    database_url: str, tmp_path: Path
) -> None:
    store = open_store(database_url)
    try:
        ws = seed_workspace(store)
        key = store.create_api_key("acme")
        settings = make_settings(tmp_path, database_url=database_url)
        with TestClient(create_app(settings)) as client:
            state = AnalyticsState(sync_below=0, check_interval=0.0, warm_budget=-1.0)
            client.app.state.frame_cache = state  # type: ignore[attr-defined]
            for _ in range(2):  # asked again: worth keeping up to date
                first = client.get("/v1/metrics/nps", headers=bearer(key))
            assert first.json()["overall"]["n_items"] == 8
            assert STALE_HEADER not in first.headers
            first_as_of = first.headers[AS_OF_HEADER]
            published = state._entries[ws].snapshot
            store.upsert_feedback(ws, [_detractor("x1"), _detractor("x2")])
            seen: list[tuple[int, str | None, str]] = []
            for _ in range(200):
                response = client.get("/v1/metrics/nps", headers=bearer(key))
                n_items = response.json()["overall"]["n_items"]
                seen.append(
                    (n_items, response.headers.get(STALE_HEADER), response.headers[AS_OF_HEADER])
                )
                if n_items == 10:
                    break
                threading.Event().wait(0.05)
            assert state._entries[ws].snapshot is not published
            assert seen[-1][:2] == (10, None)
            assert seen[-1][2] > first_as_of
            stale = [entry for entry in seen if entry[1] == "true"]
            assert stale, seen  # the newer snapshot's first answer was the one before's
            assert all(entry[0] == 8 and entry[2] == first_as_of for entry in stale)
            state.close(timeout=30)
    finally:
        store.close()
