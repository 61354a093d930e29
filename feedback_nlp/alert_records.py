"""What alerting keeps and produces: rules, signals (a rule fired), firings, deliveries, attempts.

Plain frozen records below the store, so that the store (:mod:`feedback_nlp.store.alerts`,
:mod:`feedback_nlp.store.alert_outbox`) reads and writes them without importing the alerting
services above it; shared by the rules (:mod:`feedback_nlp.alerts.rules`), the evaluation
(:mod:`feedback_nlp.alerts.evaluate`), the deliverer and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["AlertRule", "Attempt", "ClaimedDelivery", "Delivery", "Firing", "Signal"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A stored alert rule of a workspace.

    Attributes:
        id: The rule's id.
        workspace_id: Its workspace.
        name: What the analyst called it.
        kind: One of :data:`~feedback_nlp.alerts.rules.RULE_KINDS`.
        params: Its parameters, defaults filled in
            (:func:`~feedback_nlp.alerts.rules.check_rule`).
        webhook_url: Where its firings are POSTed (``None``: dashboard and API only).
        secret: The HMAC-SHA256 key of its webhook signatures (``None`` without a webhook).
        enabled: Whether it is evaluated.
        created_by: Who made it (the API key's name, or the CLI's user).
        created_at: When it was made.
        updated_at: When it was last changed.
    """

    id: int
    workspace_id: int
    name: str
    kind: str
    params: dict[str, Any]
    webhook_url: str | None
    secret: str | None
    enabled: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """One rule firing, before it is stored.

    Attributes:
        rule_id: The rule that fired.
        dedup_key: Fires once per rule and key (``<subject>@<period>``, or the theme of a new one).
        subject: What it is about: a theme id, a parent group id, an unassigned group, a segment.
        period: The period it is about (``2026-09-21``: the Monday of a week), or ``None``.
        message: One sentence for people.
        values: The numbers behind it (JSON-ready).
    """

    rule_id: int
    dedup_key: str
    subject: str
    period: str | None
    message: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Firing:
    """A stored firing of a rule (see :class:`Signal`)."""

    id: int
    workspace_id: int
    rule_id: int
    dedup_key: str
    subject: str
    period: str | None
    message: str
    details: dict[str, Any]
    fired_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a delivery: its answer (``status_code``, ``None``: none came) or its error."""

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook delivery of a firing, with its log.

    Attributes:
        id: The delivery id (``X-FeedbackNLP-Delivery``).
        status: ``pending`` (to be sent, or being retried), ``delivered`` (answered 2xx) or
            ``failed`` (gave up after the last attempt).
        attempts: Tries so far; ``log`` lists them when asked for.
    """

    id: str
    workspace_id: int
    firing_id: int
    rule_id: int
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a deliverer holds until ``lease_until``: what to send and how to sign it."""

    id: str
    workspace_id: int
    url: str
    body: str
    secret: str
    attempts: int
    lease_until: datetime
