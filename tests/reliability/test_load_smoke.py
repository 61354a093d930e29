"""A five-second load smoke test: two users over every endpoint of the mix, no error.

The bounded load test itself is ``bench/bench_load.py`` (16 users, 60 s, 20,000 mined items; its
numbers are in ``bench/RESULTS.md``); the mix lives in :mod:`feedback_nlp.testing.load`.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from feedback_nlp.demo import read_demo_items
from feedback_nlp.testing.load import ENDPOINTS, run_load
from tests.api.api_support import bearer
from tests.reliability.backends import create_key, inprocess_server, reliability_settings

pytestmark = pytest.mark.slow


def test_load_smoke_every_endpoint_answers_without_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    key = create_key(url, "load")
    items = read_demo_items()[:300]
    with inprocess_server(reliability_settings(url, tmp_path / "var")) as base:
        with httpx.Client(base_url=base, headers=bearer(key), timeout=300) as client:
            assert client.post("/v1/feedback", json={"items": items}).json()["created"] == 300
            job = client.post("/v1/jobs", json={"n_resamples": 0}).raise_for_status().json()
            deadline = time.monotonic() + 300
            while job["state"] in {"queued", "running"} and time.monotonic() < deadline:
                time.sleep(0.2)
                job = client.get(f"/v1/jobs/{job['id']}").raise_for_status().json()
            assert job["state"] == "succeeded", job
        report = run_load(base, key, items, users=2, duration_s=5.0, batch=20, seed=1)
    assert report.error_count == 0, report.errors
    assert all(len(report.latency_ms[name]) >= 1 for name in ENDPOINTS), report.latency_ms
    assert report.items_posted == 20 * len(report.latency_ms["POST /v1/feedback"])
    assert report.rate() > 0
