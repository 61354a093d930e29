"""``/v1/alerts``: alert rules of the key's workspace, their firings and webhook deliveries.

Rules are evaluated by the server's alert worker after ingest batches and mining jobs
(debounced; :mod:`feedback_nlp.alerts`), or at once with ``POST /v1/alerts/evaluate``. A rule
with a ``webhook_url`` gets a signing secret, shown only in the answer that made or rotated it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from api.alerts_deps import AlertServiceDep, state_frame_source
from api.alerts_schemas import (
    AlertRuleCreate,
    AlertRulePublic,
    AlertRuleSecretPublic,
    AlertRuleUpdate,
    DeliveryPublic,
    FiringPublic,
)
from api.analytics_deps import FrameCacheDep
from api.deps import StoreDep
from api.problems import problem_responses

router = APIRouter(prefix="/v1/alerts", tags=["alerts"], responses=problem_responses(401, 422, 429))

RuleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The rule's id.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first.")]
RuleFilter = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="Only this rule's (default: all rules).")
]
_ONE = problem_responses(404, 422)


@router.get("/rules")
def list_rules(alerts: AlertServiceDep) -> list[AlertRulePublic]:
    """The workspace's alert rules, oldest first."""
    return [AlertRulePublic.of(rule) for rule in alerts.rules()]


@router.post("/rules", status_code=status.HTTP_201_CREATED, responses=problem_responses(413, 422))
def create_rule(body: AlertRuleCreate, alerts: AlertServiceDep) -> AlertRuleSecretPublic:
    """Make a rule; with a ``webhook_url`` the answer holds its ``secret`` (shown this once).

    422: an unknown kind or parameter, a value out of range (E150), a webhook URL that is not
    http(s) (E151), a webhook host the allow-list refuses: loopback, private, link-local or
    multicast unless listed in ``alerts.webhook_allow`` (E152).
    """
    rule = alerts.create_rule(
        name=body.name,
        kind=body.kind,
        params=body.params,
        webhook_url=body.webhook_url,
        secret=body.secret,
        enabled=body.enabled,
    )
    return AlertRuleSecretPublic.with_secret(rule)


@router.get("/rules/{rule_id}", responses=_ONE)
def get_rule(rule_id: RuleId, alerts: AlertServiceDep) -> AlertRulePublic:
    """One rule (404: not the workspace's)."""
    return AlertRulePublic.of(alerts.rule(rule_id))


@router.patch("/rules/{rule_id}", responses=problem_responses(404, 413, 422))
def update_rule(
    rule_id: RuleId, body: AlertRuleUpdate, alerts: AlertServiceDep
) -> AlertRuleSecretPublic:
    """Change a rule; the answer holds the secret only when ``rotate_secret`` made a new one."""
    sent = body.model_fields_set
    rule = alerts.update_rule(
        rule_id,
        name=body.name,
        params=body.params,
        enabled=body.enabled,
        rotate_secret=body.rotate_secret,
        **({"webhook_url": body.webhook_url} if "webhook_url" in sent else {}),
    )
    public = AlertRuleSecretPublic.with_secret(rule)
    return public if body.rotate_secret else public.model_copy(update={"secret": None})


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ONE)
def delete_rule(rule_id: RuleId, alerts: AlertServiceDep) -> Response:
    """Delete a rule with its firings and deliveries (pending deliveries are not sent)."""
    alerts.delete_rule(rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/firings", responses=problem_responses(422))
def list_firings(
    alerts: AlertServiceDep, rule_id: RuleFilter = None, limit: Limit = 100
) -> list[FiringPublic]:
    """What the rules fired for, newest first (each rule fires once per subject and period)."""
    return [FiringPublic.of(f) for f in alerts.firings(rule_id=rule_id, limit=limit)]


@router.get("/deliveries", responses=problem_responses(422))
def list_deliveries(
    alerts: AlertServiceDep,
    rule_id: RuleFilter = None,
    status: Annotated[
        str | None, Query(pattern="^(pending|delivered|failed)$", description="Only these.")
    ] = None,
    limit: Limit = 100,
) -> list[DeliveryPublic]:
    """Webhook deliveries, newest first, each with its attempts (status code, error, time)."""
    found = alerts.deliveries(rule_id=rule_id, status=status, limit=limit)
    return [DeliveryPublic.of(d) for d in found]


@router.post("/evaluate", responses=problem_responses(422))
def evaluate(
    request: Request, alerts: AlertServiceDep, store: StoreDep, cache: FrameCacheDep
) -> list[FiringPublic]:
    """Evaluate the workspace's rules now; answers the new firings (their webhooks follow)."""
    worker = getattr(request.app.state, "alert_worker", None)
    fired = alerts.evaluate(state_frame_source(cache, store))
    if worker is not None:
        worker.notify()
    return [FiringPublic.of(f) for f in fired]
