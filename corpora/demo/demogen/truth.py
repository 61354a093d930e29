"""The planted ground truth as the rows show it: detractor shares, planted, control, spike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from .planted import (
    CONTROL_MAX_LIFT,
    ELSEWHERE_MAX_SHARE,
    SPIKE_BASELINE_WEEKS,
    Incident,
    PlantedComplaint,
)
from .row import DemoRow
from .themes import THEMES


def detractor_share(rows: Iterable[DemoRow], theme: str, keep: Callable[[DemoRow], bool]) -> float:
    """Share of detractor rows selected by ``keep`` whose themes include ``theme``.

    Args:
        rows: Annotated rows.
        theme: Theme id.
        keep: Selects the rows of a segment, for example ``lambda r: r.plan == "free"``.

    Returns:
        The share in [0, 1], or 0.0 when the selection has no detractors.
    """
    selected = [row for row in rows if row.is_detractor and keep(row)]
    if not selected:
        return 0.0
    return sum(theme in row.themes for row in selected) / len(selected)


def _in_segment(attribute: str, value: str) -> Callable[[DemoRow], bool]:
    return lambda row: row.segment(attribute) == value


def _outside_segment(attribute: str, value: str) -> Callable[[DemoRow], bool]:
    return lambda row: row.segment(attribute) != value


def _on_or_after(day: date) -> Callable[[DemoRow], bool]:
    return lambda row: row.created_at[:10] >= day.isoformat()


def _before(day: date) -> Callable[[DemoRow], bool]:
    return lambda row: row.created_at[:10] < day.isoformat()


def planted_entry(rows: Sequence[DemoRow], planted: PlantedComplaint) -> dict[str, Any]:
    """The manifest entry of a planted complaint: its intended and observed shares."""
    inside = _in_segment(planted.attribute, planted.value)
    return {
        "attribute": planted.attribute,
        "value": planted.value,
        "theme": planted.theme,
        "intended_share": planted.intended_share,
        "elsewhere_max_share": ELSEWHERE_MAX_SHARE,
        "observed_share": round(detractor_share(rows, planted.theme, inside), 3),
        "observed_share_elsewhere": round(
            detractor_share(
                rows, planted.theme, _outside_segment(planted.attribute, planted.value)
            ),
            3,
        ),
        "segment_detractors": sum(row.is_detractor and inside(row) for row in rows),
    }


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def spike_entry(
    rows: Sequence[DemoRow], planted: PlantedComplaint, incident: Incident
) -> dict[str, Any]:
    """The manifest entry of an incident: its burst, weekly mentions and shares around it."""
    inside = _in_segment(planted.attribute, planted.value)
    after = _on_or_after(incident.start)
    before = _before(incident.start)

    def during(row: DemoRow) -> bool:
        return after(row) and _before(incident.end + timedelta(days=1))(row)

    weekly: Counter[date] = Counter()
    weekly_items: Counter[date] = Counter()
    for row in rows:
        week = _week_start(date.fromisoformat(row.created_at[:10]))
        weekly_items[week] += 1
        weekly[week] += planted.theme in row.themes
    first = _week_start(incident.start)
    baseline_weeks = [first - timedelta(weeks=k) for k in range(SPIKE_BASELINE_WEEKS, 0, -1)]
    # The burst's weeks and one more, where the rate is back at its base.
    n_weeks = (_week_start(incident.end) - first).days // 7 + 2
    burst_weeks = [first + timedelta(weeks=k) for k in range(n_weeks)]
    return {
        "theme": planted.theme,
        "attribute": planted.attribute,
        "value": planted.value,
        "start": incident.start.isoformat(),
        "end": incident.end.isoformat(),
        "story": incident.story,
        "report_share": incident.share,
        "half_life_days": incident.half_life_days,
        "probability": planted.probability,
        "reports": sum(row.incident for row in rows),
        "weekly_mentions": {
            week.isoformat(): {"items": weekly_items[week], "mentions": weekly[week]}
            for week in [*baseline_weeks, *burst_weeks]
        },
        "observed_share_before": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and before(r)), 3
        ),
        "observed_share_after": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and after(r)), 3
        ),
        "observed_share_during": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and during(r)), 3
        ),
        "observed_share_before_all_segments": round(
            detractor_share(rows, planted.theme, before), 3
        ),
        "observed_share_after_all_segments": round(detractor_share(rows, planted.theme, after), 3),
    }


def control_entry(rows: Sequence[DemoRow], attribute: str, value: str) -> dict[str, Any]:
    """The manifest entry of a control segment: each complaint's share inside, outside, lift."""
    inside = _in_segment(attribute, value)
    outside = _outside_segment(attribute, value)
    themes = {}
    for theme in THEMES:
        if theme.polarity != "negative":
            continue
        share = detractor_share(rows, theme.id, inside)
        rest = detractor_share(rows, theme.id, outside)
        themes[theme.id] = {
            "observed_share": round(share, 3),
            "observed_share_elsewhere": round(rest, 3),
            "lift": round(share / rest, 2) if rest else None,
        }
    return {
        "attribute": attribute,
        "value": value,
        "planted_theme": None,
        "max_complaint_lift": CONTROL_MAX_LIFT,
        "complaints": themes,
    }


def counts(values: Iterable[str]) -> dict[str, int]:
    """How often each value occurs, by value in sorted order."""
    return dict(sorted(Counter(values).items()))
