from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import CLI, REPO_ROOT, assert_problem, bearer, make_settings, server_env
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.settings import Settings

PROTECTED = [
    ("POST", "/v1/feedback"),
    ("GET", "/v1/feedback"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs/x"),
    ("DELETE", "/v1/jobs/x"),
    ("GET", "/v1/themes"),
    ("GET", "/v1/themes/x"),
    ("PATCH", "/v1/themes/x"),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_auth_missing_key_is_401_with_challenge(client: TestClient, method: str, path: str) -> None:
    body = assert_problem(client.request(method, path, json={}), 401)
    assert body["code"] == "E450"
    assert "keys create" in body["detail"]
    response = client.request(method, path)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer fnlp_0000000000000000_wrongsecret",
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_auth_invalid_key_is_401(client: TestClient, header: str) -> None:
    response = client.get("/v1/themes", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_auth_key_with_a_wrong_secret_is_401(client: TestClient) -> None:
    key: str = client.app.state.store.create_api_key("acme")  # type: ignore[attr-defined]
    assert client.get("/v1/themes", headers=bearer(key)).status_code == 200
    tampered = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_problem(client.get("/v1/themes", headers=bearer(tampered)), 401)


def test_auth_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/v1/health").status_code == 200


def test_auth_cli_key_authenticates(client: TestClient, settings: Settings) -> None:
    import subprocess

    env = server_env(settings.database.url, settings.var_dir)
    done = subprocess.run(
        [*CLI, "keys", "create", "--workspace", "cli-made"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    key = done.stdout.strip()
    assert key.startswith("fnlp_")
    assert "\n" not in key  # the key alone on stdout; the explanation goes to stderr
    assert client.get("/v1/feedback", headers=bearer(key)).status_code == 200
