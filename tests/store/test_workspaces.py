from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.store import Store
from feedback_nlp.store.schema import api_keys
from feedback_nlp.store.workspaces import parse_api_key


def test_workspace_create_is_get_or_create(store: Store) -> None:
    first = store.create_workspace("acme")
    again = store.create_workspace("acme")
    assert first == again
    assert store.get_workspace_by_name("acme") == first
    assert store.get_workspace_by_name("other") is None


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "ws/1"])
def test_workspace_rejects_bad_names(store: Store, name: str) -> None:
    with pytest.raises(InvalidInputError, match="workspace name"):
        store.create_workspace(name)


def test_api_key_stores_only_the_secret_hash(store: Store) -> None:
    key = store.create_api_key("acme")
    parsed = parse_api_key(key)
    assert parsed is not None
    key_id, secret = parsed
    assert key.startswith("fnlp_")
    assert len(secret) >= 40
    with store.engine.connect() as connection:
        rows = connection.execute(select(api_keys)).all()
    assert len(rows) == 1
    assert rows[0].key_id == key_id
    assert rows[0].secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in rows[0])


def test_api_key_authenticates_its_workspace_only(store: Store) -> None:
    acme_key = store.create_api_key("acme")
    globex_key = store.create_api_key("globex")
    acme = store.authenticate(acme_key)
    globex = store.authenticate(globex_key)
    assert acme is not None
    assert acme.name == "acme"
    assert globex is not None
    assert globex.name == "globex"
    key_id, secret = parse_api_key(acme_key)  # type: ignore[misc]
    tampered = f"fnlp_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    for bad in [tampered, "", "Bearer x", f"fnlp_{'0' * 16}_{secret}", acme_key + "x"]:
        assert store.authenticate(bad) is None


def test_api_key_revoked_no_longer_authenticates(store: Store) -> None:
    key = store.create_api_key("acme")
    key_id, _ = parse_api_key(key)  # type: ignore[misc]
    assert store.revoke_api_key(key_id) is True
    assert store.authenticate(key) is None
    assert store.revoke_api_key(key_id) is False
