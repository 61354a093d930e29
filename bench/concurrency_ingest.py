"""Eight concurrent clients post overlapping ids to a real server: 0 lost, 0 duplicated.

The long run of ``tests/reliability/test_concurrent_ingest.py`` (same harness:
``tests/reliability/concurrency.py``, which documents the load and the checks): ``--clients``
threads start together and each posts ``--per-client`` items in ``--batch``-item batches to a
``feedback-nlp serve`` subprocess over a fresh database, half of the ids shared by every client
(each with its own text), half its own. The answers' created / updated / unchanged counts must add
up exactly, and the database must hold every id once, each shared id with one client's text and
that client's segment. Exits 1 on a failed check. Appends a dated section to ``bench/RESULTS.md``
unless ``--no-write``.

Usage::

    python bench/concurrency_ingest.py --per-client 10000 --backend sqlite
    export FEEDBACK_NLP_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:54400/x
    python bench/concurrency_ingest.py --per-client 10000 --backend postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from _common import append_results, machine

from feedback_nlp.testing.backends import BACKENDS, create_key, fresh_database, reliability_env
from feedback_nlp.testing.concurrency import (
    ConcurrencyConfig,
    ConcurrencyReport,
    run_concurrent_ingest,
)
from feedback_nlp.testing.servers import running_server


def markdown(runs: list[tuple[str, ConcurrencyReport]], command: str) -> str:
    """A dated RESULTS.md section of the runs."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    config = runs[0][1].config
    lines = [
        f"## Reliability: concurrent ingest of overlapping ids ({stamp})",
        "",
        f"command: `{command}`",
        "",
        f"machine: {machine()}, at the end. `feedback-nlp serve` subprocess (uvicorn, "
        "1 process, worker off) on "
        f"127.0.0.1; {config.clients} client threads started together, {config.per_client:,} "
        f"items each in {config.batch}-item batches: {config.shared:,} ids shared by all clients "
        f"(each client its own text), {config.own:,} its own; then each re-posts the own items "
        "of its first batch unchanged.",
        "",
        "| backend | requests | items posted | distinct ids | created | updated | unchanged "
        "| rejected | lost | duplicated | wall s | items/s | batch p50 / p95 / max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, r in runs:
        c = r.counts
        lines.append(
            f"| {backend} | {r.requests:,} | {r.posted:,} | {r.distinct:,} | {c['created']:,} | "
            f"{c['updated']:,} | {c['unchanged']:,} | {c['rejected']} | 0 | 0 | {r.wall_s:.0f} | "
            f"{r.items_per_s:,.0f} | {r.latency(0.5):,.0f} / {r.latency(0.95):,.0f} / "
            f"{max(r.latency_ms):,.0f} |"
        )
    lines += [
        "",
        "Counts equal the expected ones exactly (created = distinct ids, updated = (clients - 1) "
        "x shared ids, unchanged = re-posted own items); the database holds every id once, each "
        "shared id with one client's text and that client's segment; paging returns every id once.",
    ]
    return "\n".join(lines) + "\n"


def run_backend(backend: str, config: ConcurrencyConfig) -> ConcurrencyReport:
    """One run over a fresh database of ``backend``."""
    with tempfile.TemporaryDirectory(prefix="fnlp-concurrency-") as tmp:
        work = Path(tmp)
        with fresh_database(backend, work) as url:
            key = create_key(url, "concurrency")
            env = reliability_env(url, work / "var", FEEDBACK_NLP_API__EMBEDDED_WORKER="false")
            with running_server(env, work / "server.log") as server:
                report = run_concurrent_ingest(server.url, key, url, "concurrency", config)
    print(
        f"[{backend}] {report.posted:,} items in {report.wall_s:.0f} s "
        f"({report.items_per_s:,.0f}/s); counts {report.counts}",
        flush=True,
    )
    return report


def main() -> None:
    """Parse the arguments, run each backend, print and record the outcome."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    args = parser.parse_args()
    config = ConcurrencyConfig(
        clients=args.clients, per_client=args.per_client, batch=args.batch, seed=args.seed
    )
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    runs = [(backend, run_backend(backend, config)) for backend in backends]
    text = markdown(runs, ("python bench/concurrency_ingest.py " + " ".join(sys.argv[1:])).strip())
    print(text)
    if not args.no_write:
        append_results(text)


if __name__ == "__main__":
    main()
