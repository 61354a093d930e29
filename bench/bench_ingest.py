"""Batch ingest of a large CSV through the ``feedback-nlp ingest`` code path: speed and peak memory.

Generates a synthetic multilingual CSV in /tmp (the demo corpus's texts, combined and varied,
with random ids, dates, scores and segments), then runs ``feedback-nlp ingest`` on it in a child
process against a fresh SQLite database and records the child's peak RSS
(``RUSAGE_CHILDREN``), rows/s and the per-stage split from the command's ``--json`` summary.
Redaction and language identification, which ``prepare`` times together, are also timed apart
on a sample of the rows. Appends a dated section to bench/RESULTS.md unless ``--no-record``.

    python bench/bench_ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo" / "feedback.csv"
RESULTS = REPO / "bench" / "RESULTS.md"
sys.path.insert(0, str(REPO))
COLUMNS = ["id", "text", "source", "created_at", "nps", "csat", "plan", "region", "channel"]


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """Write ``rows`` synthetic rows built from the demo corpus's texts."""
    rng = random.Random(seed)
    with DEMO.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plans, regions = ["free", "pro", "enterprise"], ["europe", "mena", "iran", "israel", "baltics"]
    channels, sources = ["web", "mobile_app", "email", "phone"], ["survey", "review", "ticket"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(rows):
            text = rng.choice(texts)
            if rng.random() < 0.3:
                text = f"{text} {rng.choice(texts)}"
            if rng.random() < 0.2:
                text = f"{text} #{rng.randrange(10**6)}"
            when = start + timedelta(seconds=rng.randrange(180 * 86400))
            writer.writerow(
                [
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
            )


def split_prepare(path: Path, sample: int) -> dict[str, float]:
    """Rows/s of PII redaction and of language identification alone, on the first rows."""
    from feedback_nlp.text.langid import LanguageIdentifier
    from feedback_nlp.text.pii import PiiRedactor

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        texts = [row["text"] for _, row in zip(range(sample), reader, strict=False)]
    redactor, identifier = PiiRedactor(), LanguageIdentifier()
    identifier.identify_many(texts[:50])  # lingua loads its models on first use
    tick = time.perf_counter()
    redacted = [r.text for r in redactor.redact_many(texts)]
    tock = time.perf_counter()
    identifier.identify_many(redacted)
    done = time.perf_counter()
    return {
        "redact_rows_s": len(texts) / (tock - tick),
        "langid_rows_s": len(texts) / (done - tock),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="Rows of the stage split.")
    parser.add_argument("--no-record", action="store_true", help="Do not append to RESULTS.md.")
    parser.add_argument("--keep", action="store_true", help="Keep the CSV and the database.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_ingest_", dir="/tmp"))
    data = work / "feedback.csv"
    tick = time.perf_counter()
    generate(data, args.rows)
    print(
        f"generated {args.rows:,} rows, {data.stat().st_size / 2**20:.1f} MiB in "
        f"{time.perf_counter() - tick:.1f} s: {data}",
        flush=True,
    )

    env = os.environ | {
        "FEEDBACK_NLP_DATABASE__URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "120",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-c",
        "from feedback_nlp.cli import main; main()",
        "ingest",
        str(data),
        "--workspace",
        "bench",
        "--segment-cols",
        "plan,region,channel",
        "--json",
    ]
    tick = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - tick
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        sys.exit(
            f"ingest failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    split = split_prepare(data, args.sample)
    db_mib = (work / "bench.sqlite3").stat().st_size / 2**20
    result: dict[str, Any] = {
        "rows": args.rows,
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(peak_mib, 1),
        "db_mib": round(db_mib, 1),
        "summary": summary,
        "split": {k: round(v, 1) for k, v in split.items()},
    }
    print(json.dumps(result, indent=2), flush=True)
    if not args.keep:
        shutil.rmtree(work)
    if not args.no_record:
        record(result, " ".join(["python", "bench/bench_ingest.py", "--rows", str(args.rows)]))


def record(result: dict[str, Any], command: str) -> None:
    """Append a dated section to bench/RESULTS.md."""
    summary, split = result["summary"], result["split"]
    stages = summary["stage_seconds"]
    load = os.getloadavg()[0]
    lines = [
        "",
        f"## Batch ingest (`feedback-nlp ingest`), {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"Machine: nproc {os.cpu_count()}, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}; SQLite; 1-minute load average at the end {load:.1f} "
        "(shared machine: times are upper bounds).",
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
        f"| peak RSS (child, ru_maxrss) | {result['peak_rss_mib']:,} MiB |",
        f"| SQLite file | {result['db_mib']:,} MiB |",
        f"| stage: read + map + validate | {stages['read']:,} s |",
        f"| stage: prepare (PII redaction + language id) | {stages['prepare']:,} s |",
        f"| stage: store (upserts, 1,000 rows per transaction) | {stages['store']:,} s |",
        f"| redaction alone (sample of the rows) | {split['redact_rows_s']:,} rows/s |",
        f"| language id alone (same sample) | {split['langid_rows_s']:,} rows/s |",
        "",
    ]
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
