"""Bodies of the alert routes (``/v1/alerts``): ``XCreate``/``XUpdate`` in, ``XPublic`` out.

Only the shape is checked here; the kinds, their parameters and the webhook URL are checked by
:class:`~feedback_nlp.alerts.service.AlertService` (E150, E151, E152), so the API, the CLI and
the dashboard answer the same 4xx problem with the same message. The ``XPublic`` views are read
off the library's records by field name (:class:`api.public.RecordPublic`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from api.public import RecordPublic, public_model
from feedback_nlp.alert_records import AlertRule, Attempt, Delivery, Firing
from feedback_nlp.alerts.rules import RULE_KINDS

_KINDS = ", ".join(RULE_KINDS)


class AlertRuleCreate(BaseModel):
    """``POST /v1/alerts/rules``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="What to call it (1-100 characters).")
    kind: str = Field(max_length=64, description=f"One of: {_KINDS}.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The kind's parameters (defaults filled in); see the README's Alerts section.",
    )
    webhook_url: str | None = Field(
        default=None, max_length=4000, description="http(s) URL its firings are POSTed to."
    )
    secret: str | None = Field(
        default=None,
        max_length=200,
        description="HMAC-SHA256 key of the signature (16-128 characters); default: a random one.",
    )
    enabled: bool = True


class AlertRuleUpdate(BaseModel):
    """``PATCH /v1/alerts/rules/{id}``: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    params: dict[str, Any] | None = Field(
        default=None, description="Merged into the current parameters."
    )
    webhook_url: str | None = Field(
        default=None, max_length=4000, description="A new URL; null removes the webhook."
    )
    enabled: bool | None = None
    rotate_secret: bool = Field(default=False, description="Make a new secret (shown once).")


class AlertRulePublic(RecordPublic):
    """A rule (its secret is shown only when made or rotated)."""

    id: int
    name: str
    kind: str
    params: dict[str, Any]
    webhook_url: str | None
    has_secret: bool
    enabled: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: AlertRule) -> Self:
        """The public view of ``rule``."""
        return cls.read(rule, has_secret=rule.secret is not None)


class AlertRuleSecretPublic(AlertRulePublic):
    """A rule just made or whose secret was rotated: ``secret`` is shown this once."""

    secret: str | None = Field(description="Give it to the receiver; it is not shown again.")

    @classmethod
    def with_secret(cls, rule: AlertRule) -> AlertRuleSecretPublic:
        """The view of ``rule`` with its secret."""
        return cls.of(rule)


# Views made from the records at run time (api.public.public_model): type checkers see the base.
if TYPE_CHECKING:
    FiringPublic = RecordPublic
    AttemptPublic = RecordPublic
    DeliveryPublic = RecordPublic
else:
    FiringPublic = public_model(
        Firing,
        name="FiringPublic",
        doc="A firing: a rule fired for a subject (theme, group, segment) and period, once.",
        module=__name__,
        exclude=("workspace_id", "dedup_key"),
    )
    AttemptPublic = public_model(
        Attempt,
        name="AttemptPublic",
        doc="One try of a delivery.",
        module=__name__,
        descriptions={"status_code": "The receiver's status; null: no answer."},
    )
    DeliveryPublic = public_model(
        Delivery,
        name="DeliveryPublic",
        doc="A webhook delivery of a firing and its log.",
        module=__name__,
        exclude=("workspace_id",),
        nested={Attempt: AttemptPublic},
        descriptions={
            "id": "The X-FeedbackNLP-Delivery header (the same at every try).",
            "status": "pending, delivered or failed.",
        },
    )
