"""CX analytics latency on 100k items (``--items 1000000`` for 1M): every analytics report.

Builds a synthetic workspace deterministically (seed 2026): ``--items`` items over 26 weeks with
segments plan (3 values), region (6), channel (4) and source (4); NPS on 95% of items, CSAT on
40%, CES on 20%; 1-3 opinion units per item over ``--themes`` themes (Zipf-like sizes), about 8%
of units unassigned (half of them in 5 emerging candidates), unit sentiment and text, and the
outcome fields of issue 19: a customer id on 90% of items (about 3 items per customer),
resolution minutes on 70% (log-normal, theme ``T001`` twice as slow), first-response minutes on
60%, churn known for 80% (10%, 25% for customers of items mentioning ``T002``) and revenue on
75% (log-normal, around 2,000). Times the
frame build and each report (best of ``--repeats`` runs, each on a frame that has derived nothing
yet, as a new analytics snapshot) and one full report set (what the API's insight endpoints
compute), then the next snapshot: 1,000 items appended to the frame, three times; then
appends a dated section to ``bench/RESULTS.md``.

Usage::

    python bench/bench_analytics.py              # 100,000 items; print and append
    python bench/bench_analytics.py --items 20000 --no-write
    python bench/bench_analytics.py --items 1000000 --repeats 1   # the million-items check
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _common import append_results, machine

from feedback_nlp.analytics import (
    FeedbackFrame,
    detect_spikes,
    emerging_themes,
    nps,
    scores_by_period,
    scores_by_segment,
    scores_by_theme,
    segment_sentiment,
    theme_impact,
    theme_over_index,
    theme_sentiment_by_segment,
    theme_trends,
    top_detractor_issues,
)
from feedback_nlp.analytics.churn import churn_by_segment, churn_lift
from feedback_nlp.analytics.durations import duration_effect, durations_by
from feedback_nlp.analytics.merge import append_frames
from feedback_nlp.analytics.ranking import ranked_issues
from feedback_nlp.analytics.revenue import revenue_at_risk
from feedback_nlp.report.outcome_sections import outcome_overview

TARGET_SECONDS = 2.0
SEGMENTS = {
    "plan": ["free", "pro", "enterprise"],
    "region": ["north_america", "europe", "baltics", "mena", "israel", "iran"],
    "channel": ["web", "mobile_app", "email", "phone"],
    "source": ["survey", "review", "ticket", "social"],
}


def make_tables(n_items: int, n_themes: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic item and unit tables (see the module docstring)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-05-04T00:00:00")
    seconds = rng.integers(0, 26 * 7 * 86_400, n_items)
    nps_scores = rng.choice(11, n_items, p=np.r_[[0.04] * 7, [0.1, 0.12], [0.2, 0.3]])
    items = pd.DataFrame(
        {
            "item_id": [f"it-{k:07d}" for k in range(n_items)],
            "created_at": pd.to_datetime(start + seconds.astype("timedelta64[s]"), utc=True),
            "nps": np.where(rng.random(n_items) < 0.05, np.nan, nps_scores),
            "csat": np.where(rng.random(n_items) < 0.4, rng.integers(1, 6, n_items), np.nan),
            "ces": np.where(rng.random(n_items) < 0.2, rng.integers(1, 8, n_items), np.nan),
        }
    )
    for name, values in SEGMENTS.items():
        items[name] = np.asarray(values, dtype=object)[rng.integers(0, len(values), n_items)]
    per_item = rng.integers(1, 4, n_items)
    unit_item = np.repeat(np.arange(n_items), per_item)
    n_units = unit_item.size
    weights = 1.0 / np.arange(1, n_themes + 1)
    theme = rng.choice(n_themes, n_units, p=weights / weights.sum())
    unassigned = rng.random(n_units) < 0.08
    candidate = np.where(unassigned & (rng.random(n_units) < 0.5), rng.integers(0, 5, n_units), -1)
    units = pd.DataFrame(
        {
            "item_id": items["item_id"].to_numpy()[unit_item],
            "theme_id": np.where(
                unassigned, None, np.char.add("T", np.char.zfill(theme.astype(str), 3))
            ),
            "sentiment": np.round(rng.uniform(-1.0, 1.0, n_units), 3),
            "text": [f"unit {k} of item {i}" for k, i in enumerate(unit_item)],
            "candidate": np.where(candidate >= 0, np.char.add("E", candidate.astype(str)), None),
        }
    )
    add_outcomes(items, units, rng)
    return items, units


def add_outcomes(items: pd.DataFrame, units: pd.DataFrame, rng: np.random.Generator) -> None:
    """Add the synthetic outcome columns (module docstring) to ``items`` in place."""
    n_items = len(items)
    position = pd.Index(items["item_id"]).get_indexer(units["item_id"])
    slow = np.zeros(n_items, dtype=np.bool_)
    slow[position[(units["theme_id"] == "T001").to_numpy()]] = True
    pricey = np.zeros(n_items, dtype=np.bool_)
    pricey[position[(units["theme_id"] == "T002").to_numpy()]] = True
    customer = rng.integers(0, max(n_items // 3, 1), n_items)
    has_customer = rng.random(n_items) < 0.9
    items["customer_id"] = np.where(
        has_customer, np.char.add("c_", customer.astype(str)).astype(object), None
    )
    minutes = rng.lognormal(np.log(240.0), 1.0, n_items) * np.where(slow, 2.0, 1.0)
    items["resolution_minutes"] = np.where(rng.random(n_items) < 0.7, minutes, np.nan)
    first = rng.lognormal(np.log(30.0), 0.8, n_items)
    items["first_response_minutes"] = np.where(rng.random(n_items) < 0.6, first, np.nan)
    churned = rng.random(n_items) < np.where(pricey, 0.25, 0.10)
    items["churned"] = np.where(rng.random(n_items) < 0.8, churned.astype(np.float64), np.nan)
    revenue = np.round(rng.lognormal(np.log(2000.0), 0.7, n_items), 2)
    items["revenue"] = np.where(rng.random(n_items) < 0.75, revenue, np.nan)


def best_of(repeats: int, call: Callable[[], object]) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def full_report(frame: FeedbackFrame) -> None:
    """What the insight endpoints compute for one workspace, once each."""
    nps(frame.scores("nps"))
    for attribute in ("plan", "region", "channel"):
        scores_by_segment(frame, attribute)
        theme_over_index(frame, attribute)
        segment_sentiment(frame, attribute)
    scores_by_segment(frame, ("plan", "region"))
    scores_by_theme(frame)
    scores_by_period(frame, "week")
    top_detractor_issues(frame)
    top_detractor_issues(frame.where({"plan": "enterprise"}))
    theme_trends(frame, "week")
    emerging_themes(frame, "week")
    outcome_overview(frame, {}, by="plan")
    ranked_issues(frame, "churn_lift")
    ranked_issues(frame, "revenue_at_risk")


APPENDED = 1_000
APPENDS = 3


def append_seconds(
    items: pd.DataFrame, units: pd.DataFrame, theme_ids: tuple[str, ...]
) -> list[float]:
    """Seconds of each of :data:`APPENDS` appends of :data:`APPENDED` items (a new snapshot).

    The frame of all but the last ``APPENDS * APPENDED`` items (over the themes ``theme_ids``
    of all of them) derives what a full report set derives, then each append adds the next
    items to the frame the previous one gave.
    """
    first = len(items) - APPENDS * APPENDED

    def part(start: int, stop: int) -> FeedbackFrame:
        chosen = items.iloc[start:stop].reset_index(drop=True)
        inside = units["item_id"].isin(chosen["item_id"]).to_numpy()
        return FeedbackFrame.from_frames(
            chosen, units.loc[inside].reset_index(drop=True), theme_ids=theme_ids
        )

    frame = part(0, first)
    full_report(frame)
    seconds = []
    for k in range(APPENDS):
        added = part(first + k * APPENDED, first + (k + 1) * APPENDED)
        started = time.perf_counter()
        grown = append_frames(frame, added)
        seconds.append(time.perf_counter() - started)
        assert grown is not None
        frame = grown
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 when the full report misses the target)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--themes", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    items, units = make_tables(args.items, args.themes, args.seed)
    build = best_of(args.repeats, lambda: FeedbackFrame.from_frames(items, units))
    built = FeedbackFrame.from_frames(items, units)
    enterprise_built = built.where({"plan": "enterprise"})

    def cold(frame: FeedbackFrame) -> FeedbackFrame:
        """The same data without what an earlier call derived (codes etc.): a new snapshot."""
        return FeedbackFrame(
            items=frame.items,
            segments=frame.segments,
            theme_ids=frame.theme_ids,
            mentions=frame.mentions,
            units=frame.units,
        )

    cases: list[tuple[str, Callable[[], object]]] = [
        ("nps (overall)", lambda: nps(cold(built).scores("nps"))),
        ("scores_by_segment(region)", lambda: scores_by_segment(cold(built), "region")),
        (
            "scores_by_segment((plan, region))",
            lambda: scores_by_segment(cold(built), ("plan", "region")),
        ),
        ("scores_by_theme", lambda: scores_by_theme(cold(built))),
        ("scores_by_period(week)", lambda: scores_by_period(cold(built), "week")),
        ("theme_impact", lambda: theme_impact(cold(built))),
        ("top_detractor_issues (all)", lambda: top_detractor_issues(cold(built))),
        (
            "where(plan=enterprise) + top_detractor_issues",
            lambda: top_detractor_issues(cold(built).where({"plan": "enterprise"})),
        ),
        (
            "top_detractor_issues (enterprise frame)",
            lambda: top_detractor_issues(cold(enterprise_built)),
        ),
        ("theme_over_index(region)", lambda: theme_over_index(cold(built), "region")),
        (
            "theme_over_index((plan, region))",
            lambda: theme_over_index(cold(built), ("plan", "region")),
        ),
        ("segment_sentiment(region)", lambda: segment_sentiment(cold(built), "region")),
        (
            "theme_sentiment_by_segment(region)",
            lambda: theme_sentiment_by_segment(cold(built), "region"),
        ),
        ("theme_trends(week)", lambda: theme_trends(cold(built), "week")),
        ("theme_trends(day)", lambda: theme_trends(cold(built), "day")),
        ("detect_spikes(week)", lambda: detect_spikes(cold(built), "week")),
        ("emerging_themes(week)", lambda: emerging_themes(cold(built), "week")),
        ("durations_by(theme), resolution", lambda: durations_by(cold(built), "theme")),
        (
            "durations_by(week), first response",
            lambda: durations_by(cold(built), "week", column="first_response_minutes"),
        ),
        ("durations_by(plan), resolution", lambda: durations_by(cold(built), "plan")),
        ("duration_effect (resolution)", lambda: duration_effect(cold(built))),
        ("churn_lift", lambda: churn_lift(cold(built))),
        ("churn_by_segment(region)", lambda: churn_by_segment(cold(built), "region")),
        ("revenue_at_risk", lambda: revenue_at_risk(cold(built))),
        ("ranked_issues(churn_lift)", lambda: ranked_issues(cold(built), "churn_lift")),
        (
            "ranked_issues(revenue_at_risk)",
            lambda: ranked_issues(cold(built), "revenue_at_risk"),
        ),
        (
            "outcome_overview (GET /v1/insights/outcomes?by=plan)",
            lambda: outcome_overview(cold(built), {}, by="plan"),
        ),
        ("full report set (all of the insight endpoints)", lambda: full_report(cold(built))),
    ]
    rows = [(name, best_of(args.repeats, call)) for name, call in cases]
    full = rows[-1][1]
    appends = append_seconds(items, units, built.theme_ids)

    lines = [
        f"## CX analytics latency — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"command: `python bench/bench_analytics.py --items {args.items} --themes {args.themes}`",
        "",
        f"Machine: {machine()}; numpy {np.__version__}, pandas {pd.__version__}; 1-minute load "
        f"average at start {load:.1f}.",
        "",
        f"Data: {args.items:,} items, {len(units):,} units, {args.themes} themes, segments "
        f"{', '.join(f'{k} ({len(v)})' for k, v in SEGMENTS.items())}, 26 weeks, seed "
        f"{args.seed}. Best of {args.repeats} runs.",
        "",
        f"Target: every report under {TARGET_SECONDS:.0f} s on 100k items.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| FeedbackFrame.from_frames (build, once per data version) | {build:.3f} |",
        *(f"| {name} | {seconds:.3f} |" for name, seconds in rows),
        "",
        f"Next snapshot: {APPENDED:,} items appended to the frame of the first "
        f"{args.items - APPENDS * APPENDED:,} (after a full report set, so it carries what that "
        f"derived; `append_frames`), {APPENDS} times: "
        + ", ".join(f"{s:.3f}" for s in appends)
        + " s (the first copies the columns into buffers with room; later ones write after "
        "them).",
        "",
        f"Result: the slowest single report takes **{max(s for _, s in rows[:-1]):.3f} s**; "
        f"the full report set takes **{full:.3f} s** "
        f"({'meets' if full < TARGET_SECONDS else 'misses'} the {TARGET_SECONDS:.0f} s target).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        append_results(text)
    return 0 if full < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
