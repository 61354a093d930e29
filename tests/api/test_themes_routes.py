from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings, unique_name
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.demo import read_demo_items

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """An app with 800 demo items of one workspace mined by its embedded worker."""
    settings = make_settings(tmp_path_factory.mktemp("themes"), worker=True)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key: str = client.app.state.store.create_api_key("mined")  # type: ignore[attr-defined]
        items = [item for item in read_demo_items() if item["id"] <= "demo-000800"]  # type: ignore[operator]
        assert client.post("/v1/feedback", json={"items": items}, headers=bearer(key)).is_success
        job = client.post("/v1/jobs", json={"kind": "mine"}, headers=bearer(key)).json()
        for _ in range(1200):
            job = client.get(f"/v1/jobs/{job['id']}", headers=bearer(key)).json()
            if job["state"] not in {"queued", "running"}:
                break
            time.sleep(0.5)
        assert job["state"] == "succeeded", job
        yield client, key


def themes(client: TestClient, key: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/themes", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_themes_list_has_labelled_themes_largest_first(mined: tuple[TestClient, str]) -> None:
    client, key = mined
    found = themes(client, key)
    leaves = [theme for theme in found if theme["level"] == 0]
    assert len(leaves) >= 2
    assert [t["size"] for t in leaves] == sorted((t["size"] for t in leaves), reverse=True)
    for theme in leaves:
        assert theme["id"].startswith("t_")
        assert theme["label"]  # the generated label, or the id when none could be made
        if not theme["labels"]:
            assert theme["label"] == theme["id"]
        assert theme["active"] is True
        assert theme["custom_label"] is None


def test_themes_detail_has_quotes_nps_and_segments(mined: tuple[TestClient, str]) -> None:
    client, key = mined
    top = themes(client, key)[0]
    response = client.get(f"/v1/themes/{top['id']}", headers=bearer(key))
    assert response.status_code == 200, response.text
    detail = response.json()
    assert {k: detail[k] for k in top} == top
    assert detail["quotes"]
    assert all(quote["text"] for quote in detail["quotes"])
    assert detail["n_units"] >= detail["n_items"] > 0
    assert detail["n_nps"] <= detail["n_items"]
    assert detail["nps"] is None or -100 <= detail["nps"] <= 100
    assert set(detail["segments"]) <= {"plan", "region", "channel"}
    assert sum(detail["segments"]["plan"].values()) == detail["n_items"]
    listed = client.get(
        "/v1/feedback", params={"theme": top["id"], "limit": 1000}, headers=bearer(key)
    ).json()["items"]
    assert len(listed) == detail["n_items"]


def test_themes_patch_renames_and_null_restores(mined: tuple[TestClient, str]) -> None:
    client, key = mined
    top = themes(client, key)[0]
    path = f"/v1/themes/{top['id']}"
    response = client.patch(path, json={"label": "  Late deliveries "}, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert (response.json()["label"], response.json()["custom_label"]) == ("Late deliveries",) * 2
    assert themes(client, key)[0]["label"] == "Late deliveries"
    assert client.get(path, headers=bearer(key)).json()["label"] == "Late deliveries"
    restored = client.patch(path, json={"label": None}, headers=bearer(key)).json()
    assert restored["custom_label"] is None
    assert restored["label"] == top["label"]


@pytest.mark.parametrize("body", [{"label": ""}, {"label": "   "}, {"label": "x" * 201}, {}])
def test_themes_patch_bad_label_is_422(mined: tuple[TestClient, str], body: object) -> None:
    client, key = mined
    top = themes(client, key)[0]
    response = client.patch(f"/v1/themes/{top['id']}", json=body, headers=bearer(key))
    assert_problem(response, 422)


def test_themes_unknown_id_is_404(mined: tuple[TestClient, str]) -> None:
    client, key = mined
    assert_problem(client.get("/v1/themes/t_999999", headers=bearer(key)), 404)
    response = client.patch("/v1/themes/t_999999", json={"label": "x"}, headers=bearer(key))
    assert_problem(response, 404)


def test_themes_of_another_workspace_are_404(mined: tuple[TestClient, str]) -> None:
    client, key = mined
    top = themes(client, key)[0]
    other: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    assert themes(client, other) == []
    assert_problem(client.get(f"/v1/themes/{top['id']}", headers=bearer(other)), 404)
    response = client.patch(f"/v1/themes/{top['id']}", json={"label": "x"}, headers=bearer(other))
    assert_problem(response, 404)
    assert themes(client, key)[0]["custom_label"] is None
