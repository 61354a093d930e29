from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app


def test_health_reports_ok_and_version() -> None:
    client = TestClient(create_app())
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_health_openapi_docs_are_served() -> None:
    client = TestClient(create_app())
    assert client.get("/docs").status_code == 200
    assert "/v1/health" in client.get("/openapi.json").json()["paths"]
