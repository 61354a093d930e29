"""Keyed pseudonyms of customer ids: the store never holds a customer id in clear.

A customer id becomes ``c_`` + the first 16 hex characters (64 bits) of
HMAC-SHA256(key, id), where the key is a random 256-bit secret of the item's workspace, made when
the workspace is (:meth:`~feedback_nlp.store.workspaces.WorkspaceStore.customer_key`). So the same
customer always has the same pseudonym within a workspace (the analytics can count repeat
customers), the pseudonyms of two workspaces cannot be linked, and a pseudonym cannot be turned
back into the id, nor checked against a guessed id, without the workspace's key. The id is
taken exactly as validated (surrounding spaces stripped; case matters).
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["PSEUDONYM", "is_pseudonym", "pseudonym"]

PSEUDONYM = re.compile(r"c_[0-9a-f]{16}")
"""The shape of every stored customer id."""


def pseudonym(key: bytes, customer_id: str) -> str:
    """The pseudonym of ``customer_id`` under a workspace's key."""
    digest = hmac.new(key, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"c_{digest[:16]}"


def is_pseudonym(value: object) -> bool:
    """Whether ``value`` has the shape of a pseudonym (``c_`` + 16 lowercase hex characters)."""
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None
