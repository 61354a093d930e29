"""``feedback-nlp alerts``: alert rules, firings and webhook deliveries from the command line.

Thin commands over :class:`~feedback_nlp.alerts.service.AlertService`, the same operations as
``/v1/alerts``: ``list``, ``add``, ``enable``/``disable``, ``remove``, ``firings``,
``deliveries`` and ``run`` (evaluate now and send the due webhooks, for deployments without a
server's alert worker). Exit code 0 on success, 2 when refused (the reason is printed).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from feedback_nlp.cli._edge import console, edge, ingested_workspace, print_json, refuse
from feedback_nlp.errors import AlertRuleError, FeedbackNLPError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from feedback_nlp.alert_records import Delivery, Firing
    from feedback_nlp.alerts.service import AlertService

__all__ = ["alerts_app", "parse_params"]

alerts_app = typer.Typer(
    help="Alert rules (theme spikes, emerging groups, segment NPS drops) and their webhooks.",
    no_args_is_help=True,
)

WorkspaceOption = Annotated[str, typer.Option(help="The workspace whose alerts these are.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["z=3", "period=week"]`` -> ``{"z": 3, "period": "week"}`` (numbers parsed as JSON).

    Raises:
        AlertRuleError: If a pair has no ``=``.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise AlertRuleError(f"A --param must be NAME=VALUE, such as z=3. Got {pair!r}.")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        params[name.strip()] = value if isinstance(value, int | float) else raw
    return params


@contextmanager
def _service(ctx: typer.Context, workspace: str) -> Iterator[AlertService]:
    """The workspace's alert service over the configured store; errors end the command.

    New webhook URLs are checked against the configured allow-list (``alerts.webhook_allow``).
    """
    from feedback_nlp.alerts.deliver import targets_of
    from feedback_nlp.alerts.service import AlertService

    try:
        cli = edge(ctx)
        with cli.store() as store:
            found = ingested_workspace(store, workspace)
            yield AlertService(
                store,
                found.id,
                actor=f"cli:{getpass.getuser()}",
                targets=targets_of(cli.settings.alerts),
            )
    except FeedbackNLPError as error:
        refuse(error)


@alerts_app.command("list")
def list_rules(ctx: typer.Context, workspace: WorkspaceOption, as_json: JsonFlag = False) -> None:
    """List the workspace's rules."""
    with _service(ctx, workspace) as alerts:
        rules = alerts.rules()
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "kind": r.kind,
                    "params": r.params,
                    "webhook_url": r.webhook_url,
                    "enabled": r.enabled,
                }
                for r in rules
            ]
        )
        return
    table = Table("id", "name", "kind", "params", "webhook", "enabled", title="Alert rules")
    for r in rules:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.params.items()))
        table.add_row(
            str(r.id),
            escape(r.name),
            r.kind,
            escape(params),
            escape(r.webhook_url or ""),
            "yes" if r.enabled else "no",
        )
    console.print(table)


@alerts_app.command("add")
def add_rule(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    name: Annotated[str, typer.Option(help="What to call the rule.")],
    kind: Annotated[str, typer.Option(help="theme_spike, emerging_group or segment_nps_drop.")],
    param: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE, repeatable: z=3, segment=plan:pro.")
    ] = None,
    webhook: Annotated[str | None, typer.Option(help="http(s) URL to POST firings to.")] = None,
    secret: Annotated[
        str | None, typer.Option(help="Signing secret (16-128 characters); default: random.")
    ] = None,
) -> None:
    """Add a rule; with --webhook its signing secret is printed once."""
    with _service(ctx, workspace) as alerts:
        rule = alerts.create_rule(
            name=name,
            kind=kind,
            params=parse_params(param or []),
            webhook_url=webhook,
            secret=secret,
        )
    console.print(f"Rule {rule.id} ({rule.kind}) added: {escape(json.dumps(rule.params))}")
    if rule.secret:
        console.print(f"Webhook signing secret (shown once): {rule.secret}")


def _set_enabled(ctx: typer.Context, workspace: str, rule_id: int, enabled: bool) -> None:
    with _service(ctx, workspace) as alerts:
        rule = alerts.update_rule(rule_id, enabled=enabled)
    console.print(f"Rule {rule.id} is {'enabled' if rule.enabled else 'disabled'}.")


@alerts_app.command("enable")
def enable_rule(ctx: typer.Context, workspace: WorkspaceOption, rule_id: int) -> None:
    """Evaluate the rule again."""
    _set_enabled(ctx, workspace, rule_id, True)


@alerts_app.command("disable")
def disable_rule(ctx: typer.Context, workspace: WorkspaceOption, rule_id: int) -> None:
    """Stop evaluating the rule (its firings stay listed)."""
    _set_enabled(ctx, workspace, rule_id, False)


@alerts_app.command("remove")
def remove_rule(ctx: typer.Context, workspace: WorkspaceOption, rule_id: int) -> None:
    """Delete a rule with its firings and deliveries."""
    with _service(ctx, workspace) as alerts:
        alerts.delete_rule(rule_id)
    console.print(f"Rule {rule_id} removed.")


Record = TypeVar("Record", bound="DataclassInstance")


def _show(
    records: Sequence[Record], as_json: bool, table: Callable[[Sequence[Record]], Table]
) -> None:
    """Print ``records`` as a JSON list of their fields, or as the Rich ``table`` of them."""
    if as_json:
        print_json([asdict(record) for record in records])
    else:
        console.print(table(records))


def _firings_table(firings: Sequence[Firing]) -> Table:
    table = Table("id", "rule", "fired", "subject", "period", "message", title="Firings")
    for f in firings:
        table.add_row(
            str(f.id),
            str(f.rule_id),
            f.fired_at.strftime("%Y-%m-%d %H:%M"),
            escape(f.subject),
            f.period or "",
            escape(f.message),
        )
    return table


def _deliveries_table(deliveries: Sequence[Delivery]) -> Table:
    table = Table(
        "id", "rule", "status", "attempts", "last answer", "delivered", title="Deliveries"
    )
    for d in deliveries:
        answer = f"HTTP {d.last_status_code}" if d.last_status_code else (d.last_error or "")
        delivered = d.delivered_at.strftime("%Y-%m-%d %H:%M:%S") if d.delivered_at else ""
        table.add_row(d.id, str(d.rule_id), d.status, str(d.attempts), escape(answer), delivered)
    return table


LimitOption = Annotated[int, typer.Option(min=1, max=1000)]


@alerts_app.command("firings")
def list_firings(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    limit: LimitOption = 50,
    as_json: JsonFlag = False,
) -> None:
    """The latest firings, newest first."""
    with _service(ctx, workspace) as alerts:
        firings = alerts.firings(limit=limit)
    _show(firings, as_json, _firings_table)


@alerts_app.command("deliveries")
def list_deliveries(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    limit: LimitOption = 50,
    as_json: JsonFlag = False,
) -> None:
    """Webhook deliveries and their attempts, newest first."""
    with _service(ctx, workspace) as alerts:
        deliveries = alerts.deliveries(limit=limit)
    _show(deliveries, as_json, _deliveries_table)


@alerts_app.command("run")
def run(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option(help="Evaluate this workspace now (default: every due one).")
    ] = None,
) -> None:
    """Evaluate rules (one workspace now, or every due one) and send the due webhooks once."""
    from feedback_nlp.alerts.deliver import Deliverer
    from feedback_nlp.alerts.service import frame_from_store
    from feedback_nlp.alerts.worker import run_alerts_once

    settings = edge(ctx).settings.alerts
    if workspace is not None:
        with _service(ctx, workspace) as alerts:
            fired = len(alerts.evaluate(frame_from_store(alerts.store)))
            tried = Deliverer(alerts.store, settings).deliver_due()
    else:
        try:
            with edge(ctx).store() as store:
                fired, tried = run_alerts_once(store, settings, frame_from_store(store))
        except FeedbackNLPError as error:
            refuse(error)
    console.print(f"{fired} new firing(s); {tried} webhook delivery attempt(s).")
