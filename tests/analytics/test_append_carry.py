"""What an appended frame carries over from the old one equals a computation over it anew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.churn import churn_lift
from feedback_nlp.analytics.customers import Customers, customers_of
from feedback_nlp.analytics.durations import _ranked, duration_effect
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.merge import append_frames, merge_frame, parts_of
from feedback_nlp.analytics.revenue import revenue_at_risk
from feedback_nlp.domain import AnalyticsRecords

THEMES = ["price", "sso", "ui"]
Record = dict[str, object]


def _records(rng: np.random.Generator, start: int, n: int) -> tuple[list[Record], list[Record]]:
    items: list[Record] = []
    units: list[Record] = []
    for k in range(start, start + n):
        item: Record = {"item_id": f"i{k}", "nps": int(rng.integers(0, 11))}
        if rng.random() < 0.8:  # a customer id on most items; a few customers recur a lot
            item["customer_id"] = f"c{int(rng.integers(0, 12))}"
        if rng.random() < 0.7:
            item["churned"] = bool(rng.random() < 0.3)
        if rng.random() < 0.6:
            item["revenue"] = float(np.round(rng.lognormal(7.0, 1.0), 2))
        if rng.random() < 0.7:  # whole hours: many ties
            item["resolution_minutes"] = float(60 * rng.integers(1, 6))
        items.append(item)
        for theme in rng.choice(THEMES, int(rng.integers(0, 3)), replace=False):
            units.append({"item_id": f"i{k}", "theme_id": str(theme), "text": f"{theme} {k}"})
    return items, units


def _frame(items: list[Record], units: list[Record]) -> FeedbackFrame:
    return FeedbackFrame.from_records(items, units, theme_ids=THEMES)


def _assert_same(got: Customers, expected: Customers) -> None:
    assert (got.n, got.n_ids) == (expected.n, expected.n_ids)
    np.testing.assert_array_equal(got.code, expected.code)
    np.testing.assert_array_equal(got.churned, expected.churned)
    np.testing.assert_array_equal(got.revenue, expected.revenue)
    assert got.ids.tolist() == expected.ids.tolist()


def _with_every_column(items: list[Record]) -> list[Record]:
    """Every outcome key on the first record, so each part's frame has the same columns."""
    first = {
        "customer_id": "c0",
        "churned": False,
        "revenue": 1.0,
        "resolution_minutes": 60.0,
        **items[0],
    }
    return [first, *items[1:]]


@pytest.mark.parametrize("seed", range(8))
def test_customers_of_an_appended_chain_equal_a_new_factorisation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(1, 30)) for _ in range(4)]
    parts, start = [], 0
    for size in sizes:
        items, units = _records(rng, start, size)
        parts.append((_with_every_column(items), units))
        start += size
    frame = _frame(*parts[0])
    customers_of(frame)
    frame.theme_csr()
    duration_effect(frame)
    all_items, all_units = list(parts[0][0]), list(parts[0][1])
    for items, units in parts[1:]:
        merged = append_frames(frame, _frame(items, units))
        assert merged is not None
        carried = merged.kept("customers")
        assert carried is not None  # carried over, not left to a new factorisation
        all_items += items
        all_units += units
        fresh = _frame(all_items, all_units)
        _assert_same(carried, customers_of(fresh))
        assert churn_lift(merged).equals(churn_lift(fresh))
        ranking = merged.kept(("duration_rank", "resolution_minutes"))
        assert ranking is not None
        for got, expected in zip(ranking, _ranked(fresh, "resolution_minutes"), strict=True):
            np.testing.assert_array_equal(got, expected)
        assert duration_effect(merged).equals(duration_effect(fresh))
        csr = merged.kept("theme_csr")
        assert csr is not None  # new units with themes: the rows grow, nothing is rebuilt
        expected = fresh.theme_csr()
        for name in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(csr, name), getattr(expected, name))
        columns = rng.normal(size=(fresh.n_items, 2))
        np.testing.assert_array_equal(merged.theme_sums(columns), fresh.theme_sums(columns))
        assert revenue_at_risk(merged).equals(revenue_at_risk(fresh))
        frame = merged


def test_two_appends_to_one_frame_each_get_their_own_codes() -> None:
    rng = np.random.default_rng(3)
    base_items, base_units = _records(rng, 0, 20)
    base = _frame(_with_every_column(base_items), base_units)
    customers_of(base)
    branches = []
    for start in (100, 200):
        items, units = _records(rng, start, 15)
        items = [{**item, "customer_id": f"new{start}-{k % 4}"} for k, item in enumerate(items)]
        items = _with_every_column(items)
        merged = append_frames(base, _frame(items, units))
        assert merged is not None
        branches.append((merged, items, units))
    for merged, items, units in branches:
        fresh = _frame([*_with_every_column(base_items), *items], [*base_units, *units])
        _assert_same(merged.kept("customers"), customers_of(fresh))


def test_items_without_customer_ids_stay_one_customer_each_after_an_append() -> None:
    items = [{"item_id": f"i{k}", "nps": k % 11, "churned": k % 3 == 0} for k in range(9)]
    old = _frame(items[:5], [])
    assert customers_of(old).n == 5
    merged = append_frames(old, _frame(items[5:], []))
    assert merged is not None
    _assert_same(merged.kept("customers"), customers_of(_frame(items, [])))


Row = tuple[str, str | None, float | None]
Themes = Mapping[str, Sequence[str | None]]


def _analytics_records(rows: Sequence[Row], themes: Themes) -> AnalyticsRecords:
    """Items ``(id, customer, resolution minutes)`` and each item's units (theme or None)."""
    numbers = [int(row[0][1:]) for row in rows]  # an item's fields follow from its id
    items: dict[str, list[object]] = {
        "item_id": [row[0] for row in rows],
        "created_at": [datetime(2026, 10, 1 + k % 20, tzinfo=UTC) for k in numbers],
        "nps": [k % 11 for k in numbers],
        "csat": [None] * len(rows),
        "ces": [None] * len(rows),
        "source": ["survey"] * len(rows),
        "segments": [{"plan": ("free", "pro")[k % 2]} for k in numbers],
        "customer_id": [row[1] for row in rows],
        "resolution_minutes": [row[2] for row in rows],
    }
    units: dict[str, list[object]] = {"item_id": [], "theme_id": [], "sentiment": [], "text": []}
    units["label"] = []
    for item_id, _, _ in rows:
        for k, theme in enumerate(themes.get(item_id, [])):
            units["item_id"].append(item_id)
            units["theme_id"].append(theme)
            units["sentiment"].append(-0.5)
            units["label"].append("negative")
            units["text"].append(f"{item_id} unit {k}")
    return AnalyticsRecords(version=(), items=items, units=units, theme_ids=tuple(THEMES))


def test_new_theme_assignments_keep_what_depends_on_items_only() -> None:
    rows: list[Row] = [
        (f"i{k}", f"c{k % 5}" if k % 4 else None, float(30 * (k % 7))) for k in range(40)
    ]
    before: dict[str, list[str | None]] = {f"i{k}": [None] for k in range(40)}  # not assigned
    before.update({f"i{k}": ["price", None] for k in range(0, 40, 3)})
    base = parts_of(_analytics_records(rows, before), list(range(1, 41)))
    old = base.frame
    kept_before = (customers_of(old), old.segment_codes("plan"), old.period_codes("week"))
    old.mention_cells()
    _ranked(old, "resolution_minutes")
    # the assign job gives items 5..14 themes: their units change, their item fields do not
    after: Themes = before | {f"i{k}": ["sso", "ui"] if k % 2 else ["ui"] for k in range(5, 15)}
    changed = [rows[k] for k in range(5, 15)]
    merged = merge_frame(base, _analytics_records(changed, after), list(range(6, 16)))
    assert merged is not None
    frame = merged.frame
    assert frame.kept("customers") is kept_before[0]  # carried, not recomputed
    assert frame.kept(("segment_codes", ("plan",))) is not None
    fresh = parts_of(_analytics_records(rows, after), list(range(1, 41))).frame
    _assert_same(customers_of(frame), customers_of(fresh))
    for got, expected in zip(frame.mention_cells(), fresh.mention_cells(), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(frame.segment_codes("plan")[0], fresh.segment_codes("plan")[0])
    np.testing.assert_array_equal(frame.period_codes("week")[0], fresh.period_codes("week")[0])
    assert duration_effect(frame).equals(duration_effect(fresh))
    assert churn_lift(frame).equals(churn_lift(fresh))


def test_a_replaced_item_field_drops_what_depends_on_it() -> None:
    rows: list[Row] = [(f"i{k}", f"c{k % 3}", float(10 * k)) for k in range(12)]
    themes: Themes = {f"i{k}": ["price"] for k in range(12)}
    base = parts_of(_analytics_records(rows, themes), list(range(1, 13)))
    customers_of(base.frame)
    _ranked(base.frame, "resolution_minutes")
    moved: list[Row] = [("i4", "c-new", 5.0)]  # the customer and the duration of item i4 changed
    merged = merge_frame(base, _analytics_records(moved, themes), [5])
    assert merged is not None
    assert merged.frame.kept("customers") is None
    assert merged.frame.kept(("duration_rank", "resolution_minutes")) is None
    rows[4] = moved[0]
    fresh = parts_of(_analytics_records(rows, themes), list(range(1, 13))).frame
    _assert_same(customers_of(merged.frame), customers_of(fresh))


def _same(got: FeedbackFrame, expected: FeedbackFrame) -> None:
    pd.testing.assert_frame_equal(got.items, expected.items)
    pd.testing.assert_frame_equal(got.units, expected.units)
    np.testing.assert_array_equal(got.mentions, expected.mentions)
    for cells, fresh_cells in zip(got.mention_cells(), expected.mention_cells(), strict=True):
        np.testing.assert_array_equal(cells, fresh_cells)


@pytest.mark.parametrize("with_new_items", [False, True])
def test_the_newest_items_gaining_units_keep_the_item_table(with_new_items: bool) -> None:
    rows: list[Row] = [(f"i{k}", f"c{k % 4}", float(20 * (k % 5))) for k in range(30)]
    themes: Themes = {f"i{k}": ["price", "ui"] if k % 2 else ["sso"] for k in range(24)}
    base = parts_of(_analytics_records(rows, themes), list(range(1, 31)))  # i24..i29: no units
    old = base.frame
    customers = customers_of(old)
    old.segment_codes("plan")
    old.mention_cells()
    # the assign job gives i24..i29 units; with_new_items: i30..i33 arrive in the same read
    after = themes | {f"i{k}": ["ui", None] if k % 2 else ["price"] for k in range(24, 34)}
    new_rows: list[Row] = [(f"i{k}", f"c{k % 4}", 30.0) for k in range(30, 34)]
    delta_rows = rows[24:] + (new_rows if with_new_items else [])
    ids = list(range(25, 25 + len(delta_rows)))
    merged = merge_frame(base, _analytics_records(delta_rows, after), ids)
    assert merged is not None
    every = rows + (new_rows if with_new_items else [])
    fresh = parts_of(_analytics_records(every, after), list(range(1, len(every) + 1))).frame
    _same(merged.frame, fresh)
    assert merged.ids.tolist() == list(range(1, len(every) + 1))
    if not with_new_items:  # the item columns are not copied (but sentiment: units' mean)
        got, before = merged.frame.items, old.items
        assert np.shares_memory(got["nps"].to_numpy(), before["nps"].to_numpy())
        assert got["sentiment"].isna().sum() < before["sentiment"].isna().sum()
        assert merged.frame.kept("customers") is customers
    _assert_same(customers_of(merged.frame), customers_of(fresh))
    np.testing.assert_array_equal(
        merged.frame.segment_codes("plan")[0], fresh.segment_codes("plan")[0]
    )
    assert duration_effect(merged.frame).equals(duration_effect(fresh))
    # the old frame is untouched: its readers keep seeing what they saw
    _same(old, parts_of(_analytics_records(rows, themes), list(range(1, 31))).frame)


def test_gaining_units_before_an_item_that_has_some_takes_the_general_merge() -> None:
    rows: list[Row] = [(f"i{k}", None, None) for k in range(10)]
    themes: Themes = {f"i{k}": ["price"] for k in (0, 1, 2, 9)}  # i3..i8 have no units
    base = parts_of(_analytics_records(rows, themes), list(range(1, 11)))
    after = themes | {"i4": ["sso"]}
    merged = merge_frame(base, _analytics_records([rows[4]], after), [5])
    assert merged is not None
    fresh = parts_of(_analytics_records(rows, after), list(range(1, 11))).frame
    _same(merged.frame, fresh)
    assert not np.shares_memory(
        merged.frame.items["nps"].to_numpy(), base.frame.items["nps"].to_numpy()
    )
