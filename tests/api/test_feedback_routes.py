from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings, unique_name
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path_factory.mktemp("feedback"), max_batch_items=20, max_body_bytes=16 * 1024
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def key(client: TestClient) -> str:
    key: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    return key


def item(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"it-{n}", "text": f"The checkout page crashed {n} times today."} | fields


def post(client: TestClient, key: str, items: list[Any]) -> dict[str, Any]:
    response = client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def all_items(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/feedback", params={"limit": 1000} | params, headers=bearer(key))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_feedback_post_counts_created_items(client: TestClient, key: str) -> None:
    body = post(client, key, [item(1), item(2, nps=3, segments={"plan": "pro"})])
    assert body == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "superseded": 0,
        "rejected": 0,
        "errors": [],
    }


def test_feedback_repeated_id_in_a_batch_stores_the_last_and_counts_the_rest(
    client: TestClient, key: str
) -> None:
    items = [item(1, text="first"), item(2), item(1, text="second"), item(1, text="third")]
    body = post(client, key, [*items, item(3, nps=99)])
    assert (body["received"], body["created"], body["superseded"], body["rejected"]) == (5, 2, 2, 1)
    counted = ("created", "updated", "unchanged", "superseded", "rejected")
    assert sum(body[name] for name in counted) == body["received"]
    assert {s["id"]: s["text"] for s in all_items(client, key)}["it-1"] == "third"


def test_feedback_partially_invalid_batch_keeps_the_good_rows(client: TestClient, key: str) -> None:
    items = [item(1), item(2, nps=11), {"text": "no id"}, "not an object", item(5, source="fax")]
    body = post(client, key, items)
    assert (body["received"], body["created"], body["rejected"]) == (5, 1, 4)
    errors = {(e["index"], e["field"]) for e in body["errors"]}
    assert errors == {(1, "nps"), (2, "id"), (3, "row"), (4, "source")}
    assert all(e["reason"].startswith("[E1") for e in body["errors"])
    assert [stored["id"] for stored in all_items(client, key)] == ["it-1"]


def test_feedback_resend_is_idempotent(client: TestClient, key: str) -> None:
    batch = [item(1, created_at="2026-01-01T00:00:00Z"), item(2, created_at="2026-01-02T00:00:00Z")]
    assert post(client, key, batch)["created"] == 2
    again = post(client, key, batch)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = post(client, key, [batch[0] | {"text": "Now it works."}])
    assert (changed["created"], changed["updated"]) == (0, 1)
    stored = all_items(client, key)
    assert [s["id"] for s in stored] == ["it-1", "it-2"]
    assert stored[0]["text"] == "Now it works."


def test_feedback_pii_is_redacted_before_storing(client: TestClient, key: str) -> None:
    post(client, key, [item(1, text="Call me at jane.doe@example.com about the refund.")])
    (stored,) = all_items(client, key)
    assert "jane.doe@example.com" not in stored["text"]
    assert stored["pii_kinds"] == ["email"]
    assert stored["lang"] == "en"


def test_feedback_more_items_than_the_limit_is_413(client: TestClient, key: str) -> None:
    response = client.post(
        "/v1/feedback", json={"items": [item(n) for n in range(21)]}, headers=bearer(key)
    )
    body = assert_problem(response, 413)
    assert "limit is 20" in body["detail"]
    assert all_items(client, key) == []


def test_feedback_oversized_body_is_413(client: TestClient, key: str) -> None:
    items = [item(n, text="x" * 2000) for n in range(10)]  # about 20 kB > 16 KiB
    response = client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
    assert_problem(response, 413)


def test_feedback_oversized_chunked_body_is_413(client: TestClient, key: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"items": ['
        for n in range(40):
            yield (b"," if n else b"") + b'{"id": "c%d", "text": "%s"}' % (n, b"y" * 1000)
        yield b"]}"

    response = client.post(
        "/v1/feedback",
        content=chunks(),
        headers=bearer(key) | {"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


@pytest.mark.parametrize(
    "content",
    [b'{"items": [', b"not json", b'{"items": [{"id": "a", "text": "b"}]} trailing', b"\xff\xfe"],
)
def test_feedback_bad_json_is_422(client: TestClient, key: str, content: bytes) -> None:
    response = client.post(
        "/v1/feedback",
        content=content,
        headers=bearer(key) | {"Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert "errors" in body


@pytest.mark.parametrize("payload", [[{"id": "a", "text": "b"}], {"items": "x"}, {"rows": []}])
def test_feedback_wrong_body_shape_is_422(client: TestClient, key: str, payload: Any) -> None:
    response = client.post("/v1/feedback", json=payload, headers=bearer(key))
    assert_problem(response, 422)


def test_feedback_paging_returns_every_item_once(client: TestClient, key: str) -> None:
    items = [item(n, created_at=f"2026-03-{n + 1:02d}T00:00:00Z") for n in range(7)]
    post(client, key, items)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/feedback", params=params, headers=bearer(key)).json()
        seen += [stored["id"] for stored in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"it-{n}" for n in range(7)]
    assert pages == 3


def test_feedback_filters_by_source_segment_and_dates(client: TestClient, key: str) -> None:
    post(
        client,
        key,
        [
            item(
                1,
                source="survey",
                segments={"plan": "enterprise", "region": "eu"},
                created_at="2026-01-10T00:00:00Z",
            ),
            item(
                2,
                source="ticket",
                segments={"plan": "enterprise", "region": "us"},
                created_at="2026-02-10T00:00:00Z",
            ),
            item(3, source="survey", segments={"plan": "free"}, created_at="2026-03-10T00:00:00Z"),
        ],
    )

    def ids(**params: Any) -> list[str]:
        return [stored["id"] for stored in all_items(client, key, **params)]

    assert ids(source="survey") == ["it-1", "it-3"]
    assert ids(segment="plan:enterprise") == ["it-1", "it-2"]
    assert ids(segment=["plan:enterprise", "region:us"]) == ["it-2"]
    assert ids(created_from="2026-02-01T00:00:00Z") == ["it-2", "it-3"]
    assert ids(created_from="2026-02-01T00:00:00Z", created_to="2026-03-01T00:00:00Z") == ["it-2"]
    assert ids(sentiment="negative") == []  # nothing is mined yet


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "plan"},
        {"segment": "plan:"},
        {"segment": ":pro"},
        {"limit": 0},
        {"limit": 1001},
        {"cursor": "garbage"},
        {"source": "fax"},
    ],
)
def test_feedback_bad_query_is_422(client: TestClient, key: str, params: dict[str, Any]) -> None:
    response = client.get("/v1/feedback", params=params, headers=bearer(key))
    assert_problem(response, 422)


def test_feedback_workspaces_never_see_each_other(client: TestClient, key: str) -> None:
    other: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    post(client, key, [item(1)])
    post(client, other, [item(1, text="Another tenant's item with the same id.")])
    assert [s["text"] for s in all_items(client, key)] == [item(1)["text"]]
    assert [s["text"] for s in all_items(client, other)] == [
        "Another tenant's item with the same id."
    ]
