"""``feedback-nlp workspaces``: show a workspace and set the currency of its revenue figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from feedback_nlp.cli._edge import JsonFlag, console, edge, print_json, refuse
from feedback_nlp.errors import FeedbackNLPError, NotFoundError

if TYPE_CHECKING:
    from feedback_nlp.domain import Workspace
    from feedback_nlp.store import Store

__all__ = ["workspaces_app"]

workspaces_app = typer.Typer(help="Show workspaces and set their currency.", no_args_is_help=True)

WorkspaceName = Annotated[str, typer.Argument(help="The workspace's name.")]


@workspaces_app.command("show")
def workspaces_show(ctx: typer.Context, name: WorkspaceName, as_json: JsonFlag = False) -> None:
    """Print a workspace's name, creation time and currency (exit 2: no such workspace)."""
    with edge(ctx).store() as store:
        workspace = _named(store, name)
    _print(workspace, as_json)


@workspaces_app.command("currency")
def workspaces_currency(
    ctx: typer.Context,
    name: WorkspaceName,
    currency: Annotated[str, typer.Argument(help="An active ISO 4217 code, e.g. EUR (any case).")],
    as_json: JsonFlag = False,
) -> None:
    """Set the currency of WORKSPACE's revenue figures; stored revenue is not converted.

    The same operation as the admin route PATCH /v1/admin/workspaces/{name}: an unknown code is
    refused with the same error (E117), and items that name another currency are rejected from
    then on.
    """
    with edge(ctx).store() as store:
        workspace = _named(store, name)
        try:
            updated = store.set_workspace_currency(workspace.id, currency)
        except FeedbackNLPError as error:
            refuse(error)
    _print(updated, as_json)


def _named(store: Store, name: str) -> Workspace:
    workspace = store.get_workspace_by_name(name)
    if workspace is None:
        refuse(NotFoundError(f"No workspace is called {name!r}. Check the name."))
    return workspace


def _print(workspace: Workspace, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "name": workspace.name,
                "created_at": workspace.created_at.isoformat(),
                "currency": workspace.currency,
            }
        )
        return
    console.print(
        f"workspace {escape(workspace.name)}: currency {workspace.currency}, "
        f"created {workspace.created_at:%Y-%m-%d %H:%M} UTC"
    )
