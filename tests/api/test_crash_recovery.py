"""SIGKILL the real server during ingestion and during a mine job; restart; nothing is lost."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import (
    FAST_EMBEDDER,
    bearer,
    cli_create_key,
    fetch_all_ids,
    postgres_database,
    running_server,
    server_env,
    start_server,
    wait_for_job,
)

from feedback_nlp.demo import read_demo_items

pytestmark = pytest.mark.slow

BATCHES = 200
BATCH_SIZE = 100


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
        yield server_env(url, tmp_path / "var", FEEDBACK_NLP_MODELS__EMBEDDER=FAST_EMBEDDER)
        return
    base = os.environ.get("FEEDBACK_NLP_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("FEEDBACK_NLP_TEST_POSTGRES_URL is not set (a PostgreSQL server URL)")
    with postgres_database(base) as url:
        yield server_env(url, tmp_path / "var", FEEDBACK_NLP_MODELS__EMBEDDER=FAST_EMBEDDER)


def batch_items(batch: int) -> list[dict[str, object]]:
    return [
        {"id": f"b{batch:03d}-{n:03d}", "text": f"Order {batch}-{n} arrived late and damaged."}
        for n in range(BATCH_SIZE)
    ]


class Poster(threading.Thread):
    """Posts batches one after another; records which got a 2xx answer."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.acked: list[int] = []
        self.attempted: list[int] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=60) as client:
            for batch in range(BATCHES):
                self.attempted.append(batch)
                try:
                    response = client.post("/v1/feedback", json={"items": batch_items(batch)})
                except httpx.HTTPError:
                    return
                if response.is_success:
                    self.acked.append(batch)


def test_crash_during_ingest_keeps_every_acknowledged_item_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = cli_create_key(env, "crash")
    server = start_server(env, tmp_path / "server.log")
    poster = Poster(server.url, key)
    poster.start()
    deadline = time.monotonic() + 300
    while len(poster.acked) < 5 and poster.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # mid-stream: the poster is sending its next batch
    poster.join(timeout=120)
    assert not poster.is_alive()
    assert len(poster.acked) >= 5
    assert len(poster.acked) < BATCHES, "the server was killed after every batch had landed"

    with running_server(env, tmp_path / "server.log") as again, again.client(key) as client:
        ids = fetch_all_ids(client)
    assert len(ids) == len(set(ids)), "an item is stored twice"
    stored = set(ids)
    for batch in poster.acked:
        assert {item["id"] for item in batch_items(batch)} <= stored, f"acked batch {batch} lost"
    for batch in set(poster.attempted) - set(poster.acked):
        ids_of_batch = {str(item["id"]) for item in batch_items(batch)}
        assert ids_of_batch <= stored or not ids_of_batch & stored, "a batch landed in part"
    assert stored <= {str(i["id"]) for b in poster.attempted for i in batch_items(b)}


def test_crash_during_mine_job_requeues_and_finishes_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    key = cli_create_key(env, "crash")
    server = start_server(env, tmp_path / "server.log")
    with server.client(key) as client:
        response = client.post("/v1/feedback", json={"items": read_demo_items()})
        assert response.json()["created"] == 1500
        job_id = client.post("/v1/jobs", json={"kind": "mine"}).json()["id"]
        deadline = time.monotonic() + 300
        while True:
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["state"] == "running" and job["progress"] >= 0.1:  # split or later
                break
            assert job["state"] in {"queued", "running"}, job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
    server.kill()
    assert job["attempts"] == 1

    with running_server(env, tmp_path / "server.log") as again, again.client(key) as client:
        finished = wait_for_job(client, job_id)
        metrics = client.get("/metrics").text
        themes = client.get("/v1/themes").json()
    # First interruption (1 attempt of 3): the restarted worker re-queues the job and runs it.
    assert "recovered 1 interrupted job" in again.log_tail(200_000)
    assert finished["state"] == "succeeded", (finished, again.log_tail())
    assert finished["attempts"] == 2
    assert finished["progress"] == 1.0
    assert themes
    assert 'feedback_nlp_jobs{state="running"} 0.0' in metrics
