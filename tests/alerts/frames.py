"""Small hand-made frames for the alert tests (values worked out by hand in the tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from feedback_nlp.alert_records import AlertRule
from feedback_nlp.alerts.rules import check_rule
from feedback_nlp.analytics.frame import FeedbackFrame

MONDAY = datetime(2026, 8, 17, 12, tzinfo=UTC)  # a Monday: week labels are Mondays


def week_label(week: int) -> str:
    """The label of week ``week`` (0-based) after :data:`MONDAY`."""
    return (MONDAY + timedelta(weeks=week)).date().isoformat()


def rule(kind: str, rule_id: int = 1, **params: Any) -> AlertRule:
    """An enabled rule with checked parameters."""
    now = datetime(2026, 9, 1, tzinfo=UTC)
    return AlertRule(
        id=rule_id,
        workspace_id=1,
        name=f"{kind} rule",
        kind=kind,
        params=check_rule(kind, params),
        webhook_url=None,
        secret=None,
        enabled=True,
        created_by="test",
        created_at=now,
        updated_at=now,
    )


def spike_frame() -> FeedbackFrame:
    """6 weeks of 20 items; theme A: 1 item a week, then 12 in week 5; theme B: 2 every week."""
    items: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for week in range(6):
        for i in range(20):
            item_id = f"w{week}-{i}"
            items.append({"item_id": item_id, "created_at": MONDAY + timedelta(weeks=week)})
            if i < (12 if week == 5 else 1):
                units.append({"item_id": item_id, "theme_id": "A"})
            elif i >= 18:
                units.append({"item_id": item_id, "theme_id": "B"})
    return FeedbackFrame.from_records(items, units, theme_ids=["A", "B"])


def nps_frame() -> FeedbackFrame:
    """Two weeks; plan=pro NPS 25 (10/5/5 of 20) then -20 (6/4/10 of 20); plan=free 0 both."""
    items: list[dict[str, Any]] = []

    def add(week: int, plan: str, scores: list[int]) -> None:
        for i, score in enumerate(scores):
            items.append(
                {
                    "item_id": f"{plan}-{week}-{i}",
                    "created_at": MONDAY + timedelta(weeks=week, hours=i),
                    "nps": score,
                    "segments": {"plan": plan},
                }
            )

    add(0, "pro", [10] * 10 + [8] * 5 + [3] * 5)
    add(1, "pro", [10] * 6 + [8] * 4 + [3] * 10)
    add(0, "free", [10] * 5 + [3] * 5)
    add(1, "free", [10] * 5 + [3] * 5)
    return FeedbackFrame.from_records(items, [])


def pool_frame() -> FeedbackFrame:
    """4 weeks of 20 items with theme A on 2 a week; unassigned units: 0, 0, 10, 10 items."""
    items: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for week in range(4):
        for i in range(20):
            item_id = f"w{week}-{i}"
            items.append({"item_id": item_id, "created_at": MONDAY + timedelta(weeks=week)})
            if i < 2:
                units.append({"item_id": item_id, "theme_id": "A"})
            elif week >= 2 and i < 12:
                units.append({"item_id": item_id, "theme_id": None})
    return FeedbackFrame.from_records(items, units, theme_ids=["A", "N"])
