"""Rules over small hand-made frames: what fires, with which numbers, and what does not."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from feedback_nlp.alerts.evaluate import AlertInputs, evaluate_rule, evaluate_rules
from tests.alerts.frames import nps_frame, pool_frame, rule, spike_frame, week_label

# Week 5 of spike_frame: 12 of 20 items mention A; the 4 baseline weeks: 1 of 20 each (sd 0),
# so z uses the binomial floor of the smoothed baseline share (4 + 0.5) / (80 + 1).
_SMOOTHED = 4.5 / 81
SPIKE_Z = (12 / 20 - 0.05) / math.sqrt(_SMOOTHED * (1 - _SMOOTHED) / 20)


def test_theme_spike_fires_for_the_latest_week_with_its_z() -> None:
    signals = evaluate_rule(rule("theme_spike", z=3), spike_frame(), AlertInputs({"A": "Crash"}))
    assert [(s.subject, s.period, s.dedup_key) for s in signals] == [
        ("A", week_label(5), f"A@{week_label(5)}")
    ]
    values = signals[0].values
    assert values["mentions"] == 12
    assert values["n_items"] == 20
    assert values["baseline"] == pytest.approx(0.05)
    assert values["z"] == pytest.approx(SPIKE_Z)
    assert "'Crash' spiked" in signals[0].message


def test_theme_spike_needs_z_above_the_rule_threshold() -> None:
    assert pytest.approx(10.74, abs=0.01) == SPIKE_Z
    assert evaluate_rule(rule("theme_spike", z=10.5), spike_frame())
    assert evaluate_rule(rule("theme_spike", z=11), spike_frame()) == []


def test_theme_spike_limited_to_one_theme() -> None:
    assert evaluate_rule(rule("theme_spike", theme_id="B"), spike_frame()) == []


def test_theme_spike_ignores_spikes_of_earlier_weeks() -> None:
    frame = spike_frame()
    earlier = frame.where(end=f"{week_label(5)}T00:00:00Z")  # the spike week gone
    assert evaluate_rule(rule("theme_spike"), earlier) == []


def test_segment_nps_drop_fires_with_both_weeks_nps() -> None:
    (signal,) = evaluate_rule(rule("segment_nps_drop", segment="plan:pro", drop=40), nps_frame())
    assert signal.subject == "plan:pro"
    assert signal.period == week_label(1)
    assert signal.values["nps_before"] == pytest.approx(25.0)
    assert signal.values["nps"] == pytest.approx(-20.0)
    assert signal.values["drop"] == pytest.approx(45.0)
    assert (signal.values["n"], signal.values["n_before"]) == (20, 20)


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "plan:pro", "drop": 46},  # the drop is 45
        {"segment": "plan:pro", "drop": 40, "min_responses": 21},  # 20 answers a week
        {"segment": "plan:free", "drop": 1},  # NPS 0 both weeks
        {"segment": "region:mena", "drop": 1},  # no such attribute
    ],
)
def test_segment_nps_drop_stays_quiet(params: dict) -> None:
    assert evaluate_rule(rule("segment_nps_drop", **params), nps_frame()) == []


def test_emerging_group_fires_for_a_new_theme_with_enough_items() -> None:
    frame = spike_frame()  # A: 17 items in all, B: 12
    inputs = AlertInputs(labels={"B": "Battery"}, new_theme_ids=frozenset({"B"}))
    (signal,) = evaluate_rule(rule("emerging_group", min_items=12), frame, inputs)
    assert (signal.subject, signal.dedup_key, signal.values["n_items"]) == ("B", "new-theme:B", 12)
    assert evaluate_rule(rule("emerging_group", min_items=13), frame, inputs) == []


def test_emerging_group_fires_for_growing_unassigned_feedback() -> None:
    (signal,) = evaluate_rule(rule("emerging_group", min_items=20, recent=2), pool_frame())
    assert signal.dedup_key == f"unassigned:(unassigned)@{week_label(3)}"
    assert signal.values["recent_count"] == 20
    assert signal.values["recent_share"] == pytest.approx(0.5)
    assert signal.values["before_share"] == pytest.approx(0.0)
    assert evaluate_rule(rule("emerging_group", min_items=21, recent=2), pool_frame()) == []


def test_evaluate_rules_skips_disabled_rules_and_keeps_keys_stable() -> None:
    active = rule("theme_spike", rule_id=1)
    disabled = replace(rule("theme_spike", rule_id=2), enabled=False)
    first = evaluate_rules([active, disabled], spike_frame())
    again = evaluate_rules([active, disabled], spike_frame())
    assert [s.rule_id for s in first] == [1]
    assert [s.dedup_key for s in first] == [s.dedup_key for s in again]
