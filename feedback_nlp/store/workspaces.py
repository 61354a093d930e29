"""Workspaces and their API keys.

A key reads ``fnlp_<key_id>_<secret>``: ``key_id`` (16 hex characters) finds the row, and only the
SHA-256 of ``secret`` (``secrets.token_urlsafe(32)``, 256 bits) is stored, compared in constant
time. The plaintext key is returned once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from feedback_nlp.domain import Workspace
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.schema import api_keys, workspaces

__all__ = ["KEY_PREFIX", "WorkspaceStore", "parse_api_key"]

KEY_PREFIX = "fnlp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEY = re.compile(r"^fnlp_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")
_DUMMY_HASH = hashlib.sha256(b"not a key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> tuple[str, str] | None:
    """Split a key into ``(key_id, secret)``; ``None`` when it is not shaped like one."""
    match = _KEY.fullmatch(key.strip()) if isinstance(key, str) else None
    return (match.group(1), match.group(2)) if match else None


def _workspace(row: Any) -> Workspace:
    return Workspace(id=row.id, name=row.name, created_at=row.created_at)


class WorkspaceStore(StoreBase):
    """Workspaces and API keys."""

    def create_workspace(self, name: str) -> Workspace:
        """Return the workspace called ``name``, creating it when missing.

        Args:
            name: 1-64 characters: letters, digits, ``_``, ``.``, ``-``; starts with a letter
                or digit.

        Raises:
            InvalidInputError: If the name is not acceptable.
        """
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInputError(
                f"The workspace name must be 1-64 letters, digits, '_', '.' or '-', starting "
                f"with a letter or digit. Got {name!r}. Choose another name."
            )
        with self._write() as connection:
            return self._ensure_workspace(connection, name)

    def _ensure_workspace(self, connection: Connection, name: str) -> Workspace:
        insert = self._insert(workspaces).values(name=name, created_at=utcnow())
        connection.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        row = connection.execute(select(workspaces).where(workspaces.c.name == name)).one()
        return _workspace(row)

    def get_workspace_by_name(self, name: str) -> Workspace | None:
        """Return the workspace called ``name``, or ``None``."""
        with self._read() as connection:
            row = connection.execute(
                select(workspaces).where(workspaces.c.name == name)
            ).one_or_none()
        return None if row is None else _workspace(row)

    def get_workspace(self, workspace_id: int) -> Workspace:
        """Return the workspace with this id.

        Raises:
            NotFoundError: If there is none.
        """
        with self._read() as connection:
            row = connection.execute(
                select(workspaces).where(workspaces.c.id == workspace_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        return _workspace(row)

    def create_api_key(self, workspace_name: str) -> str:
        """Create an API key for a workspace (created when missing); returns the plaintext key.

        The key is shown only here: the store keeps the SHA-256 of its secret.
        """
        workspace = self.create_workspace(workspace_name)
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._write() as connection:
            connection.execute(
                api_keys.insert().values(
                    key_id=key_id,
                    workspace_id=workspace.id,
                    secret_sha256=_hash(secret),
                    created_at=utcnow(),
                )
            )
        return f"{KEY_PREFIX}{key_id}_{secret}"

    def authenticate(self, key: str) -> Workspace | None:
        """Return the workspace of a valid, unrevoked key, else ``None``.

        The secret's hash is compared in constant time, and a hash is compared even when the
        key id is unknown, so timing tells nothing about which ids exist.
        """
        parsed = parse_api_key(key)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self._read() as connection:
            row = connection.execute(
                select(api_keys.c.secret_sha256, workspaces)
                .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            ).one_or_none()
        stored = _DUMMY_HASH if row is None else row.secret_sha256
        if not hmac.compare_digest(stored, _hash(secret)) or row is None:
            return None
        return _workspace(row)

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key by its id; returns whether an active key was revoked."""
        with self._write() as connection:
            done = connection.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return bool(done.rowcount)
