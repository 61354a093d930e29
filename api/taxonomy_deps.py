"""Dependencies of the taxonomy routes: who edits (the key's name) and the workspace's service.

The embedders behind splits and seeds live on ``app.state.taxonomy_embedders`` (an
:class:`~feedback_nlp.taxonomy.embedders.EmbedderPool`, made on first use with the configured
embedder as default): one load per process and embedder, and none at all for edits that need no
vectors.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep, StoreDep, WorkspaceDep
from feedback_nlp.store.store import Store
from feedback_nlp.store.workspaces import key_prefix, parse_api_key
from feedback_nlp.taxonomy.embedders import EmbedderPool
from feedback_nlp.taxonomy.service import TaxonomyService

__all__ = [
    "ActorDep",
    "EmbeddersDep",
    "TaxonomyDep",
    "actor_of",
    "get_actor",
    "get_embedders",
    "get_taxonomy",
]

_bearer = HTTPBearer(auto_error=False)
_lock = threading.Lock()


def actor_of(store: Store, key: str) -> str:
    """Who edits with ``key`` (authenticated already): its name, else its ``fnlp_<id>_`` prefix.

    The dashboard's session key gives its actor the same way.
    """
    parsed = parse_api_key(key)
    if parsed is None:  # unreachable after authentication; kept for type safety
        return "unknown key"
    record = store.get_api_key(parsed[0])
    return record.name if record is not None and record.name else key_prefix(parsed[0])


def get_actor(
    _workspace: WorkspaceDep,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """Who makes the request (see :func:`actor_of`).

    Depends on :func:`api.deps.get_workspace`, so the key has been authenticated already.
    """
    return actor_of(store, "" if credentials is None else credentials.credentials)


def get_embedders(request: Request, settings: SettingsDep) -> EmbedderPool:
    """The app's embedders for splits and seeds (one pool per process)."""
    state = request.app.state
    with _lock:
        pool: EmbedderPool | None = getattr(state, "taxonomy_embedders", None)
        if pool is None:
            pool = state.taxonomy_embedders = EmbedderPool(settings.models.embedder)
    return pool


ActorDep = Annotated[str, Depends(get_actor)]
EmbeddersDep = Annotated[EmbedderPool, Depends(get_embedders)]


def get_taxonomy(
    workspace: WorkspaceDep, store: StoreDep, actor: ActorDep, embedders: EmbeddersDep
) -> TaxonomyService:
    """The taxonomy service of the request's workspace, recording the key's name."""
    return TaxonomyService(
        store, workspace.id, actor=actor, embedder=embedders.for_workspace(store, workspace.id)
    )


TaxonomyDep = Annotated[TaxonomyService, Depends(get_taxonomy)]
