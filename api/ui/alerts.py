"""``/ui/alerts``: the dashboard's alert rules: make, enable, disable, delete; their firings.

The page lists each rule (kind, parameters, webhook), its latest firings and the state of their
webhook deliveries, and offers plain HTML forms (no script) over the same
:class:`~feedback_nlp.alerts.service.AlertService` as ``/v1/alerts``: one form per rule kind
with that kind's own fields (:data:`~feedback_nlp.alerts.rules.RULE_PARAMS`: a blank field takes
the default shown), and per rule *Disable*/*Enable* and *Delete*. Every form carries the
session's CSRF token (:func:`api.ui.forms.submit_form`); a refused rule (a value out of range,
E150; a webhook URL that is not http(s), E151, or a target the allow-list refuses, E152) is a
readable page with the problem and a way back. A rule made with a webhook shows its signing
secret once, on the page the form answers with (it is never put in a URL).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep, StoreDep
from api.taxonomy_deps import actor_of
from api.ui.auth import UiSession, login_redirect
from api.ui.forms import signed_in, submit_form
from api.ui.pages import page
from feedback_nlp.alert_records import AlertRule
from feedback_nlp.alerts.deliver import targets_of
from feedback_nlp.alerts.rules import PERIODS, RULE_PARAMS, params_from_text
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.settings import Settings
from feedback_nlp.store.store import Store

router = APIRouter(prefix="/ui", include_in_schema=False)

FIRINGS_PER_RULE = 5
DELIVERIES_READ = 200
PARAM_PREFIX = "param_"
"""Form fields of rule parameters are ``param_<name>`` (so none clashes with ``name``)."""

FormText = Annotated[str | None, Form()]
_HEADINGS = {
    403: "That form cannot be sent",
    404: "No such alert rule",
    422: "That alert rule cannot be made as asked",
}
_KIND_TITLES = {
    "theme_spike": "A theme's share spikes",
    "emerging_group": "A new group emerges",
    "segment_nps_drop": "A segment's NPS drops",
}


def alerts_context(store: Store, workspace_id: int) -> dict[str, Any]:
    """Each rule with its latest firings and the delivery state of each firing; the forms."""
    alerts = AlertService(store, workspace_id)
    deliveries = {d.firing_id: d for d in alerts.deliveries(limit=DELIVERIES_READ)}
    rules = []
    for rule in alerts.rules():
        firings = alerts.firings(rule_id=rule.id, limit=FIRINGS_PER_RULE)
        rules.append(
            {
                "rule": rule,
                "firings": [(firing, deliveries.get(firing.id)) for firing in firings],
            }
        )
    kinds = [
        {
            "kind": kind,
            "title": _KIND_TITLES.get(kind, kind),
            "params": [
                {"name": name, "spec": spec, "describe": spec.describe()}
                for name, spec in specs.items()
            ],
        }
        for kind, specs in RULE_PARAMS.items()
    ]
    return {"rules": rules, "kinds": kinds, "periods": PERIODS, "param_prefix": PARAM_PREFIX}


def _alerts(store: Store, session: UiSession, settings: Settings) -> AlertService:
    """The session's alert service: its key's name as actor, the server's webhook allow-list."""
    return AlertService(
        store,
        session.workspace.id,
        actor=actor_of(store, session.key),
        targets=targets_of(settings.alerts),
    )


@router.get("/alerts", response_model=None)
async def alerts_page(request: Request, store: StoreDep) -> Response | HTMLResponse:
    """The signed-in workspace's alert rules, their latest firings, and the rule forms."""
    session = await signed_in(request, store)
    if session is None:
        return login_redirect(request)
    context = await run_in_threadpool(alerts_context, store, session.workspace.id)
    return page("ui/alerts.html", session=session, **context)


def _created_page(store: Store, session: UiSession, rule: AlertRule) -> HTMLResponse:
    """The alerts page after a rule with a webhook was made: its secret, shown this once."""
    context = alerts_context(store, session.workspace.id)
    return page("ui/alerts.html", status_code=201, session=session, created=rule, **context)


@router.post("/alerts/rules", response_model=None)
async def create_rule(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Make a rule of the form's kind from its fields (blank fields take the defaults)."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    texts = {
        key.removeprefix(PARAM_PREFIX): value
        for key, value in fields.items()
        if key.startswith(PARAM_PREFIX)
    }

    def create(session: UiSession) -> str | Response:
        kind = fields.get("kind", "")
        webhook = fields.get("webhook_url", "").strip() or None
        rule = _alerts(store, session, settings).create_rule(
            name=fields.get("name", ""),
            kind=kind,
            params=params_from_text(kind, texts),
            webhook_url=webhook,
        )
        if rule.secret is not None:
            return _created_page(store, session, rule)
        return f"/ui/alerts?created={rule.id}#rule-{rule.id}"

    return await submit_form(
        request, store, fields.get("csrf_token"), "/ui/alerts", create, headings=_HEADINGS
    )


@router.post("/alerts/rules/{rule_id}/enabled", response_model=None)
async def set_enabled(
    request: Request,
    rule_id: int,
    store: StoreDep,
    settings: SettingsDep,
    enabled: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Enable (``enabled=true``) or disable (anything else) a rule."""

    def switch(session: UiSession) -> str:
        on = (enabled or "").strip().lower() == "true"
        _alerts(store, session, settings).update_rule(rule_id, enabled=on)
        return f"/ui/alerts#rule-{rule_id}"

    return await submit_form(request, store, csrf_token, "/ui/alerts", switch, headings=_HEADINGS)


@router.post("/alerts/rules/{rule_id}/delete", response_model=None)
async def delete_rule(
    request: Request,
    rule_id: int,
    store: StoreDep,
    settings: SettingsDep,
    csrf_token: FormText = None,
) -> Response:
    """Delete a rule, its firings and its deliveries."""

    def delete(session: UiSession) -> str:
        _alerts(store, session, settings).delete_rule(rule_id)
        return "/ui/alerts"

    return await submit_form(request, store, csrf_token, "/ui/alerts", delete, headings=_HEADINGS)
