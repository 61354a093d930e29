"""The alert operations the API, the CLI and the worker share: rules, evaluation, listings.

:class:`AlertService` checks what comes in (:mod:`feedback_nlp.alerts.rules`), stores it, and
evaluates a workspace's rules over a frame from a *frame source*: the server passes its
incremental analytics state (:mod:`feedback_nlp.analytics.state`), the CLI
:func:`frame_from_store` (a full read). New firings are stored with their webhook deliveries
(:meth:`~feedback_nlp.store.alerts.AlertStore.record_signals`); sending them is the
:class:`~feedback_nlp.alerts.deliver.Deliverer`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from feedback_nlp.alert_records import AlertRule, Delivery, Firing
from feedback_nlp.alerts.deliver import EVENT
from feedback_nlp.alerts.evaluate import AlertInputs, evaluate_rules
from feedback_nlp.alerts.rules import check_name, check_rule, check_webhook_url, is_clean_text
from feedback_nlp.alerts.signing import new_secret
from feedback_nlp.alerts.targets import WebhookTargets
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.loader import frame_from_records
from feedback_nlp.errors import AlertRuleError
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.store import Store
from feedback_nlp.themes.display import display_labels, workspace_language

__all__ = ["AlertService", "FrameSource", "alert_inputs", "frame_from_store", "payload_of"]

FrameSource = Callable[[int], FeedbackFrame]
"""``workspace_id -> frame``: the analytics frame the rules are evaluated over."""

_UNSET: Any = object()
MIN_SECRET_CHARS = 16


def frame_from_store(store: Store) -> FrameSource:
    """A frame source that reads every row of the workspace (for one-off processes: the CLI)."""

    def frame_of(workspace_id: int) -> FeedbackFrame:
        return frame_from_records(store.analytics_records(workspace_id))

    return frame_of


def alert_inputs(store: Store, workspace_id: int) -> AlertInputs:
    """Theme labels, parent groups and the themes new in the latest mining run."""
    themes = store.list_themes(workspace_id, include_inactive=True)
    labels = display_labels(themes, workspace_language(themes))  # as GET /v1/themes by default
    level0 = [t for t in themes if t.level == 0]
    parents = {t.theme_id: t.parent_id for t in level0 if t.parent_id}
    runs = [t.first_seen_run for t in level0 if t.first_seen_run is not None]
    new: frozenset[str] = frozenset()
    if runs and max(runs) > min(runs):  # after the first run every theme is new: none counts
        latest = max(runs)
        new = frozenset(
            t.theme_id
            for t in level0
            if t.first_seen_run == latest and t.active and t.origin == "mined"
        )
    return AlertInputs(labels=labels, parents=parents, new_theme_ids=new)


def payload_of(workspace: str) -> Callable[[AlertRule, Firing, str], bytes]:
    """The webhook body builder of a workspace's firings (compact UTF-8 JSON)."""

    def build(rule: AlertRule, firing: Firing, delivery_id: str) -> bytes:
        document = {
            "event": EVENT,
            "delivery_id": delivery_id,
            "workspace": workspace,
            "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind, "params": rule.params},
            "firing": {
                "id": firing.id,
                "subject": firing.subject,
                "period": firing.period,
                "message": firing.message,
                "details": firing.details,
                "fired_at": firing.fired_at.isoformat(),
            },
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return build


class AlertService:
    """One workspace's alert rules, firings and deliveries.

    Args:
        store: A migrated store.
        workspace_id: The workspace.
        actor: Who makes changes (the API key's name, the CLI's user).
        targets: The webhook target policy new URLs are checked against (default: public
            addresses only; the server passes its ``alerts.webhook_allow``).
    """

    def __init__(
        self,
        store: Store,
        workspace_id: int,
        *,
        actor: str | None = None,
        targets: WebhookTargets | None = None,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.actor = actor
        self.targets = targets if targets is not None else WebhookTargets()

    # --- rules -------------------------------------------------------------------------------

    def create_rule(
        self,
        *,
        name: str,
        kind: str,
        params: dict[str, Any] | None = None,
        webhook_url: str | None = None,
        secret: str | None = None,
        enabled: bool = True,
    ) -> AlertRule:
        """Check and store a rule; a webhook gets ``secret`` or a new random one.

        Raises:
            AlertRuleError: If the name, kind or a parameter is not acceptable (E150).
            WebhookUrlError: If the webhook URL is not http(s) (E151).
            WebhookTargetError: If its host is an address the allow-list refuses (E152).
        """
        checked = check_rule(kind, params)
        url = None if webhook_url is None else self._check_url(webhook_url)
        if url is not None:
            secret = _check_secret(secret) if secret is not None else new_secret()
        elif secret is not None:
            raise AlertRuleError("A secret signs webhook deliveries: give a webhook_url with it.")
        return self.store.create_alert_rule(
            self.workspace_id,
            name=check_name(name),
            kind=kind,
            params=checked,
            webhook_url=url,
            secret=secret,
            enabled=enabled,
            created_by=self.actor,
        )

    def update_rule(
        self,
        rule_id: int,
        *,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        webhook_url: str | None = _UNSET,
        enabled: bool | None = None,
        rotate_secret: bool = False,
    ) -> AlertRule:
        """Change a rule: its name, parameters (merged into the current ones), webhook, state.

        ``webhook_url=None`` removes the webhook (and its secret); ``rotate_secret`` makes a
        new secret (returned in the rule: give it to the receiver).

        Raises:
            NotFoundError: If the workspace has no such rule.
            AlertRuleError: If a new value is not acceptable.
        """
        rule = self.store.get_alert_rule(self.workspace_id, rule_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = check_name(name)
        if params is not None:
            values["params"] = check_rule(rule.kind, {**rule.params, **params})
        if webhook_url is not _UNSET:
            if webhook_url is None:
                values.update(webhook_url=None, secret=None)
            else:
                values["webhook_url"] = self._check_url(webhook_url)
                if rule.secret is None:
                    values["secret"] = new_secret()
        if rotate_secret:
            if values.get("webhook_url", rule.webhook_url) is None:
                raise AlertRuleError("Only a rule with a webhook_url has a secret to rotate.")
            values["secret"] = new_secret()
        if enabled is not None:
            values["enabled"] = bool(enabled)
        if not values:
            return rule
        return self.store.update_alert_rule(self.workspace_id, rule_id, **values)

    def _check_url(self, url: object) -> str:
        return self.targets.check_url(check_webhook_url(url))

    def delete_rule(self, rule_id: int) -> None:
        """Delete a rule, its firings and its deliveries."""
        self.store.delete_alert_rule(self.workspace_id, rule_id)

    def rules(self) -> list[AlertRule]:
        """The workspace's rules, oldest first."""
        return self.store.list_alert_rules(self.workspace_id)

    def rule(self, rule_id: int) -> AlertRule:
        """One rule (NotFoundError if it is not the workspace's)."""
        return self.store.get_alert_rule(self.workspace_id, rule_id)

    # --- evaluation and listings -------------------------------------------------------------

    def evaluate(self, frame_of: FrameSource) -> list[Firing]:
        """Evaluate the enabled rules now; store and return the firings that are new."""
        rules = self.store.list_alert_rules(self.workspace_id, enabled_only=True)
        if not rules:
            return []
        frame = frame_of(self.workspace_id)
        signals = evaluate_rules(rules, frame, alert_inputs(self.store, self.workspace_id))
        payload = payload_of(self.store.workspace_name(self.workspace_id))
        return self.store.record_signals(self.workspace_id, signals, payload)

    def evaluate_if_due(self, frame_of: FrameSource) -> list[Firing] | None:
        """Evaluate unless another evaluator started first (``None`` then)."""
        if not self.store.claim_alert_evaluation(self.workspace_id, now=utcnow()):
            return None
        return self.evaluate(frame_of)

    def firings(self, *, rule_id: int | None = None, limit: int = 100) -> list[Firing]:
        """The workspace's firings, newest first."""
        return self.store.list_alert_firings(self.workspace_id, rule_id=rule_id, limit=limit)

    def deliveries(
        self, *, rule_id: int | None = None, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The workspace's webhook deliveries with their attempt logs, newest first."""
        return self.store.list_alert_deliveries(
            self.workspace_id, rule_id=rule_id, status=status, limit=limit
        )


def _check_secret(secret: object) -> str:
    if (
        not isinstance(secret, str)
        or not MIN_SECRET_CHARS <= len(secret) <= 128
        or not is_clean_text(secret)
    ):
        raise AlertRuleError(
            f"The webhook secret must be {MIN_SECRET_CHARS}-128 characters without control "
            "characters. Got "
            f"{len(secret) if isinstance(secret, str) else type(secret).__name__}. Leave it out "
            "to get a random one."
        )
    return secret
