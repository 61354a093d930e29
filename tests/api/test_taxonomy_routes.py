"""``/v1/taxonomy``: every edit over HTTP, its 4xx problems, and the insights it changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.taxonomy.embedders import EmbedderPool
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    mined_workspace,
)


class Api:
    """A client of an app over a hand-mined workspace, with a named key."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.headers = bearer(key)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers=self.headers)

    def sizes(self, **params: Any) -> dict[str, int]:
        found = self.get("/v1/themes", **params).json()
        return {t["id"]: t["size"] for t in found if t["level"] == 0}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        mined_workspace(store, "acme")
        embedder = WordEmbedder()
        client.app.state.taxonomy_embedders = EmbedderPool(  # type: ignore[attr-defined]
            "word-hash", loader=lambda _name: embedder
        )
        yield Api(client, store.create_api_key("acme", name="ana-laptop"))


def test_taxonomy_routes_merge_records_the_key_name(api: Api) -> None:
    response = api.post(
        "/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL], "label": "Late deliveries"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["operation"]["seq"], body["operation"]["actor"]) == (1, "ana-laptop")
    assert (body["units_moved"], body["report"]["applied"]) == (6, 1)
    assert api.sizes() == {DELIVERY: 14, ACCOUNT: 12, GREETING: 5}
    theme = api.get(f"/v1/themes/{DELIVERY}").json()
    assert (theme["label"], theme["n_units"]) == ("Late deliveries", 14)
    gone = api.get(f"/v1/themes/{PARCEL}").json()
    assert (gone["active"], gone["retired_by_op"]) == (False, 1)
    listed = api.get("/v1/taxonomy/operations").json()
    assert listed["latest_seq"] == 1
    assert [(op["kind"], op["status"]) for op in listed["operations"]] == [("merge", "applied")]


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ({"theme_ids": [DELIVERY, DELIVERY]}, 422, "E140", "cannot be merged with itself"),
        ({"theme_ids": [DELIVERY, "t_424242"]}, 404, "E400", "No theme has the id 't_424242'"),
        ({"theme_ids": [DELIVERY], "keep": DELIVERY}, 422, "E140", "at least two different"),
        ({"keep": DELIVERY}, 422, "E101", "invalid field"),
        ({"theme_ids": []}, 422, "E101", "invalid field"),
    ],
)
def test_taxonomy_routes_merge_problems(
    api: Api, body: dict[str, Any], status: int, code: str, detail: str
) -> None:
    problem = assert_problem(api.post("/v1/taxonomy/merge", body), status)
    assert problem["code"] == code
    assert detail in problem["detail"]


def test_taxonomy_routes_merge_into_a_kept_theme_not_listed(api: Api) -> None:
    done = api.post("/v1/taxonomy/merge", {"theme_ids": [PARCEL], "keep": DELIVERY})
    assert done.status_code == 201, done.text
    assert done.json()["operation"]["params"]["theme_ids"] == [DELIVERY, PARCEL]
    assert api.sizes()[DELIVERY] == 14


def test_taxonomy_routes_merge_across_workspaces_is_not_found(api: Api) -> None:
    store = api.client.app.state.store  # type: ignore[attr-defined]
    other = Api(api.client, store.create_api_key("globex", name="bo"))
    problem = assert_problem(
        other.post("/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL]}), 404
    )
    assert "in this workspace" in problem["detail"]
    assert api.sizes()[PARCEL] == 6


def test_taxonomy_routes_editing_a_merged_theme_is_a_conflict(api: Api) -> None:
    assert api.post("/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL]}).status_code == 201
    for path, body in [
        ("/v1/taxonomy/merge", {"theme_ids": [ACCOUNT, PARCEL]}),
        ("/v1/taxonomy/ignore", {"theme_id": PARCEL}),
        ("/v1/taxonomy/move", {"to": PARCEL, "items": ["a00"]}),
    ]:
        problem = assert_problem(api.post(path, body), 409)
        assert (problem["code"], problem["title"]) == ("E141", "Conflict")
        assert "emptied by taxonomy operation 1" in problem["detail"]


def test_taxonomy_routes_expected_seq_guards_against_a_lost_update(api: Api) -> None:
    assert api.get("/v1/taxonomy").json()["latest_seq"] == 0
    first = api.post("/v1/taxonomy/ignore", {"theme_id": GREETING, "expected_seq": 0})
    assert first.status_code == 201
    stale = api.post("/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL], "expected_seq": 0})
    assert "latest is 1 (operation 1, ignore by ana-laptop)" in assert_problem(stale, 409)["detail"]


def test_taxonomy_routes_split_preview_then_split(api: Api) -> None:
    preview = api.post("/v1/taxonomy/split/preview", {"theme_id": ACCOUNT, "k": 2})
    assert preview.status_code == 200, preview.text
    children = preview.json()["children"]
    assert [(c["theme_id"], c["size"]) for c in children] == [("c_000001_1", 6), ("c_000001_2", 6)]
    assert all("password" in q["text"] for q in children[0]["quotes"])
    assert api.get("/v1/taxonomy/operations").json()["operations"] == []
    done = api.post(
        "/v1/taxonomy/split", {"theme_id": ACCOUNT, "k": 2, "labels": ["Passwords", None]}
    )
    assert done.status_code == 201, done.text
    assert done.json()["operation"]["effect"]["children"][0] == {
        "theme_id": "c_000001_1",
        "size": 6,
        "label": {"en": "password reset email"},
        "keyphrases": children[0]["keyphrases"],
    }
    listed = {t["id"]: t for t in api.get("/v1/themes").json()}
    assert (listed["c_000001_1"]["label"], listed["c_000001_1"]["origin"]) == ("Passwords", "split")
    assert ACCOUNT not in listed


def test_taxonomy_routes_split_problems(api: Api) -> None:
    small = {"theme_id": PARCEL, "k": 2}
    for path in ("/v1/taxonomy/split/preview", "/v1/taxonomy/split"):
        problem = assert_problem(api.post(path, small), 422)
        assert problem["code"] == "E140"
        assert "has 6 units; splitting it into 2 needs at least 2 x 5 = 10" in problem["detail"]
        one = assert_problem(api.post(path, {"theme_id": ACCOUNT, "k": 1}), 422)
        assert [e["loc"] for e in one["errors"]] == [["body", "k"]]


def test_taxonomy_routes_move_a_quote_units_items_and_to_the_pool(api: Api) -> None:
    quote = api.get(f"/v1/themes/{DELIVERY}").json()["quotes"][0]  # moved as shown
    moved = api.post(
        "/v1/taxonomy/move",
        {"to": PARCEL, "units": [{"item_id": quote["item_id"], "text": quote["text"]}]},
    )
    assert (moved.status_code, moved.json()["units_moved"]) == (201, 1)
    shown = api.get(f"/v1/themes/{DELIVERY}").json()["quotes"]
    assert quote["item_id"] not in {q["item_id"] for q in shown}
    by_index = api.post(
        "/v1/taxonomy/move", {"to": PARCEL, "units": [{"item_id": "d05", "unit_index": 0}]}
    )
    assert by_index.json()["units_moved"] == 1
    pooled = api.post("/v1/taxonomy/move", {"to": None, "items": ["a00", "a01"]})
    assert pooled.json()["units_moved"] == 2
    assert api.sizes() == {ACCOUNT: 10, PARCEL: 8, DELIVERY: 6, GREETING: 5}
    listed = api.get("/v1/feedback", theme_id=PARCEL, limit=100).json()["items"]
    assert {quote["item_id"], "d05"} <= {item["id"] for item in listed}
    assert_problem(api.post("/v1/taxonomy/move", {"to": PARCEL, "items": ["zz"]}), 404)
    wrong = {"to": PARCEL, "units": [{"item_id": "d01", "text": "not its text"}]}
    assert (
        "has no unit 'not its text'"
        in assert_problem(api.post("/v1/taxonomy/move", wrong), 404)["detail"]
    )
    neither = {"to": PARCEL, "units": [{"item_id": "d01"}]}
    assert (
        "needs 'unit_index' or 'text'"
        in assert_problem(api.post("/v1/taxonomy/move", neither), 422)["detail"]
    )
    empty = assert_problem(api.post("/v1/taxonomy/move", {"to": PARCEL}), 422)
    assert "at least one unit" in empty["detail"]


def _issues(api: Api) -> list[str]:
    response = api.get("/v1/insights/top-detractor-issues", min_detractors=3)
    assert response.status_code == 200, response.text
    return [issue["theme_id"] for issue in response.json()["issues"]]


def test_taxonomy_routes_ignore_hides_a_theme_from_the_insights(api: Api) -> None:
    assert DELIVERY in _issues(api)
    assert api.post("/v1/taxonomy/ignore", {"theme_id": DELIVERY}).status_code == 201
    assert DELIVERY not in _issues(api)  # the ranking skips it at once
    assert DELIVERY not in api.sizes()
    assert api.sizes(include_ignored=True)[DELIVERY] == 8
    shown = api.get(f"/v1/themes/{DELIVERY}").json()
    assert (shown["ignored"], shown["n_units"]) == (True, 8)  # its units stay
    assert_problem(api.post("/v1/taxonomy/ignore", {"theme_id": DELIVERY}), 409)
    assert api.post("/v1/taxonomy/undo", {}).status_code == 200
    assert DELIVERY in _issues(api)


def test_taxonomy_routes_seed_preview_and_seed(api: Api) -> None:
    summary = api.get("/v1/taxonomy").json()
    assert (summary["latest_seq"], summary["min_theme_size"], summary["run_id"]) == (0, 5, 1)
    body = {"name": "Battery", "examples": ["battery drains"]}
    preview = api.post("/v1/taxonomy/seed/preview", body)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert (shown["theme_id"], shown["n_claimed"], shown["taken_from"]) == (
        "s_000001",
        5,
        {"unassigned": 5},
    )
    assert shown["threshold"] == shown["default_threshold"]
    strict = api.post("/v1/taxonomy/seed/preview", body | {"threshold": 0.95}).json()
    assert strict["n_claimed"] < 5
    done = api.post("/v1/taxonomy/seed", body)
    assert done.status_code == 201, done.text
    assert done.json()["operation"]["effect"]["n_claimed"] == 5
    seeded = api.get("/v1/themes/s_000001").json()
    assert (seeded["label"], seeded["origin"], seeded["n_units"]) == ("Battery", "seeded", 5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Battery", "examples": []}, "examples"),  # seeding with no examples
        ({"name": "Battery", "examples": ["x"], "threshold": 1.5}, "threshold"),
        ({"name": "  ", "examples": ["x"]}, "name"),
        ({"name": "Battery", "examples": ["  "]}, "examples"),
    ],
)
def test_taxonomy_routes_seed_problems(api: Api, body: dict[str, Any], field: str) -> None:
    for path in ("/v1/taxonomy/seed/preview", "/v1/taxonomy/seed"):
        problem = assert_problem(api.post(path, body), 422)
        assert problem["code"] == "E101"
        assert [e["loc"][:2] for e in problem["errors"]] == [["body", field]]
    assert api.get("/v1/taxonomy/operations").json()["operations"] == []


def test_taxonomy_routes_undo_latest_and_given(api: Api) -> None:
    api.post("/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL]})
    api.post("/v1/taxonomy/ignore", {"theme_id": GREETING})
    undone = api.post("/v1/taxonomy/undo", {"seq": 1})
    assert undone.status_code == 200, undone.text
    assert (undone.json()["operation"]["status"], undone.json()["operation"]["undone_by"]) == (
        "undone",
        "ana-laptop",
    )
    assert api.sizes() == {ACCOUNT: 12, DELIVERY: 8, PARCEL: 6}
    again = assert_problem(api.post("/v1/taxonomy/undo", {"seq": 1}), 409)
    assert "undone already" in again["detail"]
    assert_problem(api.post("/v1/taxonomy/undo", {"seq": 7}), 404)
    assert api.post("/v1/taxonomy/undo", {}).json()["operation"]["seq"] == 2
    nothing = assert_problem(api.post("/v1/taxonomy/undo", {}), 404)
    assert "no taxonomy operation to undo" in nothing["detail"]


def test_taxonomy_routes_rename_is_a_recorded_operation(api: Api) -> None:
    response = api.client.patch(
        f"/v1/themes/{PARCEL}", json={"label": "Parcels"}, headers=api.headers
    )
    assert response.json()["label"] == "Parcels"
    [op] = api.get("/v1/taxonomy/operations").json()["operations"]
    assert (op["kind"], op["actor"], op["params"]["label"]) == ("rename", "ana-laptop", "Parcels")
    api.post("/v1/taxonomy/undo", {})
    assert api.get(f"/v1/themes/{PARCEL}").json()["label"] == "parcel"


def test_taxonomy_routes_need_an_api_key(api: Api) -> None:
    for path in ("/v1/taxonomy", "/v1/taxonomy/operations"):
        assert_problem(api.client.get(path), 401)
    assert_problem(api.client.post("/v1/taxonomy/merge", json={"theme_ids": ["a", "b"]}), 401)


def test_taxonomy_routes_are_documented(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "merge",
        "split",
        "split/preview",
        "move",
        "ignore",
        "seed",
        "seed/preview",
        "undo",
    ):
        assert f"/v1/taxonomy/{path}" in paths
    assert "409" in paths["/v1/taxonomy/merge"]["post"]["responses"]


def test_taxonomy_routes_redo_records_a_new_operation(api: Api) -> None:
    api.post("/v1/taxonomy/merge", {"theme_ids": [DELIVERY, PARCEL]})
    api.post("/v1/taxonomy/undo", {})
    listed = api.get("/v1/taxonomy/operations").json()
    assert (listed["latest_seq"], listed["redo_seqs"]) == (1, [1])
    stale = assert_problem(api.post("/v1/taxonomy/redo", {"expected_seq": 0}), 409)
    assert stale["code"] == "E141"
    redone = api.post("/v1/taxonomy/redo", {"expected_seq": 1})
    assert redone.status_code == 201, redone.text
    op = redone.json()["operation"]
    assert (op["seq"], op["kind"], op["params"]["redo_of"], op["actor"]) == (
        2,
        "merge",
        1,
        "ana-laptop",
    )
    assert api.sizes() == {ACCOUNT: 12, DELIVERY: 14, GREETING: 5}
    assert api.get("/v1/taxonomy/operations").json()["redo_seqs"] == []
    assert (
        "redone already" in assert_problem(api.post("/v1/taxonomy/redo", {"seq": 1}), 409)["detail"]
    )
    assert_problem(api.post("/v1/taxonomy/redo", {"seq": 7}), 404)
    nothing = assert_problem(api.post("/v1/taxonomy/redo", {}), 404)
    assert "no undone taxonomy operation to redo" in nothing["detail"]
    assert "/v1/taxonomy/redo" in api.client.get("/openapi.json").json()["paths"]
