from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import bearer, make_settings, unique_name
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("metrics"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_requests_items_and_jobs(client: TestClient) -> None:
    key: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    items = [{"id": "a", "text": "Slow app."}, {"id": "b", "text": "Great."}, {"id": 3}]
    client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
    client.post("/v1/feedback", json={"items": items[:1]}, headers=bearer(key))
    job = client.post("/v1/jobs", json={}, headers=bearer(key)).json()
    client.post("/v1/jobs", json={}, headers=bearer(key))
    client.delete(f"/v1/jobs/{job['id']}", headers=bearer(key))
    client.get("/v1/jobs/unknown", headers=bearer(key))
    client.get("/v1/themes")  # no key: 401
    client.get("/no/such/path")

    samples = scrape(client)

    def requests(method: str, route: str, status: str) -> float:
        labels = (("method", method), ("route", route), ("status", status))
        return samples[("feedback_nlp_http_requests_total", labels)]

    assert requests("POST", "/v1/feedback", "200") == 2
    assert requests("POST", "/v1/jobs", "202") == 2
    assert requests("DELETE", "/v1/jobs/{job_id}", "200") == 1
    assert requests("GET", "/v1/jobs/{job_id}", "404") == 1
    assert requests("GET", "/v1/themes", "401") == 1
    assert requests("GET", "unmatched", "404") == 1
    count = samples[
        (
            "feedback_nlp_http_request_duration_seconds_count",
            (("method", "POST"), ("route", "/v1/feedback")),
        )
    ]
    assert count == 2
    assert samples[("feedback_nlp_items_ingested_total", (("result", "created"),))] == 2
    assert samples[("feedback_nlp_items_ingested_total", (("result", "updated"),))] == 0
    assert samples[("feedback_nlp_items_ingested_total", (("result", "unchanged"),))] == 1
    assert samples[("feedback_nlp_items_ingested_total", (("result", "rejected"),))] == 1
    assert samples[("feedback_nlp_jobs", (("state", "queued"),))] == 1
    assert samples[("feedback_nlp_jobs", (("state", "cancelled"),))] == 1
    assert samples[("feedback_nlp_jobs", (("state", "running"),))] == 0


def test_metrics_registries_are_per_app(tmp_path_factory: pytest.TempPathFactory) -> None:
    first = create_app(make_settings(tmp_path_factory.mktemp("m1")))
    second = create_app(make_settings(tmp_path_factory.mktemp("m2")))
    assert first.state.metrics.registry is not second.state.metrics.registry
    with TestClient(first) as client:
        client.get("/v1/health")
        client.get("/v1/health")
    with TestClient(second) as client:
        client.get("/v1/health")
        samples = scrape(client)
    labels = (("method", "GET"), ("route", "/v1/health"), ("status", "200"))
    assert samples[("feedback_nlp_http_requests_total", labels)] == 1
