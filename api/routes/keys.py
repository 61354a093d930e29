"""``/v1/admin/keys``: list and revoke API keys (admin keys only; never shows a key's secret).

An admin key is made on the server with ``feedback-nlp keys create --workspace NAME --admin``;
it may read every workspace's key list and revoke any other key (its own only with the CLI, so
that an admin never locks itself out by mistake). A member key gets 403. A listing shows each
key by its id and prefix (``fnlp_<key_id>_``), name, workspace and last use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from api.deps import StoreDep, WorkspaceDep
from api.problems import ForbiddenError, problem_responses
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.workspaces import ApiKeyRecord, parse_api_key, parse_key_id

router = APIRouter(
    prefix="/v1/admin/keys", tags=["admin"], responses=problem_responses(401, 403, 422, 429)
)
_bearer = HTTPBearer(auto_error=False)


def require_admin(
    _workspace: WorkspaceDep,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The key id of the request's key, when that key is an admin key.

    Raises:
        UnauthorizedError: Without a valid key (from :func:`api.deps.get_workspace`).
        ForbiddenError: If the key is valid but not an admin key.
    """
    parsed = None if credentials is None else parse_api_key(credentials.credentials)
    if credentials is None or parsed is None or not store.is_admin_key(credentials.credentials):
        raise ForbiddenError(
            "This route needs an admin key. Create one on the server with: "
            "feedback-nlp keys create --workspace NAME --admin"
        )
    return parsed[0]


AdminDep = Annotated[str, Depends(require_admin)]
"""The key id of the admin key making the request."""


class ApiKeyPublic(BaseModel):
    """An API key as an admin sees it: its id and prefix, never its secret."""

    key_id: str
    prefix: str
    workspace: str
    name: str | None
    admin: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyListPublic(BaseModel):
    """The answer of ``GET /v1/admin/keys``."""

    keys: list[ApiKeyPublic]


KEY_ID_PATTERN = r"^(fnlp_)?[0-9a-f]{16}_?$"
_REVOKE_LINK: dict[str, Any] = {
    "RevokeFirstKey": {
        "operationId": "revoke_key",
        "parameters": {"key_id": "$response.body#/keys/0/key_id"},
        "description": "Revoke the first key of the listing.",
    }
}


_LIST_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"links": _REVOKE_LINK}}


@router.get("", responses=_LIST_RESPONSES | problem_responses(404))
def list_keys(
    _admin: AdminDep,
    store: StoreDep,
    workspace: Annotated[str | None, Query(description="Only this workspace's keys.")] = None,
    include_revoked: Annotated[bool, Query(description="Also the revoked keys.")] = False,
) -> ApiKeyListPublic:
    """Every workspace's keys (or one's), oldest first, with their last use (to the minute)."""
    records = store.list_api_keys(workspace, include_revoked=include_revoked)
    return ApiKeyListPublic(keys=[_public(record) for record in records])


@router.delete("/{key_id}", operation_id="revoke_key", responses=problem_responses(404))
def revoke_key(
    key_id: Annotated[
        str, Path(pattern=KEY_ID_PATTERN, description="The key's id or prefix: fnlp_ID_.")
    ],
    admin_key_id: AdminDep,
    store: StoreDep,
) -> ApiKeyPublic:
    """Revoke a key by its id (or prefix): requests with it get 401 from now on.

    Revoking a key that was revoked before answers its record again (idempotent). The admin
    key making the request cannot revoke itself here (422): use ``feedback-nlp keys revoke``.
    """
    parsed = parse_key_id(key_id)
    record = None if parsed is None else store.get_api_key(parsed)
    if parsed is None or record is None:
        raise NotFoundError(f"No key has the id {key_id!r}. List them with GET /v1/admin/keys.")
    if parsed == admin_key_id:
        raise InvalidInputError(
            f"The key {parsed} is the admin key making this request: revoking it here would "
            "lock you out. Revoke it on the server with: feedback-nlp keys revoke KEY_ID"
        )
    store.revoke_api_key(parsed)
    revoked = store.get_api_key(parsed)
    assert revoked is not None
    return _public(revoked)


def _public(record: ApiKeyRecord) -> ApiKeyPublic:
    return ApiKeyPublic(
        key_id=record.key_id,
        prefix=record.prefix,
        workspace=record.workspace,
        name=record.name,
        admin=record.admin,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
        revoked_at=record.revoked_at,
    )
