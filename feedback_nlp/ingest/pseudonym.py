"""Keyed pseudonyms of customer ids: the store never holds a customer id in clear.

A customer id becomes ``c_`` + the first 16 hex characters (64 bits) of
HMAC-SHA256(key, id), where the key is a random 256-bit secret of the item's workspace, made when
the workspace is (:meth:`~feedback_nlp.store.workspaces.WorkspaceStore.customer_key`). So the same
customer always has the same pseudonym within a workspace (the analytics can count repeat
customers), the pseudonyms of two workspaces cannot be linked, and a pseudonym cannot be turned
back into the id, nor checked against a guessed id, without the workspace's key. The id is
taken exactly as validated (surrounding spaces stripped; case matters). Their shape is the
domain's (:data:`feedback_nlp.domain.PSEUDONYM`): the store checks it without this module.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["pseudonym"]


def pseudonym(key: bytes, customer_id: str) -> str:
    """The pseudonym of ``customer_id`` under a workspace's key."""
    digest = hmac.new(key, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"c_{digest[:16]}"
