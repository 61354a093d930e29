"""``feedback-nlp keys``: create, list and revoke API keys."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from feedback_nlp.cli._edge import JsonFlag, console, edge

if TYPE_CHECKING:
    from feedback_nlp.store.workspaces import ApiKeyRecord

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    workspace: Annotated[str, typer.Option(help="Workspace the key belongs to (created if new).")],
    name: Annotated[
        str | None, typer.Option(help="A label shown by 'keys list' (letters, digits, _ . -).")
    ] = None,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Also may list and revoke every workspace's keys over HTTP."),
    ] = False,
) -> None:
    """Create an API key for WORKSPACE and print it once (only its hash is stored)."""
    with edge(ctx).store() as store:
        key = store.create_api_key(workspace, name=name, admin=admin)
    kind = "admin key" if admin else "API key"
    typer.echo(f"{kind} for workspace '{workspace}' (shown once, keep it secret):", err=True)
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option(help="Only this workspace's keys (default: every workspace).")
    ] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="Also list revoked keys.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List API keys by id and prefix, name and last use; never the keys themselves."""
    with edge(ctx).store() as store:
        records = store.list_api_keys(workspace, include_revoked=revoked)
    if as_json:
        print(json.dumps({"keys": [_key_json(r) for r in records]}))  # noqa: T201
        return
    table = Table(
        "key id",
        "prefix",
        "workspace",
        "name",
        "admin",
        "created",
        "last used",
        "revoked",
        title=f"{len(records)} {'key' if len(records) == 1 else 'keys'}"
        + ("" if revoked else " (active; --revoked lists revoked ones too)"),
    )
    for record in records:
        table.add_row(
            record.key_id,
            f"{record.prefix}…",
            escape(record.workspace),
            escape(record.name or "–"),
            "yes" if record.admin else "",
            _when(record.created_at),
            _when(record.last_used_at, never="never"),
            _when(record.revoked_at, never=""),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[
        str, typer.Argument(help="The key's id or prefix, as 'keys list' shows it (fnlp_ID_).")
    ],
) -> None:
    """Revoke a key: requests with it are refused from now on (exit 1: no such active key)."""
    from feedback_nlp.store.workspaces import parse_key_id

    parsed = parse_key_id(key_id)
    if parsed is None:
        console.print(
            f"[red]{escape(repr(key_id))} is not a key id: give the 16 hex characters after "
            "'fnlp_', as 'feedback-nlp keys list' shows them.[/red]"
        )
        raise typer.Exit(code=2)
    with edge(ctx).store() as store:
        done = store.revoke_api_key(parsed)
    if not done:
        console.print(f"[red]No active key has the id {parsed} (unknown, or revoked before).[/red]")
        raise typer.Exit(code=1)
    console.print(f"Revoked key {parsed}.")


def _when(moment: datetime | None, never: str = "–") -> str:
    return never if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _key_json(record: ApiKeyRecord) -> dict[str, object]:
    return {
        "key_id": record.key_id,
        "prefix": record.prefix,
        "workspace": record.workspace,
        "name": record.name,
        "admin": record.admin,
        "created_at": record.created_at.isoformat(),
        "last_used_at": record.last_used_at and record.last_used_at.isoformat(),
        "revoked_at": record.revoked_at and record.revoked_at.isoformat(),
    }
