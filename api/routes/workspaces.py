"""``/v1/workspace`` (the key's own workspace) and ``/v1/admin/workspaces`` (admin keys only).

A workspace carries the currency of its revenue figures: an ISO 4217 code, "USD" unless an admin
sets another with ``PATCH /v1/admin/workspaces/{name}``. Changing it converts nothing: items
stored before keep their numbers, and new items naming another currency are rejected (E117).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import StoreDep, WorkspaceDep
from api.problems import problem_responses
from api.routes.keys import AdminDep
from feedback_nlp.domain import Workspace
from feedback_nlp.errors import NotFoundError

router = APIRouter(tags=["workspaces"], responses=problem_responses(401, 422, 429))


class WorkspacePublic(BaseModel):
    """A workspace: its name, when it was made, and the currency of its revenue figures."""

    name: str
    created_at: datetime
    currency: str = Field(description="ISO 4217 code of the items' revenue (default USD).")


class WorkspaceUpdate(BaseModel):
    """The body of ``PATCH /v1/admin/workspaces/{name}``."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(description="An active ISO 4217 code, e.g. 'EUR' (any case).")


_UPDATE_LINK: dict[str, Any] = {
    "SetCurrency": {
        "operationId": "update_workspace",
        "parameters": {"name": "$response.body#/name"},
        "description": "Set this workspace's currency (admin keys only).",
    }
}


@router.get("/v1/workspace", responses={200: {"links": _UPDATE_LINK}})
def get_own_workspace(workspace: WorkspaceDep) -> WorkspacePublic:
    """The workspace of the request's key."""
    return _public(workspace)


@router.patch(
    "/v1/admin/workspaces/{name}",
    operation_id="update_workspace",
    tags=["admin"],
    responses=problem_responses(403, 404, 413),
)
def update_workspace(
    name: Annotated[str, Path(description="The workspace's name.", max_length=64)],
    body: WorkspaceUpdate,
    _admin: AdminDep,
    store: StoreDep,
) -> WorkspacePublic:
    """Set a workspace's currency (admin keys only); stored revenue is not converted."""
    found = store.get_workspace_by_name(name)
    if found is None:
        raise NotFoundError(f"No workspace is called {name!r}. Check the name.")
    return _public(store.set_workspace_currency(found.id, body.currency))


def _public(workspace: Workspace) -> WorkspacePublic:
    return WorkspacePublic(
        name=workspace.name, created_at=workspace.created_at, currency=workspace.currency
    )
