"""The full report bundle on 100k items stored in SQLite: read + frame build + every report.

Stores the synthetic workspace of ``bench_analytics.py`` (same generator and seed) through the
Store's real methods (``upsert_feedback`` in 1,000-item batches, one ``save_mining`` with every
unit), then times :func:`~feedback_nlp.report.bundle.build_report_bundle`:

* **cold**: a fresh frame cache, so the time includes reading every item and unit from the
  database and building the frame;
* **warm**: the data unchanged, the frame comes from the cache (only the version query, the
  theme labels and the reports run) -- what repeated API requests cost.

Usage::

    python bench/bench_report_bundle.py                    # 100,000 items; print and append
    python bench/bench_report_bundle.py --items 20000 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import append_results, machine
from bench_analytics import SEGMENTS, make_tables

from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.domain import (
    FeedbackFilter,
    FeedbackIn,
    MinedTheme,
    MinedUnit,
    MiningOutcome,
    PreparedFeedback,
)
from feedback_nlp.report.bundle import build_report_bundle
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.base import utcnow
from feedback_nlp.themes.registry import ThemeRegistry

TARGET_SECONDS = 2.0


def _opt(value: float) -> int | None:
    return None if np.isnan(value) else int(value)


def store_workspace(store: Store, items: pd.DataFrame, units: pd.DataFrame) -> tuple[int, float]:
    """Write the tables into a new workspace; return its id and the seconds it took."""
    started = time.perf_counter()
    ws = store.create_workspace("bench").id
    segment_names = [name for name in SEGMENTS if name != "source"]
    records = items.to_dict(orient="records")
    for start in range(0, len(records), 1000):
        batch = [
            PreparedFeedback(
                item=FeedbackIn(
                    external_id=str(r["item_id"]),
                    text=f"feedback {r['item_id']}",
                    created_at=r["created_at"].to_pydatetime(),
                    source=str(r["source"]),
                    nps=_opt(r["nps"]),
                    csat=_opt(r["csat"]),
                    ces=None if np.isnan(r["ces"]) else float(r["ces"]),
                    segments={name: str(r[name]) for name in segment_names},
                ),
                lang="en",
                lang_confidence=0.9,
            )
            for r in records[start : start + 1000]
        ]
        store.upsert_feedback(ws, batch)
    stored = {i.external_id: i for i in store.mining_items(ws, FeedbackFilter())}
    index = units.groupby("item_id").cumcount().to_numpy()
    unit_rows = []
    for k, (item_id, theme_id, score, text) in enumerate(
        zip(units["item_id"], units["theme_id"], units["sentiment"], units["text"], strict=True)
    ):
        source = stored[item_id]
        label = "negative" if score <= -0.3 else "positive" if score >= 0.3 else "neutral"
        unit_rows.append(
            MinedUnit(
                item_id=source.item_id,
                unit_index=int(index[k]),
                start=0,
                end=len(text),
                text=text,
                lang="en",
                text_hash=source.text_hash,
                theme_id=theme_id if isinstance(theme_id, str) else None,
                sentiment_label=label,
                sentiment_score=float(score),
            )
        )
    theme_ids = sorted({t for t in units["theme_id"] if isinstance(t, str)})
    themes = [
        MinedTheme(
            theme_id=t,
            level=0,
            label={"en": f"theme {t}"},
            keyphrases={},
            quotes=[],
            languages={"en": 1},
            parent_id=None,
            size=int((units["theme_id"] == t).sum()),
            confidence=None,
        )
        for t in theme_ids
    ]
    store.save_mining(
        ws,
        MiningOutcome(
            job_id=None,
            embedder="bench",
            started_at=utcnow(),
            item_ids=[i.item_id for i in stored.values()],
            units=unit_rows,
            themes=themes,
            registry=ThemeRegistry(),
            n_unassigned=int(units["theme_id"].isna().sum()),
            config={},
        ),
    )
    return ws, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 1 when the cold bundle misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    items, units = make_tables(args.items, args.themes, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        ws, write_seconds = store_workspace(store, items, units)
        colds, warms = [], []
        for _ in range(args.repeats):
            cache = FrameCache()
            started = time.perf_counter()
            cold = build_report_bundle(store, ws, cache=cache)
            colds.append((time.perf_counter() - started, cold.timings))
            started = time.perf_counter()
            warm = build_report_bundle(store, ws, cache=cache)
            warms.append((time.perf_counter() - started, warm.timings))
        store.close()
    cold_s, cold_t = min(colds, key=lambda pair: pair[0])
    warm_s, warm_t = min(warms, key=lambda pair: pair[0])
    counts = cold.counts
    lines = [
        f"## Report bundle on SQLite — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"command: `python bench/bench_report_bundle.py --items {args.items} "
        f"--themes {args.themes}`",
        "",
        f"Machine: {machine()}; 1-minute load average at start {load:.1f}.",
        "",
        f"Data: the bench_analytics.py generator (seed {args.seed}) stored through the Store: "
        f"{counts['items']:,} items, {counts['units']:,} units ({counts['units_unassigned']:,} "
        f"unassigned), {counts['themes']} themes, segments plan/region/channel + source. "
        f"Writing it took {write_seconds:.1f} s (not part of the report). Best of "
        f"{args.repeats}.",
        "",
        "The bundle = overall NPS/CSAT/CES with CIs, top detractor issues with quotes, scores by "
        f"theme and by week, per segment attribute ({len(cold.segments)}: scores, sentiment, "
        "BH over-indexing), weekly trends with spikes and emerging.",
        "",
        "| case | read rows (s) | build frame (s) | reports (s) | total (s) |",
        "|---|---:|---:|---:|---:|",
        f"| cold: fresh cache (DB read + frame build included) | {cold_t['read']:.3f} | "
        f"{cold_t['build']:.3f} | {cold_t['reports']:.3f} | {cold_s:.3f} |",
        f"| warm: data unchanged, frame from the cache | {warm_t['read']:.3f} | "
        f"{warm_t['build']:.3f} | {warm_t['reports']:.3f} | {warm_s:.3f} |",
        "",
        f"Result: cold {cold_s:.2f} s ({'meets' if cold_s < TARGET_SECONDS else 'misses'} the "
        f"{TARGET_SECONDS:.0f} s target with loading included); warm {warm_s:.2f} s "
        f"({'meets' if warm_s < TARGET_SECONDS else 'misses'} it).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        append_results(text)
    return 0 if cold_s < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
