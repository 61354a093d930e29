"""Analytics at scale over HTTP: a million stored and mined items, reads under writes, restarts.

One command per backend (SQLite, PostgreSQL, or both), each on a fresh database:

1. **Load** ``--items`` items (default 1,000,000; about two opinion units each) made by the demo
   generator (``corpora/demo/generate.py``: five languages, realistic plan / region / channel
   segments, sources, dates over six months, NPS and CSAT), in chunks of 100,000 rows with
   seeds ``seed, seed + 1, ...`` and ids ``scale-0000001`` onwards: with ``--load cli``
   (default) written to a CSV and stored by ``feedback-nlp ingest`` before the server starts,
   with ``--load http`` posted to the running server in 1,000-item batches.
2. **Mine** them: ``POST /v1/jobs`` in fast mode (``e5-small-static``, no resamples) on a real
   ``feedback-nlp serve`` subprocess (uvicorn, 1 process, embedded worker, rate limit off).
3. **Warm**: one request of every read route (the first builds the analytics state).
4. **Mixed load** for ``--duration`` seconds: one writer posts ``--batch``-item batches paced to
   ``--write-rate`` items/s, ``--readers`` closed-loop readers pick read routes at random
   (:data:`READ_ROUTES`), and a prober measures the **freshness lag**: it posts ``--probe-size``
   items whose ``channel`` is a fresh value ``probe-<k>`` and times from the POST's answer until
   ``/v1/metrics/nps?segment=channel:probe-<k>`` counts all of them.
5. **Restart**: stop the server (SIGTERM; ``--kill`` for SIGKILL), start it again, and time
   until ``/v1/health`` answers and until the first ``/v1/insights/top-detractor-issues``
   answer (the analytics state loaded from its saved snapshot and caught up).

Prints throughput and p50/p95/p99 per route (and whether each read route meets the issue-15
target: p95 < 100 ms), the freshness lag and the restart times; appends a dated section to
``bench/RESULTS.md`` unless ``--no-write``. Exits 1 on any request error.

Usage::

    python bench/bench_scale_api.py                                   # 1M items, both backends
    python bench/bench_scale_api.py --items 20000 --duration 20 --backends sqlite --no-write
    python bench/bench_scale_api.py --backends sqlite --keep /tmp/mined.sqlite3  # then A/B runs:
    python bench/bench_scale_api.py --backends sqlite --from /tmp/mined.sqlite3 --no-write
    source .ci/postgres.sh && python bench/bench_scale_api.py --backends postgres
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import REPO_ROOT, append_results, machine

from feedback_nlp.testing.backends import create_key, fresh_database, percentile, reliability_env
from feedback_nlp.testing.modules import load_file_module
from feedback_nlp.testing.servers import CLI, Server, bearer, start_server, wait_for_job

GENERATOR = REPO_ROOT / "corpora" / "demo" / "generate.py"
WORKSPACE = "scale"
CHUNK = 100_000
TARGET_P95_MS = 100.0
TARGET_FRESHNESS_S = 5.0
TARGET_RESTART_S = 30.0
#: The demo generator's outcome columns (issue 19), loaded and served like the other fields.
OUTCOME_FIELDS: tuple[str, ...] = load_file_module("demo_generate", GENERATOR).OUTCOME_COLUMNS

#: Read routes of the mixed load: name -> (path, query parameters).
READ_ROUTES: dict[str, tuple[str, dict[str, str]]] = {
    "GET /v1/metrics/nps": ("/v1/metrics/nps", {}),
    "GET /v1/metrics/nps?by=plan": ("/v1/metrics/nps", {"by": "plan"}),
    "GET /v1/metrics/csat?by=region": ("/v1/metrics/csat", {"by": "region"}),
    "GET /v1/metrics/ces": ("/v1/metrics/ces", {}),
    "GET /v1/metrics/scores?by=theme": ("/v1/metrics/scores", {"by": "theme"}),
    "GET /v1/metrics/scores?by=week": ("/v1/metrics/scores", {"by": "week"}),
    "GET /v1/insights/top-detractor-issues": ("/v1/insights/top-detractor-issues", {}),
    "GET /v1/insights/top-detractor-issues?segment=plan:enterprise": (
        "/v1/insights/top-detractor-issues",
        {"segment": "plan:enterprise"},
    ),
    "GET /v1/insights/segments?by=plan": ("/v1/insights/segments", {"by": "plan"}),
    "GET /v1/insights/trends": ("/v1/insights/trends", {"period": "week"}),
    "GET /v1/insights/outcomes?by=plan": ("/v1/insights/outcomes", {"by": "plan"}),
    "GET /v1/insights/top-detractor-issues?rank_by=churn_lift": (
        "/v1/insights/top-detractor-issues",
        {"rank_by": "churn_lift"},
    ),
    "GET /v1/themes": ("/v1/themes", {}),
}
WRITE_ROUTE = "POST /v1/feedback"


# --- items ---------------------------------------------------------------------------------


def item_from_row(row: Any, number: int) -> dict[str, Any]:
    """An API item from a demo-generator row (``DemoRow``), with the id ``scale-<number>``."""
    item: dict[str, Any] = {
        "id": f"scale-{number:07d}",
        "text": row.text,
        "source": row.source,
        "created_at": row.created_at,
        "segments": {"plan": row.plan, "region": row.region, "channel": row.channel},
    }
    for name in ("nps", "csat", *OUTCOME_FIELDS):
        value = getattr(row, name)
        if value is not None:
            item[name] = value
    return item


def generated_items(
    n: int, seed: int, *, chunk: int = CHUNK, first: int = 1
) -> Iterator[dict[str, Any]]:
    """``n`` demo items, generated ``chunk`` rows at a time (seeds ``seed, seed + 1, ...``)."""
    generator = load_file_module("demo_generate", GENERATOR)
    number = first
    for index, start in enumerate(range(0, n, chunk)):
        for row in generator.generate_rows(seed + index, min(chunk, n - start)):
            yield item_from_row(row, number)
            number += 1


def csv_rows(items: Iterable[Mapping[str, Any]]) -> Iterator[list[str]]:
    """The CSV rows of ``items`` for ``feedback-nlp ingest``, header first."""
    fields = ("nps", "csat", *OUTCOME_FIELDS)
    yield ["id", "text", "source", "created_at", *fields, "plan", "region", "channel"]
    for item in items:
        segments = item["segments"]
        yield [
            item["id"],
            item["text"],
            item["source"],
            item["created_at"],
            *(_csv_cell(item.get(name)) for name in fields),
            segments["plan"],
            segments["region"],
            segments["channel"],
        ]


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def probe_items(items: Sequence[Mapping[str, Any]], probe: int, size: int) -> list[dict[str, Any]]:
    """``size`` copies of ``items`` (cycled) with fresh ids and the channel ``probe-<probe>``."""
    chosen = []
    for k in range(size):
        base = items[k % len(items)]
        chosen.append(
            dict(base)
            | {
                "id": f"probe-{probe:05d}-{k:04d}",
                "segments": dict(base["segments"]) | {"channel": f"probe-{probe}"},
            }
        )
    return chosen


# --- load ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Latencies (ms) and errors per route, filled by several threads."""

    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    items_written: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, ms: float, error: str | None = None) -> None:
        """Record one answer."""
        with self.lock:
            self.latency_ms.setdefault(route, []).append(ms)
            if error is not None:
                self.errors.setdefault(route, []).append(error)

    @property
    def error_count(self) -> int:
        """All errors."""
        return sum(len(v) for v in self.errors.values())


def summary(latencies_ms: list[float], seconds: float) -> dict[str, float]:
    """``n``, ``rps``, ``p50``, ``p95``, ``p99`` (ms) of one route's latencies."""
    if not latencies_ms:
        return {"n": 0, "rps": 0.0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    return {
        "n": len(latencies_ms),
        "rps": len(latencies_ms) / seconds if seconds > 0 else float("nan"),
        "p50": percentile(latencies_ms, 0.5),
        "p95": percentile(latencies_ms, 0.95),
        "p99": percentile(latencies_ms, 0.99),
    }


def paced_starts(start: float, rate: float, batch: int) -> Iterator[float]:
    """The send times of ``batch``-item posts for ``rate`` items a second from ``start``."""
    k = 0
    while True:
        yield start + k * batch / rate
        k += 1


def _timed(client: httpx.Client, tally: Tally, route: str, call: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response: httpx.Response = call(client)
    except httpx.HTTPError as error:
        tally.add(route, (time.perf_counter() - started) * 1000, f"{type(error).__name__}: {error}")
        return None
    ms = (time.perf_counter() - started) * 1000
    problem = None if response.status_code == 200 else f"{response.status_code}: {response.text}"
    if problem is None and route == WRITE_ROUTE and response.json()["rejected"]:
        problem = f"rejected: {response.json()['errors'][:2]}"
    tally.add(route, ms, None if problem is None else problem[:300])
    return response


def _writer(url: str, key: str, args: argparse.Namespace, stop: float, tally: Tally) -> None:
    pool = list(generated_items(min(5000, args.items), args.seed + 1000, chunk=5000))
    with httpx.Client(base_url=url, headers=bearer(key), timeout=120) as client:
        sent = 0
        for due in paced_starts(time.monotonic(), args.write_rate, args.batch):
            if due >= stop:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            batch = [
                pool[(sent + k) % len(pool)] | {"id": f"load-{sent + k:08d}"}
                for k in range(args.batch)
            ]
            sent += args.batch
            if (
                _timed(
                    client,
                    tally,
                    WRITE_ROUTE,
                    lambda c, b=batch: c.post("/v1/feedback", json={"items": b}),
                )
                is not None
            ):
                with tally.lock:
                    tally.items_written += args.batch


def _reader(url: str, key: str, number: int, stop: float, tally: Tally) -> None:
    rng = random.Random(number)
    names = list(READ_ROUTES)
    with httpx.Client(base_url=url, headers=bearer(key), timeout=120) as client:
        while time.monotonic() < stop:
            name = rng.choice(names)
            path, params = READ_ROUTES[name]
            _timed(client, tally, name, lambda c, p=path, q=params: c.get(p, params=q))


def _prober(
    url: str, key: str, args: argparse.Namespace, stop: float, lags: list[float], tally: Tally
) -> None:
    pool = list(generated_items(50, args.seed + 2000, chunk=50))
    with httpx.Client(base_url=url, headers=bearer(key), timeout=120) as client:
        probe = 0
        while time.monotonic() < stop:
            probe += 1
            items = probe_items(pool, probe, args.probe_size)
            answer = _timed(
                client,
                tally,
                "POST /v1/feedback (probe)",
                lambda c, b=items: c.post("/v1/feedback", json={"items": b}),
            )
            if answer is None or answer.status_code != 200:
                continue
            answered = time.monotonic()
            params = {"segment": f"channel:probe-{probe}"}
            while time.monotonic() - answered < 60:
                body = client.get("/v1/metrics/nps", params=params)
                if body.status_code == 200 and body.json()["overall"]["n_items"] >= len(items):
                    lags.append(time.monotonic() - answered)
                    break
                time.sleep(0.05)
            time.sleep(args.probe_every)


def mixed_load(url: str, key: str, args: argparse.Namespace) -> tuple[Tally, list[float], float]:
    """Writer, readers and prober for ``args.duration`` seconds; (tally, lags s, seconds)."""
    tally, lags = Tally(), list[float]()
    started = time.monotonic()
    stop = started + args.duration
    threads = [threading.Thread(target=_writer, args=(url, key, args, stop, tally))]
    threads += [
        threading.Thread(target=_reader, args=(url, key, n, stop, tally))
        for n in range(args.readers)
    ]
    threads.append(threading.Thread(target=_prober, args=(url, key, args, stop, lags, tally)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, lags, time.monotonic() - started


# --- one backend ---------------------------------------------------------------------------


def _load_cli(items: Iterable[Mapping[str, Any]], env: Mapping[str, str], work: Path) -> None:
    path = work / "items.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(csv_rows(items))
    subprocess.run(
        [
            *CLI,
            "ingest",
            str(path),
            "--workspace",
            WORKSPACE,
            "--segment-cols",
            "plan,region,channel",
        ],
        env=dict(env),
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _load_http(items: Iterable[Mapping[str, Any]], client: httpx.Client) -> None:
    batch: list[Mapping[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == 1000:
            body = client.post("/v1/feedback", json={"items": batch}).raise_for_status().json()
            assert body["rejected"] == 0, body["errors"][:3]
            batch = []
    if batch:
        client.post("/v1/feedback", json={"items": batch}).raise_for_status()


def _first_insight(server: Server, key: str, timeout: float = 600.0) -> float:
    """Seconds until ``top-detractor-issues`` answers 200 (polled)."""
    started = time.monotonic()
    with server.client(key, timeout=timeout) as client:
        while time.monotonic() - started < timeout:
            if client.get("/v1/insights/top-detractor-issues").status_code == 200:
                return time.monotonic() - started
            time.sleep(0.1)
    raise RuntimeError("no insight answer after the restart")


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (the backup API: safe while a server writes)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _load_and_mine(
    backend: str,
    args: argparse.Namespace,
    client: httpx.Client,
    started: float,
    out: dict[str, Any],
) -> None:
    """Steps 1 (its HTTP variant; the CLI load ran before the server) and 2."""
    if args.load == "http":
        _load_http(generated_items(args.items, args.seed), client)
    out["load_s"] = time.monotonic() - started
    print(f"[{backend}] loaded {args.items:,} items in {out['load_s']:.0f} s", flush=True)
    started = time.monotonic()
    job = client.post("/v1/jobs", json={"n_resamples": 0}).raise_for_status().json()
    job = wait_for_job(client, job["id"], timeout=6 * 3600, poll=2.0)
    assert job["state"] == "succeeded", job
    out["mine_s"] = time.monotonic() - started
    out["themes"] = len(client.get("/v1/themes").raise_for_status().json())
    print(f"[{backend}] mined in {out['mine_s']:.0f} s: {out['themes']} themes", flush=True)


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Steps 1-5 of the module docstring on one backend; returns the measurements."""
    out: dict[str, Any] = {"backend": backend}
    with (
        tempfile.TemporaryDirectory(prefix="fnlp-scale-") as tmp,
        fresh_database(backend, Path(tmp)) as url,
    ):
        work = Path(tmp)
        if args.from_copy is not None:
            _copy_sqlite(args.from_copy, _sqlite_path(url))
        key = create_key(url, WORKSPACE)
        env = reliability_env(url, work / "var")
        if args.server_log is not None:
            env["FEEDBACK_NLP_API__LOG_LEVEL"] = "debug"
        started = time.monotonic()
        if args.load == "cli" and args.from_copy is None:
            _load_cli(generated_items(args.items, args.seed), env, work)
        server = start_server(env, work / "server.log", ready_timeout=600)
        try:
            with server.client(key, timeout=3600) as client:
                if args.from_copy is None:
                    _load_and_mine(backend, args, client, started, out)
                else:
                    out["themes"] = len(client.get("/v1/themes").raise_for_status().json())
                if args.keep is not None:
                    _copy_sqlite(_sqlite_path(url), args.keep)
                warm = {}
                for name, (path, params) in READ_ROUTES.items():
                    begun = time.perf_counter()
                    client.get(path, params=params).raise_for_status()
                    warm[name] = time.perf_counter() - begun
                out["first_read_s"] = warm
            tally, lags, seconds = mixed_load(server.url, key, args)
            out["tally"], out["lags"], out["load_seconds"] = tally, lags, seconds
            time.sleep(args.settle)  # let the last snapshot be saved
            began = time.monotonic()
            if args.kill:
                server.kill()
            else:
                server.stop()
            server = start_server(env, work / "server.log", ready_timeout=600)
            out["restart_ready_s"] = time.monotonic() - began
            out["restart_insight_s"] = out["restart_ready_s"] + _first_insight(server, key)
            print(
                f"[{backend}] restart: first insight after {out['restart_insight_s']:.1f} s",
                flush=True,
            )
        finally:
            server.stop()
            if args.server_log is not None:
                shutil.copyfile(work / "server.log", args.server_log)
    return out


# --- report --------------------------------------------------------------------------------


def markdown(results: Sequence[Mapping[str, Any]], args: argparse.Namespace, cmd: str) -> str:
    """A dated RESULTS.md section of the run."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Analytics at scale over HTTP ({stamp})",
        "",
        f"command: `{cmd}`",
        "",
        f"machine: {machine()}; the server, load generator and ingest share the cores; load "
        f"at the end. {args.items:,} demo items "
        f"loaded with `--load {args.load}`, mined in fast mode; then {args.duration:.0f} s of "
        f"{args.readers} closed-loop readers, one writer at {args.write_rate:,.0f} items/s "
        f"({args.batch}-item batches) and a freshness prober ({args.probe_size} items each).",
        "",
    ]
    for result in results:
        tally: Tally = result["tally"]
        seconds = result["load_seconds"]
        lags = result["lags"]
        made = (
            f"load {result['load_s']:.0f} s, mine {result['mine_s']:.0f} s"
            if "load_s" in result
            else f"a copy of `{args.from_copy}`"
        )
        lines += [
            f"### {result['backend']}",
            "",
            f"{made} ({result['themes']} themes); written during the load: "
            f"{tally.items_written / seconds:,.0f} items/s.",
            "",
            "| route | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p95 < 100 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for route in [*READ_ROUTES, WRITE_ROUTE, "POST /v1/feedback (probe)"]:
            row = summary(tally.latency_ms.get(route, []), seconds)
            meets = (
                ""
                if route.startswith("POST")
                else ("yes" if row["p95"] < TARGET_P95_MS else "**no**")
            )
            lines.append(
                f"| `{route}` | {row['n']:,.0f} | {row['rps']:.1f} | {row['p50']:,.1f} "
                f"| {row['p95']:,.1f} | {row['p99']:,.1f} | {len(tally.errors.get(route, []))} "
                f"| {meets} |"
            )
        lag = summary([x * 1000 for x in lags], seconds)
        lines += [
            "",
            f"freshness lag (POST answer -> counted by /v1/metrics/nps), {len(lags)} probes: "
            f"p50 {lag['p50'] / 1000:.2f} s, p95 {lag['p95'] / 1000:.2f} s, max "
            f"{(max(lags) if lags else float('nan')):.2f} s (target <= {TARGET_FRESHNESS_S:.0f} s)."
            f" Restart ({'SIGKILL' if args.kill else 'SIGTERM'}): ready after "
            f"{result['restart_ready_s']:.1f} s, first insight after "
            f"{result['restart_insight_s']:.1f} s (target < {TARGET_RESTART_S:.0f} s). First read "
            "of each route after mining (builds the state): "
            + ", ".join(f"{k.split()[1]} {v:.1f} s" for k, v in result["first_read_s"].items())
            + ".",
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on each backend; returns 1 if any request failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--load", choices=("cli", "http"), default="cli")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--write-rate", type=float, default=1000.0, help="items/s")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--probe-size", type=int, default=10)
    parser.add_argument("--probe-every", type=float, default=1.0, help="seconds between probes")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before the restart")
    parser.add_argument("--kill", action="store_true", help="restart after SIGKILL")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--keep", type=Path, help="copy the loaded and mined SQLite database here (for --from)"
    )
    parser.add_argument(
        "--from",
        dest="from_copy",
        type=Path,
        help="start from a copy of a database --keep made (SQLite; skips steps 1-2)",
    )
    parser.add_argument(
        "--server-log",
        type=Path,
        help="serve at log level debug and copy the server's log here (the state's refresh times)",
    )
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    args = parser.parse_args(argv)
    if (args.keep or args.from_copy) and args.backends.strip() != "sqlite":
        parser.error("--keep and --from need --backends sqlite")
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        results.append(run_backend(backend, args))
    cmd = ("python bench/bench_scale_api.py " + " ".join(sys.argv[1:])).strip()
    text = markdown(results, args, cmd)
    print(text)
    for result in results:
        for route, errors in result["tally"].errors.items():
            for error in errors[:3]:
                print(f"error [{result['backend']}] {route}: {error}")
    if not args.no_write:
        append_results(text)
    return 1 if any(r["tally"].error_count for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
