"""The dashboard shows the outcome insights only for a workspace whose data has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from tests.report.cx_data import OUTCOMES, seed_workspace


@pytest.fixture
def app_keys(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """An app with 'acme' (outcome fields) and 'plain' (none), and a key of each."""
    with TestClient(create_app(make_settings(tmp_path)), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        seed_workspace(store, "acme", outcomes=OUTCOMES)
        seed_workspace(store, "plain")
        yield client, store.create_api_key("acme"), store.create_api_key("plain")


def _dashboard(client: TestClient, key: str) -> str:
    client.cookies.clear()
    response = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
    assert response.status_code == 303, response.text
    page = client.get("/ui")
    assert page.status_code == 200, page.text
    return page.text


def test_ui_dashboard_shows_outcomes_only_with_outcome_data(
    app_keys: tuple[TestClient, str, str],
) -> None:
    client, acme, plain = app_keys
    page = _dashboard(client, acme)
    assert 'id="outcomes"' in page
    assert "Resolution time" in page
    assert "Revenue at risk" in page
    assert "1750 USD" in page
    assert 'id="outcomes"' not in _dashboard(client, plain)
