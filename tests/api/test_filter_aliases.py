"""The deprecated filter spellings: read, answered with ``Deprecation: true``, logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings, unique_name
from fastapi.testclient import TestClient

from api.main import create_app

ITEMS = [
    {"id": f"it-{n}", "text": f"Checkout crashed {n} times.", "created_at": at}
    for n, at in enumerate(["2026-01-10T00:00:00Z", "2026-02-10T00:00:00Z", "2026-03-10T00:00:00Z"])
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("aliases"), worker=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def key(client: TestClient) -> str:
    key: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    response = client.post("/v1/feedback", json={"items": ITEMS}, headers=bearer(key))
    assert response.status_code == 200, response.text
    return key


def listed(client: TestClient, key: str, **params: Any) -> tuple[list[str], str | None]:
    response = client.get("/v1/feedback", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]], response.headers.get("Deprecation")


def test_feedback_from_to_and_period_filter_without_deprecation(
    client: TestClient, key: str
) -> None:
    assert listed(client, key, **{"from": "2026-02-01T00:00:00Z"}) == (["it-1", "it-2"], None)
    window = {"from": "2026-02-01", "to": "2026-03-01"}
    assert listed(client, key, **window) == (["it-1"], None)
    assert listed(client, key, period="2026-03") == (["it-2"], None)


def test_feedback_created_from_alias_answers_the_same_with_a_deprecation_header(
    client: TestClient, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="feedback_nlp.api"):
        ids, header = listed(client, key, created_from="2026-02-01", created_to="2026-03-01")
    assert (ids, header) == (["it-1"], "true")
    assert ids == listed(client, key, **{"from": "2026-02-01", "to": "2026-03-01"})[0]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("created_from, created_to" in m and "/v1/feedback" in m for m in warned)


def test_feedback_export_with_an_alias_has_the_deprecation_header(
    client: TestClient, key: str
) -> None:
    response = client.get(
        "/v1/feedback/export.csv", params={"created_to": "2026-02-01"}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    assert response.headers["Deprecation"] == "true"
    assert "it-0" in response.text
    assert "it-1" not in response.text
    plain = client.get("/v1/feedback/export.csv", params={"to": "2026-02-01"}, headers=bearer(key))
    assert "Deprecation" not in plain.headers


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "created_from": "2026-02-01"},
        {"to": "2026-02-01", "created_to": "2026-03-01"},
        {"period": "2026-02", "created_from": "2026-02-01"},
        {"created_from": "yesterday"},
    ],
)
def test_feedback_alias_conflict_or_bad_value_is_422(
    client: TestClient, key: str, params: dict[str, str]
) -> None:
    assert_problem(client.get("/v1/feedback", params=params, headers=bearer(key)), 422)


def test_jobs_created_from_alias_is_queued_with_a_deprecation_header(
    client: TestClient, key: str
) -> None:
    body = {"filters": {"created_from": "2026-01-01T00:00:00Z"}}
    response = client.post("/v1/jobs", json=body, headers=bearer(key))
    assert response.status_code == 202, response.text
    assert response.headers["Deprecation"] == "true"
    assert response.json()["params"]["from"] == "2026-01-01T00:00:00+00:00"
    current = client.post("/v1/jobs", json={"filters": {"from": "2026-01-01"}}, headers=bearer(key))
    assert current.status_code == 202, current.text
    assert "Deprecation" not in current.headers
    assert current.json()["params"]["from"] == "2026-01-01T00:00:00+00:00"


def test_jobs_period_filter_is_queued_as_its_window(client: TestClient, key: str) -> None:
    response = client.post("/v1/jobs", json={"filters": {"period": "2026"}}, headers=bearer(key))
    assert response.status_code == 202, response.text
    params = response.json()["params"]
    assert (params["from"], params["to"]) == (
        "2026-01-01T00:00:00+00:00",
        "2027-01-01T00:00:00+00:00",
    )


def test_jobs_field_and_its_alias_together_is_422(client: TestClient, key: str) -> None:
    body = {"filters": {"to": "2026-02-01", "created_to": "2026-02-01"}}
    problem = assert_problem(client.post("/v1/jobs", json=body, headers=bearer(key)), 422)
    assert "not both" in problem["detail"]


def test_openapi_marks_the_aliases_deprecated(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    listing = {p["name"]: p for p in spec["paths"]["/v1/feedback"]["get"]["parameters"]}
    assert {"from", "to", "period", "segment"} <= set(listing)
    assert listing["created_from"]["deprecated"] is True
    assert listing["created_to"]["deprecated"] is True
    assert not listing["from"].get("deprecated", False)
    body = spec["components"]["schemas"]["FeedbackFiltersCreate"]["properties"]
    assert body["created_from"]["deprecated"] is True
    assert {"from", "to", "period"} <= set(body)
