"""``/docs`` and ``/redoc`` name only assets the server serves; ``GET /`` leads to ``/ui``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_support import make_settings
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("docs"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html
    assert "https://" not in html  # no CDN, no Google Fonts
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/docs-assets/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
    assert "/openapi.json" in html


def test_docs_openapi_lists_the_admin_routes_not_the_doc_pages(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/admin/keys" in paths
    assert not {"/", "/docs", "/redoc"} & set(paths)


def test_root_redirects_to_the_dashboard(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"
    followed = client.get("/")  # /ui, then its sign-in page
    assert followed.status_code == 200
    assert "/docs" in followed.text  # the dashboard's header links the docs and health
    assert "/v1/health" in followed.text
