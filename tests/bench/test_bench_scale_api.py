"""The pure parts of ``bench/bench_scale_api.py``: items, CSV rows, probes, pacing, the report.

The benchmark itself starts servers and loads a million items (the lead runs it alone on the
machine); these tests check what it computes from its measurements, on small inputs.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from tests.file_modules import load_file_module

BENCH = Path(__file__).resolve().parents[2] / "bench"
bench = load_file_module("bench_scale_api", BENCH / "bench_scale_api.py")


def test_bench_scale_api_generated_items_are_demo_rows_with_unique_ids() -> None:
    items = list(bench.generated_items(250, seed=13, chunk=100))
    assert len(items) == 250
    assert [item["id"] for item in items[:2]] == ["scale-0000001", "scale-0000002"]
    assert len({item["id"] for item in items}) == 250
    assert {key for item in items for key in item["segments"]} == {"plan", "region", "channel"}
    assert all(item["text"] for item in items)
    assert all(0 <= item.get("nps", 0) <= 10 for item in items)
    assert {item["created_at"][:4] for item in items} == {"2026"}
    # chunks use consecutive seeds: the same call gives the same items
    assert list(bench.generated_items(250, seed=13, chunk=100)) == items


def test_bench_scale_api_csv_rows_read_back_as_the_items() -> None:
    items = list(bench.generated_items(20, seed=3, chunk=20))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(bench.csv_rows(items))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [row["id"] for row in rows] == [item["id"] for item in items]
    for row, item in zip(rows, items, strict=True):
        assert row["text"] == item["text"]
        assert row["nps"] == ("" if item.get("nps") is None else str(item["nps"]))
        assert row["plan"] == item["segments"]["plan"]


def test_bench_scale_api_items_and_csv_rows_carry_the_demo_outcomes() -> None:
    generator = load_file_module("demo_generate", bench.GENERATOR)
    items = list(bench.generated_items(300, seed=5, chunk=300))
    demo = generator.generate_rows(5, 300)
    for item, row in zip(items, demo, strict=True):
        assert {name: item.get(name) for name in bench.OUTCOME_FIELDS} == {
            name: getattr(row, name) for name in bench.OUTCOME_FIELDS
        }
    assert {name for item in items for name in item} >= set(bench.OUTCOME_FIELDS)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(bench.csv_rows(items))
    position = {name: generator.COLUMNS.index(name) for name in bench.OUTCOME_FIELDS}
    for cells, row in zip(csv.DictReader(io.StringIO(buffer.getvalue())), demo, strict=True):
        expected = row.csv_values()
        for name in ("customer_id", "first_response_at", "resolved_at", "churned", "churned_at"):
            assert cells[name] == expected[position[name]]  # as the demo's own CSV writes it
        revenue = expected[position["revenue"]]
        assert (float(cells["revenue"]) if cells["revenue"] else None) == (
            float(revenue) if revenue else None
        )


def test_bench_scale_api_probe_items_carry_a_fresh_channel() -> None:
    pool = list(bench.generated_items(3, seed=1, chunk=3))
    probes = bench.probe_items(pool, probe=7, size=5)
    assert [p["id"] for p in probes] == [f"probe-00007-{k:04d}" for k in range(5)]
    assert {p["segments"]["channel"] for p in probes} == {"probe-7"}
    assert probes[3]["text"] == pool[0]["text"]
    assert pool[0]["segments"]["channel"] != "probe-7"  # the pool is not changed


def test_bench_scale_api_paced_starts_give_the_write_rate() -> None:
    starts = list(itertools.islice(bench.paced_starts(10.0, rate=1000.0, batch=250), 5))
    assert starts == pytest.approx([10.0, 10.25, 10.5, 10.75, 11.0])


def test_bench_scale_api_summary_quantiles() -> None:
    row = bench.summary([float(x) for x in range(1, 101)], seconds=10.0)
    assert row["n"] == 100
    assert row["rps"] == pytest.approx(10.0)
    # nearest rank: the 50th, 95th and 99th of the 100 sorted values
    assert (row["p50"], row["p95"], row["p99"]) == (50.0, 95.0, 99.0)
    empty = bench.summary([], seconds=10.0)
    assert empty["n"] == 0
    assert math.isnan(empty["p95"])


def _result(p95_ms: float) -> dict[str, Any]:
    tally = bench.Tally()
    for route in bench.READ_ROUTES:
        for _ in range(20):
            tally.add(route, p95_ms)
    tally.add(bench.WRITE_ROUTE, 300.0)
    tally.add(bench.WRITE_ROUTE, 900.0, "500: boom")
    tally.items_written = 2000
    return {
        "backend": "sqlite",
        "tally": tally,
        "lags": [0.5, 1.5],
        "load_seconds": 2.0,
        "load_s": 10.0,
        "mine_s": 20.0,
        "themes": 12,
        "restart_ready_s": 3.0,
        "restart_insight_s": 4.5,
        "first_read_s": dict.fromkeys(bench.READ_ROUTES, 0.1),
    }


def test_bench_scale_api_markdown_reports_targets_and_errors() -> None:
    args = argparse.Namespace(
        items=1000, load="cli", duration=2.0, readers=2, write_rate=1000.0, batch=1000,
        probe_size=10, kill=False,
    )  # fmt: skip
    fast = bench.markdown([_result(20.0)], args, "python bench/bench_scale_api.py")
    assert "### sqlite" in fast
    assert "| `GET /v1/themes` | 20 | 10.0 | 20.0 | 20.0 | 20.0 | 0 | yes |" in fast
    assert "| `POST /v1/feedback` | 2 |" in fast
    assert "| 1 |" in fast  # the write error is counted
    assert "1,000 items/s" in fast  # 2,000 written in 2 s
    assert "first insight after 4.5 s" in fast
    slow = bench.markdown([_result(150.0)], args, "cmd")
    assert "| **no** |" in slow
