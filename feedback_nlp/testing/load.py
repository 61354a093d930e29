"""A bounded closed-loop HTTP load: ``users`` virtual users for ``duration_s`` seconds.

Each user (an asyncio task sharing one ``httpx.AsyncClient``) sends one request of each kind
first, in a random order, then picks each next request at random by weight; it waits for each
answer and goes again, with no think time, until the duration is up; so the offered load adapts
to the server (a closed loop: ``users`` requests in flight at most). The mix:

============================================  ======  =========================================
request                                       weight  what
============================================  ======  =========================================
``POST /v1/feedback``                         1       ``batch`` new items (demo texts, NPS)
``GET /v1/themes``                            3       every theme
``GET /v1/themes/{id}``                       3       a random theme's detail
``GET /v1/feedback``                          3       a 100-item page, half of them of one theme
``GET /v1/insights/top-detractor-issues``     1       themes ranked by NPS impact
============================================  ======  =========================================

An error is any answer but 200 (or a POST with a rejected item) and any transport error; the
report keeps every latency, per endpoint, in milliseconds. Used by ``bench/bench_load.py`` and by
the CI smoke test ``tests/reliability/test_load_smoke.py``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from feedback_nlp.testing.backends import percentile
from feedback_nlp.testing.servers import bearer

__all__ = ["ENDPOINTS", "LoadReport", "run_load"]

ENDPOINTS: dict[str, int] = {
    "POST /v1/feedback": 1,
    "GET /v1/themes": 3,
    "GET /v1/themes/{id}": 3,
    "GET /v1/feedback": 3,
    "GET /v1/insights/top-detractor-issues": 1,
}


@dataclass(slots=True)
class LoadReport:
    """Latencies and errors per endpoint of one load run."""

    users: int
    duration_s: float
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    items_posted: int = 0

    @property
    def requests(self) -> int:
        """Requests answered (errors included)."""
        return sum(len(v) for v in self.latency_ms.values())

    @property
    def error_count(self) -> int:
        """Requests that failed."""
        return sum(len(v) for v in self.errors.values())

    def rate(self, endpoint: str | None = None) -> float:
        """Requests a second, of one endpoint or of all."""
        n = self.requests if endpoint is None else len(self.latency_ms[endpoint])
        return n / self.duration_s

    def quantile(self, endpoint: str, q: float) -> float:
        """The ``q`` quantile of an endpoint's latencies, ms."""
        return percentile(self.latency_ms[endpoint], q)


class _User:
    def __init__(
        self,
        number: int,
        client: httpx.AsyncClient,
        report: LoadReport,
        theme_ids: Sequence[str],
        items: Sequence[dict[str, Any]],
        batch: int,
        rng: random.Random,
    ) -> None:
        self.number, self.client, self.report = number, client, report
        self.theme_ids, self.items, self.batch, self.rng = theme_ids, items, batch, rng
        self.sent = 0
        self.requests: dict[str, Callable[[], Any]] = {
            "POST /v1/feedback": self._post,
            "GET /v1/themes": lambda: self.client.get("/v1/themes"),
            "GET /v1/themes/{id}": lambda: self.client.get(
                f"/v1/themes/{self.rng.choice(self.theme_ids)}"
            ),
            "GET /v1/feedback": self._page,
            "GET /v1/insights/top-detractor-issues": lambda: self.client.get(
                "/v1/insights/top-detractor-issues"
            ),
        }

    def _post(self) -> Any:
        batch = []
        for _ in range(self.batch):
            base = self.items[self.rng.randrange(len(self.items))]
            batch.append(base | {"id": f"load-u{self.number}-{self.sent:07d}"})
            self.sent += 1
        return self.client.post("/v1/feedback", json={"items": batch})

    def _page(self) -> Any:
        params: dict[str, Any] = {"limit": 100}
        if self.rng.random() < 0.5:
            params["theme"] = self.rng.choice(self.theme_ids)
        return self.client.get("/v1/feedback", params=params)

    async def run(self, deadline: float) -> None:
        names, weights = list(ENDPOINTS), list(ENDPOINTS.values())
        first = self.rng.sample(names, len(names))  # every kind at least once
        while time.monotonic() < deadline:
            name = first.pop() if first else self.rng.choices(names, weights)[0]
            started = time.perf_counter()
            problem = None
            try:
                response = await self.requests[name]()
                if response.status_code != 200:
                    problem = f"{response.status_code}: {response.text[:200]}"
                elif name.startswith("POST") and response.json()["rejected"]:
                    problem = f"rejected items: {response.json()['errors'][:2]}"
                elif name.startswith("POST"):
                    self.report.items_posted += self.batch
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            self.report.latency_ms[name].append((time.perf_counter() - started) * 1000)
            if problem is not None:
                self.report.errors[name].append(problem)


async def _run(
    url: str,
    key: str,
    users: int,
    duration_s: float,
    items: Sequence[dict[str, Any]],
    batch: int,
    seed: int,
) -> LoadReport:
    report = LoadReport(users=users, duration_s=duration_s)
    report.latency_ms = {name: [] for name in ENDPOINTS}
    report.errors = {name: [] for name in ENDPOINTS}
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(
        base_url=url, headers=bearer(key), timeout=120, limits=limits
    ) as client:
        themes = (await client.get("/v1/themes")).raise_for_status().json()
        theme_ids = [theme["id"] for theme in themes]
        if not theme_ids:
            raise RuntimeError("the workspace has no themes: mine it before the load run")
        rng = random.Random(seed)
        crowd = [
            _User(n, client, report, theme_ids, items, batch, random.Random(rng.random()))
            for n in range(users)
        ]
        started = time.monotonic()
        await asyncio.gather(*(user.run(started + duration_s) for user in crowd))
        report.duration_s = time.monotonic() - started  # the last answers come after the bell
    return report


def run_load(
    url: str,
    key: str,
    items: Sequence[dict[str, Any]],
    *,
    users: int = 16,
    duration_s: float = 60.0,
    batch: int = 100,
    seed: int = 0,
) -> LoadReport:
    """Run the mix against ``url`` for ``duration_s`` seconds with ``users`` users.

    Args:
        url: The server (its workspace must have themes).
        key: An API key of the workspace.
        items: Items to post (their ids are replaced by fresh ones).
        users: Concurrent virtual users.
        duration_s: How long users start new requests.
        batch: Items per ``POST /v1/feedback``.
        seed: Seed of every user's choices.

    Returns:
        Latencies and errors per endpoint.
    """
    return asyncio.run(_run(url, key, users, duration_s, items, batch, seed))
