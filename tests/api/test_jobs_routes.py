from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import assert_problem, bearer, make_settings, unique_name
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # No embedded worker: jobs stay queued, so every state seen here is set by the routes.
    settings = make_settings(tmp_path_factory.mktemp("jobs"), worker=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def key(client: TestClient) -> str:
    key: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    return key


def test_jobs_post_queues_a_mine_job_with_202(client: TestClient, key: str) -> None:
    response = client.post(
        "/v1/jobs",
        json={"kind": "mine", "filters": {"source": "survey", "segments": {"plan": "pro"}}},
        headers=bearer(key),
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["state"], job["progress"], job["attempts"]) == ("mine", "queued", 0, 0)
    assert job["params"] == {
        "source": "survey",
        "segments": {"plan": "pro"},
        "from": None,
        "to": None,
        "seed": 0,
        "min_theme_size": None,
        "n_resamples": 3,
        "mode": "accurate",
    }
    assert job["started_at"] is None
    again = client.get(f"/v1/jobs/{job['id']}", headers=bearer(key))
    assert again.status_code == 200
    assert again.json() == job


def test_jobs_post_with_window_keeps_the_instants(client: TestClient, key: str) -> None:
    body = {"filters": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01"}}
    params = client.post("/v1/jobs", json=body, headers=bearer(key)).json()["params"]
    assert params["from"] == "2026-01-01T00:00:00+00:00"
    assert params["to"] == "2026-02-01T00:00:00+00:00"


def test_jobs_post_without_body_mines_everything(client: TestClient, key: str) -> None:
    response = client.post("/v1/jobs", headers=bearer(key))
    assert response.status_code == 202, response.text
    params = response.json()["params"]
    assert (params["source"], params["segments"], params["from"]) == (None, {}, None)


def test_jobs_delete_cancels_a_queued_job(client: TestClient, key: str) -> None:
    job = client.post("/v1/jobs", json={"kind": "mine"}, headers=bearer(key)).json()
    response = client.delete(f"/v1/jobs/{job['id']}", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert response.json()["finished_at"] is not None
    assert client.get(f"/v1/jobs/{job['id']}", headers=bearer(key)).json()["state"] == "cancelled"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "train"},
        {"kind": 3},
        {"kind": "mine", "filters": {"colour": "red"}},
        {"kind": "mine", "filters": {"source": "fax"}},
        {"kind": "mine", "filters": {"created_from": "yesterday"}},
        {"kind": "mine", "n_resamples": 21},
        {"kind": "mine", "mode": "turbo"},
    ],
)
def test_jobs_bad_body_is_422(client: TestClient, key: str, body: object) -> None:
    assert_problem(client.post("/v1/jobs", json=body, headers=bearer(key)), 422)


@pytest.mark.parametrize("size", [1, 100_001])
def test_jobs_min_theme_size_outside_the_clusterers_bound_is_422(
    client: TestClient, key: str, size: int
) -> None:
    response = client.post("/v1/jobs", json={"min_theme_size": size}, headers=bearer(key))
    assert_problem(response, 422)


def test_jobs_min_theme_size_of_two_is_queued(client: TestClient, key: str) -> None:
    response = client.post("/v1/jobs", json={"min_theme_size": 2}, headers=bearer(key))
    assert response.status_code == 202, response.text
    assert response.json()["params"]["min_theme_size"] == 2


def test_jobs_unknown_id_is_404(client: TestClient, key: str) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, "/v1/jobs/no-such-job", headers=bearer(key))
        assert_problem(response, 404)


def test_jobs_of_another_workspace_are_404(client: TestClient, key: str) -> None:
    job = client.post("/v1/jobs", json={}, headers=bearer(key)).json()
    other: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    assert_problem(client.get(f"/v1/jobs/{job['id']}", headers=bearer(other)), 404)
    assert_problem(client.delete(f"/v1/jobs/{job['id']}", headers=bearer(other)), 404)
    assert client.get(f"/v1/jobs/{job['id']}", headers=bearer(key)).json()["state"] == "queued"
