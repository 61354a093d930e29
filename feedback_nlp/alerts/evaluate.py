"""Evaluate alert rules over an analytics frame: frame in, signals out, no database.

Each rule looks at the **latest period** of the
:class:`~feedback_nlp.analytics.frame.FeedbackFrame` (the period of its newest item) only, so a
rule created today does not fire for last year, and each signal carries a ``dedup_key`` (the
theme or group and the period): the store keeps one firing per rule and key
(:meth:`~feedback_nlp.store.alerts.AlertStore.record_signals`), so evaluating after every
ingest batch fires a spike once, not once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from feedback_nlp.alert_records import AlertRule, Signal
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.scores import nps
from feedback_nlp.analytics.trends import POOL, emerging_themes, theme_trends

__all__ = ["AlertInputs", "Signal", "evaluate_rule", "evaluate_rules"]


@dataclass(frozen=True, slots=True)
class AlertInputs:
    """What the rules read besides the frame.

    Attributes:
        labels: Display label of each theme (and parent group) id.
        parents: Parent group id of each level-0 theme that has one (spikes test groups too).
        new_theme_ids: Themes the latest mining run found for the first time (none after a
            workspace's first run: then every theme is new).
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    parents: Mapping[str, str] = field(default_factory=dict)
    new_theme_ids: frozenset[str] = frozenset()


def evaluate_rules(
    rules: Sequence[AlertRule], frame: FeedbackFrame, inputs: AlertInputs | None = None
) -> list[Signal]:
    """The signals of every enabled rule over ``frame`` (rules in order)."""
    inputs = inputs or AlertInputs()
    found: list[Signal] = []
    for rule in rules:
        if rule.enabled:
            found.extend(evaluate_rule(rule, frame, inputs))
    return found


def evaluate_rule(
    rule: AlertRule, frame: FeedbackFrame, inputs: AlertInputs | None = None
) -> list[Signal]:
    """The signals of one rule over ``frame`` (its params checked by ``check_rule``)."""
    inputs = inputs or AlertInputs()
    if frame.n_items == 0:
        return []
    if rule.kind == "theme_spike":
        return _theme_spikes(rule, frame, inputs)
    if rule.kind == "emerging_group":
        return _emerging_groups(rule, frame, inputs)
    if rule.kind == "segment_nps_drop":
        return _segment_nps_drops(rule, frame)
    return []


def _label(inputs: AlertInputs, theme_id: str) -> str:
    return inputs.labels.get(theme_id) or theme_id


def _theme_spikes(rule: AlertRule, frame: FeedbackFrame, inputs: AlertInputs) -> list[Signal]:
    params = rule.params
    period = params["period"]
    _, labels = frame.period_codes(period)
    if not labels:
        return []
    trends = theme_trends(
        frame,
        period,
        window=params["window"],
        threshold=params["z"],
        min_count=params["min_count"],
        fdr=params["fdr"],
        parents=inputs.parents,
    )
    latest = labels[-1]
    rows = trends.loc[trends["spike"] & (trends["period"] == latest)]
    only = params.get("theme_id")
    signals = []
    for row in rows.to_dict(orient="records"):
        theme_id = str(row["theme_id"])
        if only is not None and theme_id != only:
            continue
        what = "theme group" if int(row["level"]) == 1 else "theme"
        message = (
            f"The {what} '{_label(inputs, theme_id)}' spiked in the {period} of {latest}: "
            f"{int(row['mentions'])} of {int(row['n_items'])} items ({row['share']:.0%}) against a "
            f"baseline of {row['baseline']:.0%} (z {row['z']:.1f}, q {row['q_value']:.2g})."
        )
        signals.append(
            Signal(
                rule_id=rule.id,
                dedup_key=f"{theme_id}@{latest}",
                subject=theme_id,
                period=latest,
                message=message,
                values={
                    "label": _label(inputs, theme_id),
                    "level": int(row["level"]),
                    "mentions": int(row["mentions"]),
                    "n_items": int(row["n_items"]),
                    "share": float(row["share"]),
                    "baseline": float(row["baseline"]),
                    "z": float(row["z"]),
                    "ratio": _finite(row["ratio"]),
                    "q_value": float(row["q_value"]),
                },
            )
        )
    return signals


def _emerging_groups(rule: AlertRule, frame: FeedbackFrame, inputs: AlertInputs) -> list[Signal]:
    params = rule.params
    min_items = params["min_items"]
    signals = []
    if inputs.new_theme_ids:
        per_theme = frame.mentions.sum(axis=0)
        for k, theme_id in enumerate(frame.theme_ids):
            n_items = int(per_theme[k])
            if theme_id in inputs.new_theme_ids and n_items >= min_items:
                label = _label(inputs, theme_id)
                signals.append(
                    Signal(
                        rule_id=rule.id,
                        dedup_key=f"new-theme:{theme_id}",
                        subject=theme_id,
                        period=None,
                        message=(
                            f"A new theme emerged: '{label}', mentioned by {n_items} items "
                            "(found for the first time by the latest mining run)."
                        ),
                        values={"label": label, "n_items": n_items, "source": "new_theme"},
                    )
                )
    period = params["period"]
    _, labels = frame.period_codes(period)
    if len(labels) > params["recent"]:  # there must be periods before the recent ones
        table = emerging_themes(frame, period, recent=params["recent"], min_count=min_items)
        latest = labels[-1]
        for row in table.loc[table["emerging"]].to_dict(orient="records"):
            name = (
                "unassigned feedback" if row["candidate"] == POOL else f"group {row['candidate']}"
            )
            signals.append(
                Signal(
                    rule_id=rule.id,
                    dedup_key=f"unassigned:{row['candidate']}@{latest}",
                    subject=str(row["candidate"]),
                    period=latest,
                    message=(
                        f"Emerging {name}: {int(row['recent_count'])} items in the last "
                        f"{params['recent']} {period}s ({row['recent_share']:.0%} of items, "
                        f"{row['before_share']:.0%} before; q {row['q_value']:.2g}). Mine again to "
                        "give it a theme."
                    ),
                    values={
                        "recent_count": int(row["recent_count"]),
                        "recent_share": float(row["recent_share"]),
                        "before_share": float(row["before_share"]),
                        "growth": _finite(row["growth"]),
                        "q_value": float(row["q_value"]),
                        "source": "unassigned",
                    },
                )
            )
    return signals


def _segment_nps_drops(rule: AlertRule, frame: FeedbackFrame) -> list[Signal]:
    params = rule.params
    key, _, value = str(params["segment"]).partition(":")
    if key not in frame.segments:
        return []  # no item has the attribute yet
    codes, labels = frame.period_codes(params["period"])
    if len(labels) < 2:
        return []
    inside = (frame.items[key] == value).to_numpy(dtype=np.bool_)
    scores = frame.scores("nps")
    last = len(labels) - 1
    now = nps(scores[inside & (codes == last)])
    before = nps(scores[inside & (codes == last - 1)])
    least = params["min_responses"]
    if now.n < least or before.n < least:
        return []
    drop = before.value - now.value
    if drop < params["drop"]:
        return []
    latest, previous = labels[last], labels[last - 1]
    segment = f"{key}:{value}"
    return [
        Signal(
            rule_id=rule.id,
            dedup_key=f"{segment}@{latest}",
            subject=segment,
            period=latest,
            message=(
                f"NPS of {segment} fell {drop:.1f} points, from {before.value:.1f} in the "
                f"{params['period']} of {previous} ({before.n} answers) to {now.value:.1f} in "
                f"the {params['period']} of {latest} ({now.n} answers)."
            ),
            values={
                "nps": now.value,
                "nps_before": before.value,
                "drop": drop,
                "n": now.n,
                "n_before": before.n,
                "ci": [now.low, now.high],
                "ci_before": [before.low, before.high],
                "previous_period": previous,
            },
        )
    ]


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None
