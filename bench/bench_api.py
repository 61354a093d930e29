"""HTTP API throughput and latency against the real server, on SQLite and PostgreSQL.

For each backend: start ``feedback-nlp serve`` in a subprocess over a fresh database, create a key
with the CLI, post ``--items`` synthetic items (the demo corpus texts, cycled, with unique ids) in
``--batch``-item batches from one client, run one mine job over a ``--mine-items`` subset (selected
by a ``shard`` segment), then time ``GET /v1/themes`` (and, for context, one theme's detail and a
100-item feedback page) ``--requests`` times each. Prints a table and appends a dated section to
``bench/RESULTS.md``.

Usage::

    python bench/bench_api.py                       # SQLite, plus PostgreSQL if the URL is set
    python bench/bench_api.py --items 20000 --no-write
    python bench/bench_api.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:54331/x
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _common import append_results, machine, percentile, running_server, server_env

from feedback_nlp.demo import read_demo_items
from feedback_nlp.testing.servers import cli_create_key, postgres_database, wait_for_job


@dataclass(frozen=True)
class BackendResult:
    """What one backend measured."""

    backend: str
    items: int
    batch: int
    ingest_s: float
    batch_p50_ms: float
    batch_p95_ms: float
    mined_items: int
    mine_s: float
    themes: int
    themes_p50_ms: float
    themes_p95_ms: float
    detail_p50_ms: float
    page_p50_ms: float

    @property
    def items_per_s(self) -> float:
        """Ingest throughput over HTTP."""
        return self.items / self.ingest_s


def synthetic_items(n: int, shards: int) -> Iterator[dict[str, Any]]:
    """``n`` items: demo texts cycled, unique ids, a ``shard`` segment for the mining subset."""
    demo = read_demo_items()
    for i in range(n):
        base = demo[i % len(demo)]
        segments = dict(base["segments"])  # type: ignore[call-overload]
        segments["shard"] = str(i % shards)
        yield base | {"id": f"bench-{i:07d}", "segments": segments}


def timed(client: httpx.Client, path: str, repeats: int, **params: Any) -> list[float]:
    client.get(path, params=params).raise_for_status()  # warm-up
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run_backend(name: str, url: str, args: argparse.Namespace, work: Path) -> BackendResult:
    env = server_env(url, work / "var", FEEDBACK_NLP_MODELS__EMBEDDER=args.embedder)
    key = cli_create_key(env, "bench")
    shards = max(1, args.items // args.mine_items)
    with (
        running_server(env, work / f"server-{name}.log") as server,
        server.client(key, timeout=600) as client,
    ):
        batch_ms: list[float] = []
        batch: list[dict[str, Any]] = []
        started = time.perf_counter()

        def flush() -> None:
            t0 = time.perf_counter()
            body = client.post("/v1/feedback", json={"items": batch}).raise_for_status().json()
            batch_ms.append((time.perf_counter() - t0) * 1000)
            assert body["created"] == len(batch), body
            batch.clear()

        for item in synthetic_items(args.items, shards):
            batch.append(item)
            if len(batch) == args.batch:
                flush()
        if batch:
            flush()
        ingest_s = time.perf_counter() - started
        print(f"[{name}] ingested {args.items} items in {ingest_s:.1f} s", flush=True)

        started = time.perf_counter()
        job = (
            client.post("/v1/jobs", json={"kind": "mine", "filters": {"segments": {"shard": "0"}}})
            .raise_for_status()
            .json()
        )
        job = wait_for_job(client, job["id"], timeout=24 * 3600, poll=1.0)
        mine_s = time.perf_counter() - started
        if job["state"] != "succeeded":
            raise RuntimeError(f"mine job ended {job['state']}: {job['error']}")
        themes = client.get("/v1/themes").raise_for_status().json()
        print(f"[{name}] mine job over shard 0: {mine_s:.1f} s, {len(themes)} themes", flush=True)
        themes_ms = timed(client, "/v1/themes", args.requests)
        detail_ms = timed(client, f"/v1/themes/{themes[0]['id']}", args.requests)
        page_ms = timed(client, "/v1/feedback", args.requests, limit=100)
    return BackendResult(
        backend=name,
        items=args.items,
        batch=args.batch,
        ingest_s=ingest_s,
        batch_p50_ms=percentile(batch_ms, 0.5),
        batch_p95_ms=percentile(batch_ms, 0.95),
        mined_items=len(range(0, args.items, shards)),
        mine_s=mine_s,
        themes=len(themes),
        themes_p50_ms=percentile(themes_ms, 0.5),
        themes_p95_ms=percentile(themes_ms, 0.95),
        detail_p50_ms=percentile(detail_ms, 0.5),
        page_p50_ms=percentile(page_ms, 0.5),
    )


def report(results: list[BackendResult], args: argparse.Namespace, where: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python bench/bench_api.py " + " ".join(sys.argv[1:])
    lines = [
        f"## HTTP API: ingest throughput and theme latency ({stamp})",
        "",
        f"command: `{command.strip()}`",
        "",
        f"machine: {where}. One client, sequential requests, the real server "
        f"(`feedback-nlp serve`, uvicorn, 1 process) on 127.0.0.1; embedder `{args.embedder}`; "
        "ingest includes validation, PII redaction and language identification.",
        "",
        "| backend | items | batch | ingest items/s | batch p50 / p95 ms | mine job (items, s) "
        "| themes | GET /v1/themes p50 / p95 ms | theme detail p50 ms | feedback page p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.items:,} | {r.batch:,} | {r.items_per_s:,.0f} | "
            f"{r.batch_p50_ms:,.0f} / {r.batch_p95_ms:,.0f} | {r.mined_items:,}, {r.mine_s:.0f} | "
            f"{r.themes} | {r.themes_p50_ms:.1f} / {r.themes_p95_ms:.1f} | "
            f"{r.detail_p50_ms:.1f} | {r.page_p50_ms:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--mine-items", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--embedder", default="minilm-l6-en")
    parser.add_argument("--postgres-url", default=os.environ.get("FEEDBACK_NLP_TEST_POSTGRES_URL"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    where = machine()
    results = []
    with tempfile.TemporaryDirectory(prefix="fnlp-bench-") as tmp:
        work = Path(tmp)
        sqlite_url = f"sqlite:///{work / 'bench.sqlite3'}"
        results.append(run_backend("SQLite", sqlite_url, args, work))
        if args.postgres_url:
            with postgres_database(args.postgres_url) as url:
                results.append(run_backend("PostgreSQL 15", url, args, work))
        else:
            print("PostgreSQL skipped: set FEEDBACK_NLP_TEST_POSTGRES_URL or --postgres-url")
    text = report(results, args, where)
    print(text)
    if not args.no_write:
        append_results(text)


if __name__ == "__main__":
    main()
