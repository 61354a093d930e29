from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.main import create_app


@pytest.fixture
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("problems"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_problems_unknown_path_is_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


def test_problems_wrong_method_is_405_problem(client: TestClient) -> None:
    assert_problem(client.put("/v1/health"), 405)


def test_problems_unexpected_error_is_500_with_log_id_and_no_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    key = store.create_api_key("broken")
    with store.engine.begin() as connection:  # a database that lost a table: a real failure
        connection.execute(text("DROP TABLE jobs"))
    with caplog.at_level(logging.ERROR, logger="feedback_nlp.api"):
        response = client.get("/v1/jobs/some-id", headers=bearer(key))
    body = assert_problem(response, 500)
    assert len(body["log_id"]) == 16
    assert body["log_id"] in body["detail"]
    assert "Traceback" not in response.text
    assert "jobs" not in body["detail"]  # nothing of the internal error leaks
    logged = [r for r in caplog.records if body["log_id"] in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
