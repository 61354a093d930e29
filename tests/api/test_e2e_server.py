"""The real server in a subprocess: the demo corpus over HTTP, a mine job, themes."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import (
    FAST_EMBEDDER,
    cli_create_key,
    fetch_all_ids,
    postgres_database,
    running_server,
    server_env,
    wait_for_job,
)

from feedback_nlp.demo import read_demo_items

pytestmark = pytest.mark.slow

DEFAULT_EMBEDDER = "e5-small-multilingual"
BATCH = 500


@pytest.fixture(
    params=[
        pytest.param(("sqlite", DEFAULT_EMBEDDER), id="sqlite-e5-multilingual"),
        pytest.param(("postgres", FAST_EMBEDDER), id="postgres-minilm", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    kind, embedder = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'feedback.sqlite3'}", embedder
        return
    base = os.environ.get("FEEDBACK_NLP_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("FEEDBACK_NLP_TEST_POSTGRES_URL is not set (a PostgreSQL server URL)")
    with postgres_database(base) as url:
        yield url, embedder


def test_e2e_server_ingests_mines_and_serves_the_demo_corpus(
    backend: tuple[str, str], tmp_path: Path
) -> None:
    database_url, embedder = backend
    env = server_env(database_url, tmp_path / "var", FEEDBACK_NLP_MODELS__EMBEDDER=embedder)
    key = cli_create_key(env, "demo")
    items = read_demo_items()
    assert len(items) == 1500

    with running_server(env, tmp_path / "server.log") as server, server.client(key) as client:
        created = 0
        for start in range(0, len(items), BATCH):
            response = client.post("/v1/feedback", json={"items": items[start : start + BATCH]})
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["rejected"], body["errors"]) == (0, [])
            created += body["created"]
        assert created == 1500
        resent = client.post("/v1/feedback", json={"items": items[:BATCH]}).json()
        assert (resent["created"], resent["updated"], resent["unchanged"]) == (0, 0, BATCH)
        assert sorted(fetch_all_ids(client, page_size=400)) == sorted(i["id"] for i in items)
        enterprise = client.get(
            "/v1/feedback", params={"segment": "plan:enterprise", "limit": 1000}
        ).json()["items"]
        expected = sum(1 for i in items if i["segments"]["plan"] == "enterprise")  # type: ignore[index]
        assert len(enterprise) == expected

        response = client.post("/v1/jobs", json={"kind": "mine"})
        assert response.status_code == 202, response.text
        job = wait_for_job(client, response.json()["id"])
        assert job["state"] == "succeeded", (job, server.log_tail())
        assert job["progress"] == 1.0
        assert job["started_at"] is not None
        assert job["finished_at"] is not None

        themes = client.get("/v1/themes").json()
        leaves = [theme for theme in themes if theme["level"] == 0]
        assert len(leaves) >= 3, themes
        assert all(theme["size"] > 0 and theme["label"] for theme in leaves)
        top = max(leaves, key=lambda theme: theme["size"])
        detail = client.get(f"/v1/themes/{top['id']}").json()
        assert detail["id"] == top["id"]
        assert detail["quotes"]
        assert detail["n_items"] > 0
        assert detail["n_nps"] > 0
        assert -100 <= detail["nps"] <= 100
        assert set(detail["segments"]) == {"plan", "region", "channel"}
        assert sum(detail["segments"]["plan"].values()) == detail["n_items"]
        in_theme = client.get("/v1/feedback", params={"theme": top["id"], "limit": 1000}).json()
        assert len(in_theme["items"]) == detail["n_items"]
        assert all(top["id"] in item["theme_ids"] for item in in_theme["items"])

        renamed = client.patch(f"/v1/themes/{top['id']}", json={"label": "Top theme"}).json()
        assert renamed["label"] == "Top theme"
        assert 'feedback_nlp_jobs{state="succeeded"} 1.0' in client.get("/metrics").text
    # uvicorn re-raises the SIGTERM it handled, after a complete graceful shutdown.
    assert server.process.returncode in {0, -signal.SIGTERM}, server.log_tail()
    assert "Application shutdown complete." in server.log_tail()
