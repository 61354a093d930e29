"""Workspaces and their API keys.

A key reads ``fnlp_<key_id>_<secret>``: ``key_id`` (16 hex characters) finds the row, and only the
SHA-256 of ``secret`` (``secrets.token_urlsafe(32)``, 256 bits) is stored, compared in constant
time. The plaintext key is returned once, when it is created.

A key may carry a name ("demo", "ci") and be an admin key (it may list and revoke every
workspace's keys over HTTP). Its last use is stamped when it authenticates, to within
:data:`LAST_USED_RESOLUTION` (a write at most once a minute per key, not on every request).
Listings show the key's id and prefix (``fnlp_<key_id>_``), never its secret.

A workspace also holds the currency of its revenue figures (ISO 4217, default "USD") and the
random key of its customer pseudonyms (:mod:`feedback_nlp.ingest.pseudonym`), which never leaves
the store but through :meth:`WorkspaceStore.customer_key`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from feedback_nlp.currency import check_currency
from feedback_nlp.domain import Workspace
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.schema import api_keys, workspaces

__all__ = [
    "KEY_PREFIX",
    "LAST_USED_RESOLUTION",
    "ApiKeyRecord",
    "WorkspaceStore",
    "key_prefix",
    "parse_api_key",
    "parse_key_id",
]

KEY_PREFIX = "fnlp_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
_KEY_ID = re.compile(r"^(?:fnlp_)?([0-9a-f]{16})_?$")
_log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEY = re.compile(r"^fnlp_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")
_DUMMY_HASH = hashlib.sha256(b"not a key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> tuple[str, str] | None:
    """Split a key into ``(key_id, secret)``; ``None`` when it is not shaped like one."""
    match = _KEY.fullmatch(key.strip()) if isinstance(key, str) else None
    return (match.group(1), match.group(2)) if match else None


def parse_key_id(text: str) -> str | None:
    """The key id in ``text``: a bare id or a key's prefix (``fnlp_<key_id>_``); else ``None``."""
    match = _KEY_ID.fullmatch(text.strip()) if isinstance(text, str) else None
    return match.group(1) if match else None


def key_prefix(key_id: str) -> str:
    """The visible start of every key with this id: ``fnlp_<key_id>_``."""
    return f"{KEY_PREFIX}{key_id}_"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """What may be shown of an API key: never its secret, nor the hash of it."""

    key_id: str
    workspace: str
    name: str | None
    admin: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def prefix(self) -> str:
        """The key's first characters, ``fnlp_<key_id>_``: enough to recognise it."""
        return key_prefix(self.key_id)


def _workspace(row: Any) -> Workspace:
    return Workspace(id=row.id, name=row.name, created_at=row.created_at, currency=row.currency)


_WORKSPACE = select(
    workspaces.c.id, workspaces.c.name, workspaces.c.created_at, workspaces.c.currency
)


def _key_record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row.key_id,
        workspace=row.workspace_name,
        name=row.key_name,
        admin=bool(row.admin),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


_KEY_LISTING = select(
    api_keys.c.key_id,
    api_keys.c.name.label("key_name"),
    api_keys.c.admin,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
    workspaces.c.name.label("workspace_name"),
).join(workspaces, workspaces.c.id == api_keys.c.workspace_id)


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
        insert = self._insert(workspaces).values(
            name=name, created_at=utcnow(), customer_key=secrets.token_hex(32)
        )
        connection.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        row = connection.execute(_WORKSPACE.where(workspaces.c.name == name)).one()
        return _workspace(row)

    def get_workspace_by_name(self, name: str) -> Workspace | None:
        """Return the workspace called ``name``, or ``None``."""
        with self._read() as connection:
            row = connection.execute(_WORKSPACE.where(workspaces.c.name == name)).one_or_none()
        return None if row is None else _workspace(row)

    def get_workspace(self, workspace_id: int) -> Workspace:
        """Return the workspace with this id.

        Raises:
            NotFoundError: If there is none.
        """
        with self._read() as connection:
            row = connection.execute(
                _WORKSPACE.where(workspaces.c.id == workspace_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        return _workspace(row)

    def workspace_currency(self, workspace_id: int) -> str:
        """The ISO 4217 code of the workspace's revenue figures ("USD" unless set).

        Raises:
            NotFoundError: If there is no such workspace.
        """
        return self.get_workspace(workspace_id).currency

    def set_workspace_currency(self, workspace_id: int, currency: str) -> Workspace:
        """Set the currency of the workspace's revenue figures (stored figures are not converted).

        Args:
            workspace_id: The workspace.
            currency: An active ISO 4217 code, any case (``"eur"``).

        Raises:
            CurrencyError: If the code is not an active ISO 4217 code.
            NotFoundError: If there is no such workspace.
        """
        code = check_currency(currency)
        with self._write() as connection:
            done = connection.execute(
                update(workspaces).where(workspaces.c.id == workspace_id).values(currency=code)
            )
        if not done.rowcount:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        return self.get_workspace(workspace_id)

    def customer_key(self, workspace_id: int) -> bytes:
        """The secret key of the workspace's customer pseudonyms (made on first use if missing).

        Raises:
            NotFoundError: If there is no such workspace.
        """
        query = select(workspaces.c.customer_key).where(workspaces.c.id == workspace_id)
        with self._read() as connection:
            found = connection.execute(query).one_or_none()
        if found is None:
            raise NotFoundError(f"No workspace has the id {workspace_id}.")
        if found[0] is None:  # made before keys existed; first writer wins
            with self._write() as connection:
                connection.execute(
                    update(workspaces)
                    .where(workspaces.c.id == workspace_id, workspaces.c.customer_key.is_(None))
                    .values(customer_key=secrets.token_hex(32))
                )
                found = connection.execute(query).one()
        return bytes.fromhex(found[0])

    def create_api_key(
        self, workspace_name: str, *, name: str | None = None, admin: bool = False
    ) -> str:
        """Create an API key for a workspace (created when missing); returns the plaintext key.

        The key is shown only here: the store keeps the SHA-256 of its secret.

        Args:
            workspace_name: The key's workspace.
            name: A label shown by :meth:`list_api_keys` (same rule as workspace names).
            admin: Whether the key may also list and revoke every workspace's keys.

        Raises:
            InvalidInputError: If the workspace name or the key name is not acceptable.
        """
        if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
            raise InvalidInputError(
                f"The key name must be 1-64 letters, digits, '_', '.' or '-', starting with a "
                f"letter or digit. Got {name!r}. Choose another name."
            )
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
                    name=name,
                    admin=admin,
                )
            )
        return f"{KEY_PREFIX}{key_id}_{secret}"

    def list_api_keys(
        self, workspace_name: str | None = None, *, include_revoked: bool = False
    ) -> list[ApiKeyRecord]:
        """The keys of one workspace (or of all), oldest first; revoked ones only when asked.

        Raises:
            NotFoundError: If ``workspace_name`` names no workspace.
        """
        query = _KEY_LISTING
        if workspace_name is not None:
            if self.get_workspace_by_name(workspace_name) is None:
                raise NotFoundError(
                    f"No workspace is called {workspace_name!r}. "
                    "List every key by leaving the workspace out."
                )
            query = query.where(workspaces.c.name == workspace_name)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        query = query.order_by(api_keys.c.created_at, api_keys.c.key_id)
        with self._read() as connection:
            return [_key_record(row) for row in connection.execute(query)]

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this id (revoked or not), or ``None``."""
        with self._read() as connection:
            row = connection.execute(_KEY_LISTING.where(api_keys.c.key_id == key_id)).one_or_none()
        return None if row is None else _key_record(row)

    def is_admin_key(self, key: str) -> bool:
        """Whether ``key`` authenticates and is an admin key."""
        parsed = parse_api_key(key)
        if parsed is None or self.authenticate(key) is None:
            return False
        with self._read() as connection:
            admin = connection.execute(
                select(api_keys.c.admin).where(api_keys.c.key_id == parsed[0])
            ).scalar_one_or_none()
        return bool(admin)

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
                select(
                    api_keys.c.secret_sha256,
                    api_keys.c.last_used_at,
                    *_WORKSPACE.selected_columns,
                )
                .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            ).one_or_none()
        stored = _DUMMY_HASH if row is None else row.secret_sha256
        if not hmac.compare_digest(stored, _hash(secret)) or row is None:
            return None
        self._stamp_last_use(key_id, row.last_used_at)
        return _workspace(row)

    def _stamp_last_use(self, key_id: str, last_used_at: datetime | None) -> None:
        now = utcnow()
        if last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION:
            return
        try:
            with self._write() as connection:
                connection.execute(
                    update(api_keys).where(api_keys.c.key_id == key_id).values(last_used_at=now)
                )
        except OperationalError as error:  # a busy SQLite file: the next use stamps it
            _log.warning("could not record the last use of key %s: %s", key_id, error)

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key by its id (or its ``fnlp_<key_id>_`` prefix).

        Returns:
            Whether an active key was revoked (``False``: unknown, or revoked before).
        """
        key_id = parse_key_id(key_id) or key_id
        with self._write() as connection:
            done = connection.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return bool(done.rowcount)
