"""The OpenAPI contract of every route, and the bugs contract fuzzing found (as regressions).

The spec must document every answer a route can give: 401 (no or bad key), 422 (invalid
parameters or body), 429 (rate limit) on every authenticated route, 404 where an id is in the
path, 413 where there is a body, all as ``application/problem+json``. The checks read the spec,
so a new route is covered without editing this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.api_support import assert_problem, bearer, make_settings

UNAUTHENTICATED = {"/v1/health", "/metrics"}
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("contract"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_contract_every_authenticated_operation_documents_its_problems(
    spec: dict[str, Any],
) -> None:
    checked = 0
    for path, method, operation in operations(spec):
        if path in UNAUTHENTICATED:
            continue
        expected = {"401", "422", "429"}
        expected |= {"404"} if "{" in path else set()
        expected |= {"413"} if "requestBody" in operation else set()
        responses = operation["responses"]
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            assert responses[status]["content"] == PROBLEM_CONTENT, (method, path, status)
        checked += 1
    assert checked >= 17  # feedback, exports, jobs, themes, metrics, insights


def test_contract_problem_schema_replaces_fastapis_validation_error(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    assert "HTTPValidationError" not in str(spec)


def test_contract_every_authenticated_operation_answers_401_without_a_key(
    client: TestClient, spec: dict[str, Any]
) -> None:
    for path, method, _ in operations(spec):
        if path in UNAUTHENTICATED:
            continue
        concrete = path.replace("{theme_id}", "t_000001").replace("{job_id}", "some-job")
        response = client.request(method.upper(), concrete, json={})
        body = assert_problem(response, 401)
        assert body["code"] == "E450", (method, path)


def test_contract_csv_exports_are_documented_as_text_csv(spec: dict[str, Any]) -> None:
    for path in ("/v1/feedback/export.csv", "/v1/themes/export.csv"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["text/csv"]


# --- regressions: bugs schemathesis found ------------------------------------------------------


@pytest.mark.parametrize(
    "created_at",
    [
        "0399-02-27T00:30:42Z",  # stored, then every analytics route answered 500
        "5209-07-30T07:41:14Z",  # (pandas holds nanosecond timestamps: 1677..2262)
        "0001-01-01T00:00:00+01:00",  # out of range once shifted to UTC: OverflowError, 500
        "9999-12-31T23:59:59-01:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_fuzz_regression_out_of_range_created_at_is_a_row_error(
    client: TestClient, created_at: str
) -> None:
    key: str = client.app.state.store.create_api_key("dates")  # type: ignore[attr-defined]
    items = [{"id": "bad", "text": "late again", "created_at": created_at}]
    items.append({"id": "good", "text": "fine", "created_at": "2199-12-31T23:59:59Z"})
    answer = client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["created"] + body["unchanged"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["field"] == "created_at"
    assert body["errors"][0]["reason"].startswith("[E108]")
    assert "1900..2199" in body["errors"][0]["reason"]
    for route in ("/v1/metrics/scores", "/v1/insights/trends", "/v1/feedback/export.csv"):
        assert client.get(route, headers=bearer(key)).status_code == 200, route


def test_fuzz_regression_a_body_that_is_not_utf8_is_a_422_problem(client: TestClient) -> None:
    key: str = client.app.state.store.create_api_key("bytes")  # type: ignore[attr-defined]
    for path in ("/v1/feedback", "/v1/jobs"):
        answer = client.post(
            path,
            content=b'{"items": ["\xff\xfe broken"]}',
            headers=bearer(key) | {"Content-Type": "application/json"},
        )
        body = assert_problem(answer, 422)  # was an undocumented 400
        assert body["code"] == "E101"
        assert body["errors"] == [
            {"loc": ["body"], "type": "json_invalid", "reason": "The body is not UTF-8 JSON"}
        ]
