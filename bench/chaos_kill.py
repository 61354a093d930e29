"""Random SIGKILL of the server and of the foreground worker, many rounds; nothing may be lost.

The long run of ``tests/reliability/test_chaos_kill.py`` (same harness:
``tests/reliability/chaos.py``, which documents the rounds and the checks). Each round posts
batches and/or runs a mine job against a real ``feedback-nlp serve`` over a fresh database,
SIGKILLs it after a seeded random delay, restarts it and checks that every acknowledged item is
stored exactly once, that in-flight batches landed whole or not at all and that every interrupted
job was recovered; the end re-posts everything and mines the whole workspace. Exits 1 on the first
failed check. Appends a dated section to ``bench/RESULTS.md`` unless ``--no-write``.

Usage::

    python bench/chaos_kill.py --rounds 20 --backend sqlite
    export FEEDBACK_NLP_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:54400/x
    python bench/chaos_kill.py --rounds 20 --backend postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from _common import append_results, machine

from feedback_nlp.testing.backends import BACKENDS, fresh_database
from feedback_nlp.testing.chaos import ChaosConfig, ChaosReport, run_chaos


def markdown(report: ChaosReport, backend: str, command: str, where: str) -> str:
    """A dated RESULTS.md section of one run."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    config = report.config
    modes: dict[str, int] = {}
    for r in report.rounds:
        modes[r.mode] = modes.get(r.mode, 0) + 1
    stages = ", ".join(f"{stage} {n}" for stage, n in report.killed_stages().items()) or "none"
    worker = [r.worker_outcome for r in report.rounds if r.worker_outcome]
    delays = [r.kill_after_s for r in report.rounds]
    restarts = [r.restart_s for r in report.rounds]
    lines = [
        f"## Reliability: random SIGKILL, {backend} ({stamp})",
        "",
        f"command: `{command}`",
        "",
        f"machine: {where}. Real `feedback-nlp serve` subprocess (embedded worker, embedder "
        f"`e5-small-static`), {config.posters} posting threads of {config.batch}-item batches "
        f"({config.updates} of them new versions of earlier items), seed {config.seed}.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| rounds (server SIGKILLs) | {len(report.rounds)} |",
        f"| modes | {', '.join(f'{m} {n}' for m, n in sorted(modes.items()))} |",
        f"| kill delay min / max s | {min(delays):.2f} / {max(delays):.2f} |",
        f"| batches acknowledged / in flight at a kill | "
        f"{sum(r.acked_batches for r in report.rounds)} / "
        f"{sum(r.inflight_batches for r in report.rounds)} |",
        f"| in-flight batches that landed (whole) | "
        f"{sum(r.inflight_landed for r in report.rounds)} |",
        f"| jobs running at a kill, by stage | {stages} |",
        f"| foreground worker (`feedback-nlp mine`) SIGKILLs | {len(worker)}: "
        f"{'; '.join(worker) or '-'} |",
        f"| jobs recovered at restarts | {sum(r.recovered for r in report.rounds)} |",
        f"| restart to healthy, median / max s | {sorted(restarts)[len(restarts) // 2]:.1f} / "
        f"{max(restarts):.1f} |",
        f"| items stored at the end (each exactly once) | {report.items_stored:,} |",
        f"| re-post of every item: created / updated / unchanged | {report.repost['created']} / "
        f"{report.repost['updated']} / {report.repost['unchanged']:,} |",
        f"| final jobs by state | {', '.join(f'{s} {n}' for s, n in report.jobs.items())} |",
        f"| final mine job over all items: s, themes | {report.final_mine_s:.0f}, "
        f"{report.final_themes} |",
        f"| wall time s | {report.wall_s:.0f} |",
        "",
        "Every check passed: no acknowledged item lost or stored twice, no batch landed in part, "
        "no job left `running` after a restart, the re-run mine job succeeded.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse the arguments, run the rounds, print and record the outcome."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--posters", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="Do not append to RESULTS.md.")
    args = parser.parse_args()
    config = ChaosConfig(rounds=args.rounds, seed=args.seed, posters=args.posters)
    where = machine()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fnlp-chaos-") as tmp:
        work = Path(tmp)
        with fresh_database(args.backend, work) as url:
            try:
                report = run_chaos(url, work, config, say=lambda line: print(line, flush=True))
            except AssertionError:
                print(f"FAILED; server log tail:\n{(work / 'server.log').read_text()[-4000:]}")
                raise
    command = "python bench/chaos_kill.py " + " ".join(sys.argv[1:])
    text = markdown(report, args.backend, command.strip(), where)
    print(text)
    print(f"total {time.monotonic() - started:.0f} s")
    if not args.no_write:
        append_results(text)


if __name__ == "__main__":
    main()
