"""The dashboard under TestClient: sign-in cookie, redirects, CSRF on rename, escaping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from api.ui.auth import COOKIE_NAME, csrf_token, safe_next
from tests.report.hand_mined import HOSTILE, mine_by_hand


@pytest.fixture
def app_key(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """An app over a fresh SQLite store with a hand-mined workspace and its API key."""
    with TestClient(create_app(make_settings(tmp_path)), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        mine_by_hand(store, "acme")
        yield client, store.create_api_key("acme")


def _login(client: TestClient, key: str) -> None:
    response = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui"


def test_ui_login_sets_an_httponly_strict_cookie(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    response = client.post("/ui/login", data={"api_key": key, "next": "/ui/themes/t_000001"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/themes/t_000001"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}={key};")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/ui"} <= attributes
    assert client.get("/ui").status_code == 200


def test_ui_login_rejects_a_wrong_key(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    response = client.post("/ui/login", data={"api_key": key[:-2] + "xx"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert "not valid" in response.text


def test_ui_unauthenticated_pages_redirect_to_login(app_key: tuple[TestClient, str]) -> None:
    client, _ = app_key
    response = client.get("/ui", params={"segment": "plan:pro"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%3Fsegment%3Dplan%253Apro"
    response = client.get("/ui/themes/t_000001")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")
    client.cookies.set(COOKIE_NAME, "fnlp_0000000000000000_forged", path="/ui")
    assert client.get("/ui").status_code == 303


def test_ui_rename_requires_the_csrf_token(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    _login(client, key)
    url = "/ui/themes/t_000001/rename"
    missing = client.post(url, data={"label": "Export problems"})
    wrong = client.post(url, data={"label": "Export problems", "csrf_token": "0" * 64})
    other_key = client.post(
        url, data={"label": "Export problems", "csrf_token": csrf_token(key + "x")}
    )
    assert [missing.status_code, wrong.status_code, other_key.status_code] == [403, 403, 403]
    page = client.get("/ui/themes/t_000001").text
    assert "Export problems" not in page

    done = client.post(url, data={"label": "Export problems", "csrf_token": csrf_token(key)})
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/themes/t_000001?renamed=true"
    page = client.get(done.headers["location"]).text
    assert "Theme renamed." in page
    assert '<span class="label" dir="auto">Export problems</span>' in page
    assert f'name="csrf_token" value="{csrf_token(key)}"' in page
    # The dashboard's rename is a recorded taxonomy operation, like PATCH /v1/themes/{id}.
    log = client.get("/v1/taxonomy/operations", headers={"Authorization": f"Bearer {key}"})
    assert log.status_code == 200
    renames = [op for op in log.json()["operations"] if op["kind"] == "rename"]
    assert renames[-1]["params"]["label"] == "Export problems"


def test_ui_rename_rejects_a_blank_label_with_a_message(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    _login(client, key)
    response = client.post(
        "/ui/themes/t_000001/rename", data={"label": "   ", "csrf_token": csrf_token(key)}
    )
    assert response.status_code == 422
    assert "non-blank" in response.text


def test_ui_pages_escape_feedback_and_forbid_scripts(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    _login(client, key)
    for url in ("/ui", "/ui/themes/t_000001"):
        response = client.get(url)
        assert response.status_code == 200
        assert HOSTILE not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "<script" not in response.text.lower()
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy  # falls back to default-src 'none': no script runs


def test_ui_dashboard_filters_by_segment_and_period(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    _login(client, key)
    page = client.get("/ui", params={"segment": "plan:free"}).text
    # 8 of the 24 hand-mined items are on the free plan
    assert "8 of 24 items" in page
    assert '<option value="plan:free" dir="auto" selected>' in page
    # the hand-mined items start on 2026-05-04, three days apart: May holds days 0..27
    page = client.get("/ui", params={"period": "2026-05"}).text
    assert '<option value="2026-05" selected>' in page
    bad = client.get("/ui", params={"period": "May"})
    assert bad.status_code == 422
    assert "The &#39;period&#39; filter must be" in bad.text


def test_ui_unknown_theme_is_a_404_page(app_key: tuple[TestClient, str]) -> None:
    client, key = app_key
    _login(client, key)
    response = client.get("/ui/themes/t_999999")
    assert response.status_code == 404
    assert "No theme has the id" in response.text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/themes/t_1?segment=a", "/ui/themes/t_1?segment=a"),
        ("/ui", "/ui"),
        ("/uix", "/ui"),
        ("//evil.example/ui", "/ui"),
        ("https://evil.example/ui", "/ui"),
        ("/ui\\..\\x", "/ui"),
        (None, "/ui"),
    ],
)
def test_ui_safe_next_refuses_open_redirects(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
