"""Outcome fields over HTTP: POST /v1/feedback, listing, CSV export, workspace currency."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings, unique_name
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.domain import is_pseudonym
from feedback_nlp.ingest.pseudonym import pseudonym
from feedback_nlp.store import Store


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("outcomes"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def workspace(client: TestClient) -> tuple[str, str]:
    name = unique_name()
    key: str = client.app.state.store.create_api_key(name)  # type: ignore[attr-defined]
    return name, key


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


TICKET: dict[str, Any] = {
    "id": "t-1",
    "text": "The SSO login fails every morning.",
    "source": "ticket",
    "created_at": "2026-05-01T08:00:00Z",
    "customer_id": "jane.doe@example.com",
    "first_response_at": "2026-05-01T08:20:00Z",
    "resolved_at": "2026-05-01T20:00:00Z",
    "churned": True,
    "churned_at": "2026-06-01T00:00:00Z",
    "revenue": 24000.5,
    "currency": "USD",
}


def post(client: TestClient, key: str, items: list[Any]) -> dict[str, Any]:
    response = client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_outcome_fields_are_stored_and_listed_with_a_pseudonym(
    client: TestClient, workspace: tuple[str, str]
) -> None:
    name, key = workspace
    assert post(client, key, [TICKET])["created"] == 1
    response = client.get("/v1/feedback", headers=bearer(key))
    (listed,) = response.json()["items"]
    assert (listed["first_response_minutes"], listed["resolution_minutes"]) == (20.0, 720.0)
    assert (listed["churned"], listed["revenue"]) == (True, 24000.5)
    assert listed["churned_at"].startswith("2026-06-01T00:00:00")
    assert is_pseudonym(listed["customer_id"])
    ws = _store(client).get_workspace_by_name(name)
    assert ws is not None
    assert listed["customer_id"] == pseudonym(
        _store(client).customer_key(ws.id), TICKET["customer_id"]
    )
    assert "jane" not in response.text


def test_outcome_resend_is_unchanged_and_a_change_is_updated(
    client: TestClient, workspace: tuple[str, str]
) -> None:
    _, key = workspace
    post(client, key, [TICKET])
    assert post(client, key, [TICKET])["unchanged"] == 1
    assert post(client, key, [TICKET | {"revenue": 1.0}])["updated"] == 1
    assert post(client, key, [TICKET | {"customer_id": "someone else"}])["updated"] == 1


def test_outcome_bad_fields_are_row_errors(client: TestClient, workspace: tuple[str, str]) -> None:
    _, key = workspace
    body = post(
        client,
        key,
        [
            TICKET | {"id": "bad-1", "resolved_at": "2026-04-01T00:00:00Z", "revenue": -5},
            TICKET | {"id": "bad-2", "churned": False, "currency": "EUR"},
            {"id": "ok", "text": "Fine.", "resolution_minutes": 3},
        ],
    )
    assert (body["created"], body["rejected"]) == (1, 2)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (0, "resolved_at"),
        (0, "revenue"),
        (1, "churned_at"),
        (1, "currency"),
    ]
    assert body["errors"][0]["reason"].startswith("[E114] The 'resolved_at' field of row 0")
    assert "the workspace's currency 'USD'" in body["errors"][3]["reason"]
    assert all("jane" not in e["reason"] for e in body["errors"])


def test_outcome_columns_are_in_the_csv_export(
    client: TestClient, workspace: tuple[str, str]
) -> None:
    _, key = workspace
    post(client, key, [TICKET, {"id": "plain", "text": "Nice app.", "created_at": "2026-05-02"}])
    response = client.get("/v1/feedback/export.csv", headers=bearer(key))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {row["id"]: row for row in rows}
    ticket = by_id["t-1"]
    assert (ticket["resolution_minutes"], ticket["first_response_minutes"]) == ("720.0", "20.0")
    assert (ticket["churned"], ticket["revenue"]) == ("true", "24000.5")
    assert ticket["churned_at"].startswith("2026-06-01")
    assert is_pseudonym(ticket["customer_id"])
    plain = by_id["plain"]
    assert [plain[name] for name in ("customer_id", "churned", "revenue")] == ["", "", ""]
    assert list(rows[0])[-1] == "text"


def test_outcome_workspace_currency_is_read_and_set_by_an_admin(
    client: TestClient, workspace: tuple[str, str]
) -> None:
    name, key = workspace
    assert client.get("/v1/workspace", headers=bearer(key)).json()["currency"] == "USD"
    path = f"/v1/admin/workspaces/{name}"
    assert_problem(client.patch(path, json={"currency": "EUR"}, headers=bearer(key)), 403)
    admin = _store(client).create_api_key(unique_name("ops"), admin=True)
    body = assert_problem(client.patch(path, json={"currency": "EURO"}, headers=bearer(admin)), 422)
    assert body["code"] == "E117"
    answer = client.patch(path, json={"currency": "eur"}, headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["currency"] == "EUR"
    assert client.get("/v1/workspace", headers=bearer(key)).json() == answer.json()
    assert_problem(
        client.patch(
            "/v1/admin/workspaces/nobody-here", json={"currency": "EUR"}, headers=bearer(admin)
        ),
        404,
    )
    body = post(client, key, [TICKET])
    assert [e["field"] for e in body["errors"]] == ["currency"]  # the ticket says USD
    assert post(client, key, [TICKET | {"currency": "EUR"}])["created"] == 1
