"""Concurrent clients posting overlapping ids to one server: nothing lost, nothing duplicated.

``clients`` threads start together (a barrier) and each posts ``per_client`` items in batches, in
its own shuffled order: half of them (``shared``) carry ids every client posts, each client with
its own text and ``client`` segment; the rest are the client's own ids. Each client then re-posts
its own items of its first batch unchanged. Since every version of a shared id differs from every
other, the answers must add up exactly:

* ``created`` = distinct ids (``shared + clients * own``): each id created once;
* ``updated`` = ``(clients - 1) * shared``: every later post of a shared id changes it;
* ``unchanged`` = the re-posted own items; ``rejected`` = 0; every answer 200.

The database then holds each expected id exactly once and nothing else; an own item has the text
its client sent; a shared item has one client's text *and that same client's* segment (a row is
never a mix of two versions), and the segment index has one row per item. Paging through
``GET /v1/feedback`` returns every id once.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from feedback_nlp.testing.backends import DbProbe, percentile
from feedback_nlp.testing.servers import bearer, fetch_all_ids
from feedback_nlp.testing.texts import stable_texts, versioned

__all__ = ["ConcurrencyConfig", "ConcurrencyReport", "run_concurrent_ingest"]


@dataclass(frozen=True, slots=True)
class ConcurrencyConfig:
    """The load of one run.

    Attributes:
        clients: Concurrent client threads.
        per_client: Items each client posts (half shared ids, half its own).
        batch: Items per request.
        seed: Seed of the texts and of each client's order.
    """

    clients: int = 8
    per_client: int = 1_000
    batch: int = 100
    seed: int = 0

    @property
    def shared(self) -> int:
        """Ids every client posts."""
        return self.per_client // 2

    @property
    def own(self) -> int:
        """Ids only one client posts, per client."""
        return self.per_client - self.shared


@dataclass(slots=True)
class ConcurrencyReport:
    """What a run sent, what the answers counted and how long it took."""

    config: ConcurrencyConfig
    requests: int = 0
    posted: int = 0
    distinct: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    latency_ms: list[float] = field(default_factory=list)

    @property
    def items_per_s(self) -> float:
        """Posted items a second over the whole run."""
        return self.posted / self.wall_s

    def latency(self, q: float) -> float:
        """The ``q`` quantile of the request latencies, ms."""
        return percentile(self.latency_ms, q)


def _client_items(config: ConcurrencyConfig, client: int) -> list[dict[str, Any]]:
    texts = stable_texts()
    rng = random.Random(config.seed * 1_000 + client)
    segments = {"client": str(client)}
    items = [
        {"id": f"s-{n:06d}", "text": versioned(texts[rng.randrange(len(texts))], client + 1)}
        | {"segments": segments}
        for n in range(config.shared)
    ]
    items += [
        {"id": f"c{client}-{n:06d}", "text": versioned(texts[rng.randrange(len(texts))], 0)}
        | {"segments": segments}
        for n in range(config.own)
    ]
    rng.shuffle(items)
    return items


def run_concurrent_ingest(
    url: str, key: str, database_url: str, workspace: str, config: ConcurrencyConfig
) -> ConcurrencyReport:
    """Post from ``config.clients`` threads at once, then check the answers and the database.

    Args:
        url: The server.
        key: An API key of ``workspace`` (which must be empty).
        database_url: The server's database, read directly for the checks.
        workspace: The workspace of ``key``.
        config: Clients, items and batch size.

    Returns:
        The counts and timings (every check passed).

    Raises:
        AssertionError: When a check fails.
    """
    plans = [_client_items(config, c) for c in range(config.clients)]
    report = ConcurrencyReport(config=config)
    lock = threading.Lock()
    failures: list[str] = []
    barrier = threading.Barrier(config.clients + 1)
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)

    def client(number: int) -> None:
        items = plans[number]
        batches = [items[i : i + config.batch] for i in range(0, len(items), config.batch)]
        batches.append([item for item in batches[0] if not item["id"].startswith("s-")])
        with httpx.Client(base_url=url, headers=bearer(key), timeout=600) as http:
            barrier.wait()
            for batch in batches:
                started = time.perf_counter()
                try:
                    response = http.post("/v1/feedback", json={"items": batch})
                    ok = response.status_code == 200
                    problem = "" if ok else f"{response.status_code} {response.text[:300]}"
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    report.requests += 1
                    report.posted += len(batch)
                    report.latency_ms.append(elapsed)
                    if problem:
                        failures.append(f"client {number}: {problem}")
                        return
                    body = response.json()
                    for name in counts:
                        counts[name] += body[name]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(config.clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    report.wall_s = time.monotonic() - started
    assert not failures, failures[:3]
    repost_own = sum(
        sum(not item["id"].startswith("s-") for item in plan[: config.batch]) for plan in plans
    )
    report.counts = counts
    report.distinct = config.shared + config.clients * config.own
    report.expected = {
        "created": report.distinct,
        "updated": (config.clients - 1) * config.shared,
        "unchanged": repost_own,
        "rejected": 0,
    }
    assert counts == report.expected, (counts, report.expected)
    _check_database(database_url, workspace, plans, report)
    with httpx.Client(base_url=url, headers=bearer(key), timeout=600) as http:
        ids = fetch_all_ids(http)
    assert len(ids) == len(set(ids)) == report.distinct, (len(ids), len(set(ids)))
    return report


def _check_database(
    database_url: str, workspace: str, plans: list[list[dict[str, Any]]], report: ConcurrencyReport
) -> None:
    probe = DbProbe(database_url)
    try:
        stored = probe.items(workspace)
        segment_rows = probe.segment_rows(workspace)
    finally:
        probe.close()
    sent: dict[str, dict[str, str]] = {}  # id -> text -> client
    for number, plan in enumerate(plans):
        for item in plan:
            sent.setdefault(item["id"], {})[item["text"]] = str(number)
    assert set(stored) == set(sent), (len(stored), len(sent))
    assert len(stored) == report.distinct
    for item_id, got in stored.items():
        assert got.copies == 1, f"{item_id} stored {got.copies} times"
        assert got.text in sent[item_id], f"{item_id}: stored text {got.text!r} was never sent"
        assert dict(got.segments) == {"client": sent[item_id][got.text]}, (item_id, got)
    assert segment_rows == report.distinct, (segment_rows, report.distinct)
