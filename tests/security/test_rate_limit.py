"""Rate limits: a token bucket per API key (per client address without a valid one), 429s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app, rate_limiter
from api.rate_limit import TokenBucketLimiter
from feedback_nlp.settings import ApiSettings
from tests.api.api_support import assert_problem, bearer, make_settings, unique_name


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=3, clock=clock)  # one token a second
    decisions = [limiter.take("key:a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[2].reset_seconds == 3  # three tokens short, one a second
    assert decisions[3].retry_after == 1
    clock.now += 0.5
    half = limiter.take("key:a")
    assert (half.allowed, half.retry_after) == (False, 1)  # 0.5 token: still refused
    clock.now += 0.5
    assert limiter.take("key:a").allowed  # one whole token is back
    clock.now += 100
    full = limiter.take("key:a")
    assert (full.allowed, full.remaining) == (True, 2)  # refilled to the burst, not beyond


def test_token_bucket_keeps_identities_apart() -> None:
    limiter = TokenBucketLimiter(per_minute=60, burst=1, clock=FakeClock())
    assert limiter.take("key:a").allowed
    assert not limiter.take("key:a").allowed
    assert limiter.take("key:b").allowed
    assert limiter.take("ip:10.0.0.1").allowed


def test_token_bucket_drops_the_least_recently_used_identity() -> None:
    limiter = TokenBucketLimiter(per_minute=60, burst=1, clock=FakeClock(), max_buckets=2)
    for identity in ("a", "b", "a", "c"):  # 'b' is the least recently used when 'c' arrives
        limiter.take(identity)
    assert len(limiter) == 2
    assert limiter.take("b").allowed  # forgotten: a full bucket again
    assert not limiter.take("c").allowed


def test_token_bucket_headers_carry_retry_after_only_when_refused() -> None:
    limiter = TokenBucketLimiter(per_minute=120, burst=1, clock=FakeClock())
    assert limiter.take("x").headers() == {
        "RateLimit-Limit": "1",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "1",  # one token at two a second: 0.5 s, rounded up
    }
    assert limiter.take("x").headers()["Retry-After"] == "1"


def test_token_bucket_refuses_a_zero_rate() -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        TokenBucketLimiter(per_minute=0, burst=1)


def test_rate_limiter_settings_default_generous_and_zero_disables() -> None:
    default = rate_limiter(ApiSettings())
    assert default is not None
    assert (default.limit, default.rate) == (1200, 20.0)
    assert rate_limiter(ApiSettings(rate_limit_per_minute=0)) is None
    tight = rate_limiter(ApiSettings(rate_limit_per_minute=30, rate_limit_burst=5))
    assert tight is not None
    assert (tight.limit, tight.rate) == (5, 0.5)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app allowing bursts of 3 requests per identity, then one every 10 s."""
    settings = make_settings(
        tmp_path_factory.mktemp("rate"), rate_limit_per_minute=6, rate_limit_burst=3
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def new_key(client: TestClient) -> str:
    """A key of a new workspace: a bucket no other test used."""
    key: str = client.app.state.store.create_api_key(unique_name())  # type: ignore[attr-defined]
    return key


def test_rate_limit_answers_429_problem_with_retry_after(app_client: TestClient) -> None:
    key = new_key(app_client)
    answers = [app_client.get("/v1/themes", headers=bearer(key)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {"3"}
    refused = app_client.get("/v1/themes", headers=bearer(key))
    body = assert_problem(refused, 429)
    assert body["code"] == "E451"
    assert "this API key" in body["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert int(refused.headers["RateLimit-Reset"]) <= 30


def test_rate_limit_is_per_key_and_health_is_exempt(app_client: TestClient) -> None:
    one, two = new_key(app_client), new_key(app_client)
    for _ in range(3):
        assert app_client.get("/v1/feedback", headers=bearer(one)).status_code == 200
    assert app_client.get("/v1/feedback", headers=bearer(one)).status_code == 429
    assert app_client.get("/v1/feedback", headers=bearer(two)).status_code == 200  # own bucket
    for _ in range(10):
        health = app_client.get("/v1/health")
        assert health.status_code == 200
        assert "RateLimit-Limit" not in health.headers
    assert app_client.get("/metrics").status_code == 200


def test_rate_limit_made_up_keys_share_the_client_address_bucket(app_client: TestClient) -> None:
    key = new_key(app_client)
    made_up = [f"fnlp_{n:016x}_{'x' * 43}" for n in range(4)]  # shaped like keys, each new
    statuses = [app_client.get("/v1/themes", headers=bearer(k)).status_code for k in made_up]
    assert statuses == [401, 401, 401, 429]  # a fresh key id does not earn a fresh bucket
    body = assert_problem(app_client.get("/v1/themes"), 429)  # no key at all: the same address
    assert "this client address" in body["detail"]
    assert app_client.get("/v1/themes", headers=bearer(key)).status_code == 200  # valid: own


def test_rate_limit_zero_disables_it(tmp_path: Path) -> None:
    limited = TestClient(create_app(make_settings(tmp_path, rate_limit_per_minute=1)))
    free = TestClient(create_app(make_settings(tmp_path, rate_limit_per_minute=0)))
    assert limited.get("/v1/nothing").headers["RateLimit-Limit"] == "1"  # no lifespan needed
    assert_problem(limited.get("/v1/nothing"), 429)
    answers = [free.get("/v1/nothing") for _ in range(5)]
    assert {a.status_code for a in answers} == {404}
    assert "RateLimit-Limit" not in answers[-1].headers


def test_rate_limit_auth_check_is_per_request_so_revocation_holds(app_client: TestClient) -> None:
    key = new_key(app_client)
    store = app_client.app.state.store  # type: ignore[attr-defined]
    assert app_client.get("/v1/themes", headers=bearer(key)).status_code == 200
    assert store.revoke_api_key(key.split("_")[1])
    # From an address of its own: the shared test address may be out of tokens (429) by now.
    elsewhere = TestClient(app_client.app, client=("192.0.2.7", 50000))
    assert_problem(elsewhere.get("/v1/themes", headers=bearer(key)), 401)


def test_rate_limit_answers_the_dashboard_with_an_html_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_per_minute=6, rate_limit_burst=3)
    with TestClient(create_app(settings)) as client:  # its own client-address bucket
        for _ in range(3):
            assert client.get("/ui/login").status_code == 200
        refused = client.get("/ui/login")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert "Too many requests from this session" in refused.text
    assert '<a href="/ui">' in refused.text
