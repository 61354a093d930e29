"""A bounded load test of the HTTP API on 127.0.0.1: ingest and read endpoints under concurrency.

A ``feedback-nlp serve`` subprocess (uvicorn, 1 process, embedded worker) over a fresh SQLite
database gets ``--items`` demo items (texts cycled, unique ids, with NPS and segments) in
1,000-item batches and one mine job over all of them (embedder ``e5-small-static``, no resamples);
then ``--users`` closed-loop virtual users run the mix of ``tests/reliability/load.py`` for
``--duration`` seconds: ``POST /v1/feedback`` (``--batch`` items), ``GET /v1/themes``,
``GET /v1/themes/{id}``, ``GET /v1/feedback`` and ``GET /v1/insights/top-detractor-issues``. The
per-key rate limit is off. Prints requests/s and p50 / p95 / p99 latency per endpoint and the
errors (must be 0: exits 1 otherwise); appends a dated section to ``bench/RESULTS.md`` unless
``--no-write``. The load generator (asyncio + httpx, one process) shares the machine's cores
with the server.

Usage::

    python bench/bench_load.py                              # 20,000 items, 16 users, 60 s
    python bench/bench_load.py --items 2000 --users 4 --duration 10 --no-write
    python bench/bench_load.py --wrk 20     # then wrk, 20 s per endpoint (apt-get install wrk)
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import REPO_ROOT, append_results, machine

from feedback_nlp.demo import read_demo_items
from feedback_nlp.testing.backends import create_key, reliability_env
from feedback_nlp.testing.load import ENDPOINTS, LoadReport, run_load
from feedback_nlp.testing.servers import bearer, running_server, wait_for_job

WRK_POST_SCRIPT = REPO_ROOT / "bench" / "wrk" / "post_feedback.lua"
_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(
    base_url: str, key: str, path: str, *, seconds: int, connections: int, script: Path | None
) -> dict[str, float]:
    """Run ``wrk`` (2 threads, ``--latency``) on one endpoint; returns its summary numbers.

    Returns:
        ``requests``, ``rps``, ``p50_ms``, ``p90_ms``, ``p99_ms`` and ``errors`` (socket errors,
        timeouts and non-2xx/3xx answers together).
    """
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    command += ["-H", f"Authorization: Bearer {key}"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, base_url + path], capture_output=True, text=True, check=True)
    out = done.stdout
    found: dict[str, float] = {}
    for quantile in ("50", "90", "99"):
        match = re.search(rf"^\s+{quantile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"wrk printed no {quantile}% latency:\n{out}")
        found[f"p{quantile}_ms"] = float(match.group(1)) * _WRK_UNITS[match.group(2)]
    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if total is None or rps is None:
        raise RuntimeError(f"wrk printed no request count:\n{out}")
    found["requests"] = float(total.group(1))
    found["rps"] = float(rps.group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found["errors"] = float(errors + (int(bad.group(1)) if bad else 0))
    return found


def wrk_markdown(rows: dict[str, dict[str, float]], seconds: int, connections: int) -> str:
    """The table of the ``--wrk`` runs (one endpoint at a time)."""
    lines = [
        "",
        f"wrk 4.1 (`--wrk`): one endpoint at a time, 2 threads, {connections} connections, "
        f"{seconds} s each, on the same server right after the run above; POST bodies are "
        "100 new items each (`bench/wrk/post_feedback.lua`).",
        "",
        "| endpoint | requests | req/s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| `{name}` | {row['requests']:,.0f} | {row['rps']:.1f} | {row['p50_ms']:,.1f} "
            f"| {row['p90_ms']:,.1f} | {row['p99_ms']:,.1f} | {row['errors']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def demo_items(n: int) -> list[dict[str, Any]]:
    """``n`` items: the demo corpus cycled, with unique ids."""
    demo = read_demo_items()
    return [demo[i % len(demo)] | {"id": f"seed-{i:07d}"} for i in range(n)]


def markdown(
    report: LoadReport, args: argparse.Namespace, setup: dict[str, float], command: str
) -> str:
    """A dated RESULTS.md section of one run."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## HTTP load test, SQLite ({stamp})",
        "",
        f"command: `{command}`",
        "",
        f"machine: {machine()}; the server and the load generator share the cores; load at "
        "the end. `feedback-nlp serve` "
        f"(uvicorn, 1 process) on 127.0.0.1 over SQLite with {args.items:,} demo items mined "
        f"(`e5-small-static`, {setup['themes']:.0f} themes; ingest {setup['ingest_s']:.0f} s, "
        f"mine job {setup['mine_s']:.0f} s), rate limit off. {args.users} closed-loop users "
        f"(asyncio + httpx, no think time) for {report.duration_s:.0f} s; POST batches of "
        f"{args.batch} items ({report.items_posted:,} items posted during the run).",
        "",
        "| endpoint | weight | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, weight in ENDPOINTS.items():
        lines.append(
            f"| `{name}` | {weight} | {len(report.latency_ms[name]):,} | {report.rate(name):.1f} "
            f"| {report.quantile(name, 0.5):,.0f} | {report.quantile(name, 0.95):,.0f} "
            f"| {report.quantile(name, 0.99):,.0f} | {len(report.errors[name])} |"
        )
    lines.append(
        f"| all | | {report.requests:,} | {report.rate():.1f} | | | | {report.error_count} |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Set up a mined workspace, run the load, print and record the outcome."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    parser.add_argument(
        "--wrk", type=int, default=0, metavar="SECONDS", help="Then run wrk per endpoint."
    )
    args = parser.parse_args()
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("--wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    wrk_rows: dict[str, dict[str, float]] = {}
    setup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fnlp-load-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'load.sqlite3'}"
        key = create_key(url, "load")
        env = reliability_env(url, work / "var")
        items = demo_items(args.items)
        with (
            running_server(env, work / "server.log") as server,
            httpx.Client(base_url=server.url, headers=bearer(key), timeout=600) as client,
        ):
            started = time.monotonic()
            for first in range(0, len(items), 1000):
                body = client.post("/v1/feedback", json={"items": items[first : first + 1000]})
                assert body.raise_for_status().json()["rejected"] == 0, body.text
            setup["ingest_s"] = time.monotonic() - started
            started = time.monotonic()
            job = client.post("/v1/jobs", json={"n_resamples": 0}).raise_for_status().json()
            job = wait_for_job(client, job["id"], timeout=3600, poll=1.0)
            setup["mine_s"] = time.monotonic() - started
            assert job["state"] == "succeeded", job
            setup["themes"] = len(client.get("/v1/themes").raise_for_status().json())
            print(f"setup: {setup}", flush=True)
            report = run_load(
                server.url,
                key,
                items[:1500],
                users=args.users,
                duration_s=args.duration,
                batch=args.batch,
                seed=args.seed,
            )
            if args.wrk:
                theme = client.get("/v1/themes").raise_for_status().json()[0]["id"]
                paths = {
                    "POST /v1/feedback": ("/v1/feedback", WRK_POST_SCRIPT),
                    "GET /v1/themes": ("/v1/themes", None),
                    "GET /v1/themes/{id}": (f"/v1/themes/{theme}", None),
                    "GET /v1/feedback": ("/v1/feedback?limit=100", None),
                    "GET /v1/insights/top-detractor-issues": (
                        "/v1/insights/top-detractor-issues",
                        None,
                    ),
                }
                for name, (path, script) in paths.items():
                    wrk_rows[name] = run_wrk(
                        server.url, key, path, seconds=args.wrk, connections=16, script=script
                    )
                    print(name, wrk_rows[name], flush=True)
    command = ("python bench/bench_load.py " + " ".join(sys.argv[1:])).strip()
    text = markdown(report, args, setup, command)
    if wrk_rows:
        text += wrk_markdown(wrk_rows, args.wrk, 16)
    print(text)
    for name, errors in report.errors.items():
        for error in errors[:3]:
            print(f"error {name}: {error}")
    if not args.no_write:
        append_results(text)
    if report.error_count or any(row["errors"] for row in wrk_rows.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
