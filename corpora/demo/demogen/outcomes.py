"""The outcome fields (customers, ticket times, churn, revenue) from their own random stream.

Also their planted effects as the rows show them, for the manifest's ``outcomes`` entry.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .row import DemoRow
from .sampling import PLAN_WEIGHTS

OUTCOME_STREAM = "outcomes"
"""Outcomes come from ``random.Random(f"{OUTCOME_STREAM}-{seed}")``, a stream of their own, so
the other columns are the bytes they were before outcomes existed."""
REPEAT_CUSTOMER = 0.45  # a row is from a customer seen before (same plan and region)
ANONYMOUS = 0.12  # a row has no customer id (and so no revenue)
CHURN_KNOWN = 0.70  # a row's churn is known
CHURN_BASE = 0.08  # churn within 90 days of the feedback, per known row
CHURN_PRICE_LIFT = 2.5  # ... times this when the row complains about the price
CHURN_DAYS = 90
REVENUE_MEDIAN = {"free": 60.0, "pro": 1_200.0, "enterprise": 24_000.0}  # lifetime value
REVENUE_SIGMA = 0.6
FIRST_RESPONSE_MEDIAN_MIN = 45.0
RESOLUTION_MEDIAN_MIN = 480.0
SSO_RESOLUTION_FACTOR = 3.0  # login_sso tickets take this much longer to resolve
DURATION_SIGMA = 0.7
UNRESOLVED = 0.10  # tickets still open: a first response, no resolution


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def draw_outcomes(rows: Sequence[DemoRow], seed: int) -> list[DemoRow]:
    """The rows with outcome fields, drawn from their own random stream (planted effects).

    * **Customers.** ``customer_id`` (``cust-00001`` ...) is missing on 12% of rows; otherwise
      45% of rows come from a customer seen before with the same plan and region, so customers
      repeat. ``revenue`` is the customer's lifetime value (the same on each of their rows):
      lognormal with medians 60 (free), 1,200 (pro) and 24,000 (enterprise) in the workspace's
      currency; enterprise customers carry far more revenue.
    * **Times.** Only tickets have them: ``first_response_at`` about 45 minutes after
      ``created_at`` (median), ``resolved_at`` about 8 hours after (median; 10% of tickets are
      still open). **Tickets about login and SSO take 3x as long to resolve** (median about 24
      hours). Surveys, reviews and social posts have neither.
    * **Churn.** Known on 70% of rows: ``churned`` is whether the customer left within 90 days
      of the feedback (``churned_at`` then falls in those days), 8% of rows, and **2.5x that
      (20%) for rows that complain about the price** (``price_too_high``).
    """
    rng = random.Random(f"{OUTCOME_STREAM}-{seed}")
    customers: dict[tuple[str, str], list[tuple[str, float]]] = {}
    count = 0
    out: list[DemoRow] = []
    for row in rows:
        created = datetime.strptime(row.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        customer: tuple[str, float] | None = None
        if rng.random() >= ANONYMOUS:
            pool = customers.setdefault((row.plan, row.region), [])
            if pool and rng.random() < REPEAT_CUSTOMER:
                customer = rng.choice(pool)
            else:
                count += 1
                value = rng.lognormvariate(math.log(REVENUE_MEDIAN[row.plan]), REVENUE_SIGMA)
                customer = (f"cust-{count:05d}", round(value, 2))
                pool.append(customer)
        first = resolved = None
        if row.source == "ticket":
            minutes = rng.lognormvariate(math.log(FIRST_RESPONSE_MEDIAN_MIN), DURATION_SIGMA)
            first = created + timedelta(minutes=minutes)
            if rng.random() >= UNRESOLVED:
                factor = SSO_RESOLUTION_FACTOR if "login_sso" in row.themes else 1.0
                median = math.log(RESOLUTION_MEDIAN_MIN * factor)
                resolved = first + timedelta(minutes=rng.lognormvariate(median, DURATION_SIGMA))
        churned = churned_at = None
        if rng.random() < CHURN_KNOWN:
            rate = CHURN_BASE * (CHURN_PRICE_LIFT if "price_too_high" in row.themes else 1.0)
            churned = rng.random() < rate
            if churned:
                churned_at = _stamp(created + timedelta(days=rng.uniform(1, CHURN_DAYS)))
        out.append(
            replace(
                row,
                customer_id=None if customer is None else customer[0],
                revenue=None if customer is None else customer[1],
                first_response_at=None if first is None else _stamp(first),
                resolved_at=None if resolved is None else _stamp(resolved),
                churned=churned,
                churned_at=churned_at,
            )
        )
    return out


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _minutes_between(start: str, end: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds() / 60


def _churn_rate(rows: Iterable[DemoRow]) -> float | None:
    known = [row.churned for row in rows if row.churned is not None]
    return round(sum(known) / len(known), 4) if known else None


def outcomes_entry(rows: Sequence[DemoRow]) -> dict[str, Any]:
    """The planted outcome effects as observed in the rows (for the manifest)."""

    def resolution(keep: Callable[[DemoRow], bool]) -> float | None:
        found = _median(
            [
                _minutes_between(row.created_at, row.resolved_at)
                for row in rows
                if row.resolved_at is not None and keep(row)
            ]
        )
        return None if found is None else round(found, 1)

    sso = resolution(lambda row: "login_sso" in row.themes)
    other = resolution(lambda row: "login_sso" not in row.themes)
    price = _churn_rate(row for row in rows if "price_too_high" in row.themes)
    base = _churn_rate(row for row in rows if "price_too_high" not in row.themes)
    per_customer = Counter(row.customer_id for row in rows if row.customer_id is not None)
    revenue: dict[str, float | None] = {}
    for plan in PLAN_WEIGHTS:
        values = {row.customer_id: row.revenue for row in rows if row.plan == plan}
        found = _median([v for k, v in values.items() if k is not None and v is not None])
        revenue[plan] = None if found is None else round(found, 2)
    return {
        "stream": f'random.Random("{OUTCOME_STREAM}-<seed>")',
        "rows_with_customer": sum(row.customer_id is not None for row in rows),
        "customers": len(per_customer),
        "customers_on_several_rows": sum(n > 1 for n in per_customer.values()),
        "rows_with_first_response": sum(row.first_response_at is not None for row in rows),
        "rows_with_resolution": sum(row.resolved_at is not None for row in rows),
        "rows_with_churn_known": sum(row.churned is not None for row in rows),
        "rows_churned": sum(bool(row.churned) for row in rows),
        "planted": {
            "login_sso_resolution": {
                "intended_factor": SSO_RESOLUTION_FACTOR,
                "median_minutes_login_sso": sso,
                "median_minutes_other": other,
                "observed_factor": None if not sso or not other else round(sso / other, 2),
            },
            "price_too_high_churn": {
                "intended_lift": CHURN_PRICE_LIFT,
                "churn_rate_price_too_high": price,
                "churn_rate_other": base,
                "observed_lift": None if not price or not base else round(price / base, 2),
            },
            "revenue_median_by_plan": revenue,
        },
    }
