"""``/ui/alerts``: the dashboard's read-only page of alert rules and their latest firings.

Rules are made and changed with ``/v1/alerts`` or ``feedback-nlp alerts``; this page lists each
rule (kind, parameters, webhook), its latest firings and the state of its webhook deliveries.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep
from api.ui.auth import login_redirect, session_of
from api.ui.pages import page
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.store.store import Store

router = APIRouter(prefix="/ui", include_in_schema=False)

FIRINGS_PER_RULE = 5
DELIVERIES_READ = 200


def alerts_context(store: Store, workspace_id: int) -> dict[str, Any]:
    """Each rule with its latest firings and the delivery state of each firing."""
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
    return {"rules": rules}


@router.get("/alerts", response_model=None)
async def alerts_page(request: Request, store: StoreDep) -> Response | HTMLResponse:
    """The signed-in workspace's alert rules and their latest firings."""
    session = await run_in_threadpool(session_of, request, store)
    if session is None:
        return login_redirect(request)
    context = await run_in_threadpool(alerts_context, store, session.workspace.id)
    return page("ui/alerts.html", session=session, **context)
