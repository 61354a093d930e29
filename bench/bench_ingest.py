"""Ingest throughput and memory: ``feedback-nlp ingest`` (CLI) and ``POST /v1/feedback`` (HTTP).

Both modes use the same synthetic multilingual rows (the demo corpus's texts, combined and varied,
with random ids, dates, scores and segments; seed 2026), so their numbers compare.

``--mode cli``: writes the rows to a CSV in /tmp, runs ``feedback-nlp ingest`` on it in a child
process against a fresh SQLite database and records the peak RSS of the CLI and its
language-identification child summed (sampled from /proc) and of the largest one
(``RUSAGE_CHILDREN``), rows/s and the per-stage split from the command's ``--json`` summary.
Redaction and language identification are also timed apart on a sample of the rows.

``--mode http``: starts the real server (``feedback-nlp serve``, uvicorn, one process, job worker
off) over a fresh SQLite database, and over a fresh PostgreSQL database when ``--postgres-url``
is given, and posts the rows from one client in ``--batch``-item batches (PII redaction and
language identification included, as always). Records items/s, batch latency and the RSS of
the server and its language-identification child, summed, at every tenth of the run (flat
memory means the last tenths stay level).

Appends a dated section to bench/RESULTS.md unless ``--no-record``.

    python bench/bench_ingest.py --mode cli --rows 1000000
    python bench/bench_ingest.py --mode http --rows 200000 --postgres-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, append_results, machine, percentile, running_server, server_env

from feedback_nlp.testing.servers import CLI, cli_create_key, postgres_database

DEMO = REPO_ROOT / "corpora" / "demo" / "feedback.csv"
COLUMNS = ["id", "text", "source", "created_at", "nps", "csat", "plan", "region", "channel"]


def synthetic_rows(rows: int, seed: int = 2026) -> Iterator[list[Any]]:
    """``rows`` synthetic rows (in :data:`COLUMNS` order) built from the demo corpus's texts."""
    rng = random.Random(seed)
    with DEMO.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plans, regions = ["free", "pro", "enterprise"], ["europe", "mena", "iran", "israel", "baltics"]
    channels, sources = ["web", "mobile_app", "email", "phone"], ["survey", "review", "ticket"]
    for index in range(rows):
        text = rng.choice(texts)
        if rng.random() < 0.3:
            text = f"{text} {rng.choice(texts)}"
        if rng.random() < 0.2:
            text = f"{text} #{rng.randrange(10**6)}"
        when = start + timedelta(seconds=rng.randrange(180 * 86400))
        yield [
            f"bench-{index:08d}",
            text,
            rng.choice(sources),
            when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            rng.randrange(11) if rng.random() < 0.8 else "",
            rng.randrange(1, 6) if rng.random() < 0.3 else "",
            rng.choice(plans),
            rng.choice(regions),
            rng.choice(channels),
        ]


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """Write ``rows`` synthetic rows to a CSV file."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(synthetic_rows(rows, seed))


def api_item(row: list[Any]) -> dict[str, Any]:
    """One synthetic row as a ``POST /v1/feedback`` item."""
    values = dict(zip(COLUMNS, row, strict=True))
    item: dict[str, Any] = {
        "id": values["id"],
        "text": values["text"],
        "source": values["source"],
        "created_at": values["created_at"],
        "segments": {key: values[key] for key in ("plan", "region", "channel")},
    }
    for key in ("nps", "csat"):
        if values[key] != "":
            item[key] = values[key]
    return item


def split_prepare(path: Path, sample: int) -> dict[str, float]:
    """Rows/s of PII redaction and of language identification alone, on the first rows."""
    from feedback_nlp.text.langid import LanguageIdentifier
    from feedback_nlp.text.pii import PiiRedactor

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        texts = [row["text"] for _, row in zip(range(sample), reader, strict=False)]
    redactor, identifier = PiiRedactor(), LanguageIdentifier(preload=True)
    identifier.identify_many(texts[:50])  # warm the thread pool
    tick = time.perf_counter()
    redacted = [r.text for r in redactor.redact_many(texts)]
    tock = time.perf_counter()
    identifier.identify_many(redacted)
    done = time.perf_counter()
    return {
        "redact_rows_s": len(texts) / (tock - tick),
        "langid_rows_s": len(texts) / (done - tock),
    }


def run_cli(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """``feedback-nlp ingest`` of a generated CSV in a child process, on SQLite."""
    data = work / "feedback.csv"
    tick = time.perf_counter()
    generate(data, args.rows)
    print(
        f"generated {args.rows:,} rows, {data.stat().st_size / 2**20:.1f} MiB in "
        f"{time.perf_counter() - tick:.1f} s: {data}",
        flush=True,
    )
    env = server_env(f"sqlite:///{work / 'bench.sqlite3'}", work / "var-cli", COLUMNS="120")
    command = [
        *CLI,
        "ingest",
        str(data),
        "--workspace",
        "bench",
        "--segment-cols",
        "plan,region,channel",
        "--json",
    ]
    tick = time.perf_counter()
    out, err = work / "ingest.out", work / "ingest.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, text=True)
        peak_tree_mib = 0.0
        while child.poll() is None:  # the CLI and its language-id child, summed
            peak_tree_mib = max(peak_tree_mib, _tree_rss_mib(child.pid))
            time.sleep(0.5)
    wall = time.perf_counter() - tick
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stdout_text = out.read_text(encoding="utf-8")
    if child.returncode != 0:
        stderr_text = err.read_text(encoding="utf-8")
        sys.exit(
            f"ingest failed ({child.returncode}):\n{stdout_text[-3000:]}\n{stderr_text[-3000:]}"
        )
    summary = json.loads(stdout_text.strip().splitlines()[-1])
    split = split_prepare(data, args.sample)
    db_mib = (work / "bench.sqlite3").stat().st_size / 2**20
    return {
        "rows": args.rows,
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(peak_mib, 1),
        "peak_tree_rss_mib": round(peak_tree_mib, 1),
        "db_mib": round(db_mib, 1),
        "summary": summary,
        "split": {k: round(v, 1) for k, v in split.items()},
    }


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # exited meanwhile
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text(encoding="ascii").split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def _tree_rss_mib(pid: int) -> float:
    """RSS of ``pid`` and every process below it (the language-id child too), summed."""
    return sum(_rss_mib(p) for p in [pid, *_descendants(pid)])


def run_http(backend: str, url: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Post the synthetic rows to a real server over ``url``; items/s, latency, server RSS."""
    import httpx

    env = server_env(
        url,
        work / f"var-{backend}",
        FEEDBACK_NLP_API__EMBEDDED_WORKER="false",
        FEEDBACK_NLP_API__RATE_LIMIT_PER_MINUTE="0",
    )
    key = cli_create_key(env, "bench")
    batches: list[list[dict[str, Any]]] = []
    batch: list[dict[str, Any]] = []
    for row in synthetic_rows(args.rows):
        batch.append(api_item(row))
        if len(batch) == args.batch:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    bodies = [json.dumps({"items": b}).encode() for b in batches]
    latencies: list[float] = []
    rss: list[float] = []
    created = 0
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with (
        running_server(env, work / f"server-{backend}.log") as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=600) as client,
    ):
        pid = server.process.pid
        rss.append(_tree_rss_mib(pid))
        tenth = max(1, len(bodies) // 10)
        started = time.perf_counter()
        for number, body in enumerate(bodies, start=1):
            tick = time.perf_counter()
            answer = client.post("/v1/feedback", content=body).raise_for_status().json()
            latencies.append((time.perf_counter() - tick) * 1000)
            created += answer["created"]
            if number % tenth == 0:
                rss.append(_tree_rss_mib(pid))
        seconds = time.perf_counter() - started
    if created != args.rows:
        raise RuntimeError(f"[{backend}] created {created} of {args.rows} items")
    result = {
        "backend": backend,
        "items": args.rows,
        "batch": args.batch,
        "seconds": round(seconds, 1),
        "items_per_s": round(args.rows / seconds, 1),
        "batch_p50_ms": round(percentile(latencies, 0.5), 1),
        "batch_p95_ms": round(percentile(latencies, 0.95), 1),
        "rss_mib": [round(value) for value in rss],
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["cli", "http"], default="cli")
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows (items) to ingest.")
    parser.add_argument("--batch", type=int, default=1_000, help="Items per POST (http).")
    parser.add_argument("--postgres-url", help="Also run http on PostgreSQL (a server URL).")
    parser.add_argument("--sample", type=int, default=20_000, help="Rows of the stage split.")
    parser.add_argument("--no-record", action="store_true", help="Do not append to RESULTS.md.")
    parser.add_argument("--keep", action="store_true", help="Keep the CSV and the database.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_ingest_", dir="/tmp"))
    command = " ".join(sys.argv[1:])
    try:
        if args.mode == "cli":
            result = run_cli(args, work)
            print(json.dumps(result, indent=2), flush=True)
            if not args.no_record:
                record_cli(result, f"python bench/bench_ingest.py {command}")
        else:
            results = [run_http("SQLite", f"sqlite:///{work / 'bench.sqlite3'}", args, work)]
            if args.postgres_url:
                with postgres_database(args.postgres_url) as url:
                    results.append(run_http("PostgreSQL", url, args, work))
            if not args.no_record:
                record_http(results, f"python bench/bench_ingest.py {command}")
    finally:
        if not args.keep:
            shutil.rmtree(work)


def record_http(results: list[dict[str, Any]], command: str) -> None:
    """Append a dated HTTP section to bench/RESULTS.md."""
    lines = [
        "",
        f"## HTTP ingest (`POST /v1/feedback`), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}.",
        f"Command: `{command}` (the real server, uvicorn, 1 process, worker off; one client, "
        "sequential requests; PII redaction and language identification included).",
        "",
        "| backend | items | batch | items/s | batch p50 / p95 ms "
        "| RSS MiB of the server and its language-id child, start .. end |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['items']:,} | {r['batch']:,} | {r['items_per_s']:,} | "
            f"{r['batch_p50_ms']:,} / {r['batch_p95_ms']:,} | "
            f"{' '.join(str(v) for v in r['rss_mib'])} |"
        )
    append_results("\n".join(lines))


def record_cli(result: dict[str, Any], command: str) -> None:
    """Append a dated CLI section to bench/RESULTS.md."""
    summary, split = result["summary"], result["split"]
    stages = summary["stage_seconds"]
    lines = [
        "",
        f"## Batch ingest (`feedback-nlp ingest`), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}; SQLite.",
        f"Command: `{command}` (generates a synthetic multilingual CSV from the demo corpus "
        "texts, then runs `feedback-nlp ingest FILE --workspace bench --segment-cols "
        "plan,region,channel --json` in a child process on a fresh SQLite file).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| rows | {result['rows']:,} |",
        f"| file | {result['file_mib']} MiB |",
        f"| created / rejected | {summary['created']:,} / {summary['rejected']:,} |",
        f"| wall time (child process) | {result['wall_s']:,} s |",
        f"| throughput | {summary['rows_per_second']:,} rows/s |",
        f"| peak RSS (largest process, ru_maxrss) | {result['peak_rss_mib']:,} MiB |",
        f"| peak RSS of the CLI and its language-id child, summed (sampled every 0.5 s) "
        f"| {result['peak_tree_rss_mib']:,} MiB |",
        f"| SQLite file | {result['db_mib']:,} MiB |",
        f"| read + map + validate (reading thread, busy) | {stages['read']:,} s |",
        "| prepare: PII + language id (redact + identify threads, busy, summed) | "
        f"{stages['prepare']:,} s |",
        f"| store: bulk upserts (store thread, busy) | {stages['store']:,} s |",
        f"| redaction alone (sample of the rows) | {split['redact_rows_s']:,} rows/s |",
        f"| language id alone (same sample) | {split['langid_rows_s']:,} rows/s |",
        "",
    ]
    append_results("\n".join(lines))


if __name__ == "__main__":
    main()
