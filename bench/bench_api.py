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
import contextlib
import datetime as dt
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from feedback_nlp.demo import read_demo_items  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "RESULTS.md"
CLI = [sys.executable, "-c", "from feedback_nlp.cli import main; main()"]


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


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def synthetic_items(n: int, shards: int) -> Iterator[dict[str, Any]]:
    """``n`` items: demo texts cycled, unique ids, a ``shard`` segment for the mining subset."""
    demo = read_demo_items()
    for i in range(n):
        base = demo[i % len(demo)]
        segments = dict(base["segments"])  # type: ignore[call-overload]
        segments["shard"] = str(i % shards)
        yield base | {"id": f"bench-{i:07d}", "segments": segments}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited; see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready; see {log}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def timed(client: httpx.Client, path: str, repeats: int, **params: Any) -> list[float]:
    client.get(path, params=params).raise_for_status()  # warm-up
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run_backend(name: str, url: str, args: argparse.Namespace, work: Path) -> BackendResult:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_NLP_")}
    env |= {
        "FEEDBACK_NLP_DATABASE__URL": url,
        "FEEDBACK_NLP_VAR_DIR": str(work / "var"),
        "FEEDBACK_NLP_MODELS__EMBEDDER": args.embedder,
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [*CLI, "keys", "create", "--workspace", "bench"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    key = done.stdout.strip().splitlines()[-1]
    shards = max(1, args.items // args.mine_items)
    with (
        server(env, work / f"server-{name}.log") as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=600
        ) as client,
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
        while job["state"] in {"queued", "running"}:
            time.sleep(1)
            job = client.get(f"/v1/jobs/{job['id']}").raise_for_status().json()
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


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"fnlp_bench_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"1-minute load average at start {load:.1f}"
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
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
