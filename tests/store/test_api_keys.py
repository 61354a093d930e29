"""API keys: names, admin keys, last use, listing without secrets, revoking by id or prefix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store import Store
from feedback_nlp.store.schema import api_keys
from feedback_nlp.store.workspaces import (
    LAST_USED_RESOLUTION,
    key_prefix,
    parse_api_key,
    parse_key_id,
)


def _key_id(key: str) -> str:
    parsed = parse_api_key(key)
    assert parsed is not None
    return parsed[0]


def test_api_key_listing_shows_names_and_prefixes_never_secrets(store: Store) -> None:
    first = store.create_api_key("acme", name="ci")
    second = store.create_api_key("acme", admin=True)
    store.create_api_key("other")
    listed = store.list_api_keys("acme")
    assert [(k.key_id, k.name, k.admin, k.workspace) for k in listed] == [
        (_key_id(first), "ci", False, "acme"),
        (_key_id(second), None, True, "acme"),
    ]
    assert listed[0].prefix == f"fnlp_{_key_id(first)}_"
    assert first.startswith(listed[0].prefix)
    for record in listed:
        shown = repr(record)
        assert first.split("_")[-1] not in shown
        assert second.split("_")[-1] not in shown
    assert len(store.list_api_keys()) == 3


def test_api_key_last_use_is_stamped_at_most_once_a_minute(store: Store) -> None:
    key = store.create_api_key("acme")
    (record,) = store.list_api_keys("acme")
    assert record.last_used_at is None
    assert store.authenticate(key) is not None
    (used,) = store.list_api_keys("acme")
    assert used.last_used_at is not None
    assert used.last_used_at >= used.created_at
    assert store.authenticate(key) is not None
    (again,) = store.list_api_keys("acme")
    assert again.last_used_at == used.last_used_at  # within the resolution: no write
    earlier = used.last_used_at - LAST_USED_RESOLUTION - timedelta(seconds=1)
    with store.engine.begin() as connection:
        connection.execute(update(api_keys).values(last_used_at=earlier))
    assert store.authenticate(key) is not None
    (later,) = store.list_api_keys("acme")
    assert later.last_used_at is not None
    assert later.last_used_at > earlier + LAST_USED_RESOLUTION


def test_api_key_a_failed_authentication_stamps_nothing(store: Store) -> None:
    key = store.create_api_key("acme")
    assert store.authenticate(key[:-2] + "xx") is None
    (record,) = store.list_api_keys("acme")
    assert record.last_used_at is None


@pytest.mark.parametrize("form", ["id", "prefix", "prefix-no-underscore"])
def test_api_key_revoke_by_id_or_prefix(store: Store, form: str) -> None:
    key = store.create_api_key("acme")
    key_id = _key_id(key)
    given = {"id": key_id, "prefix": key_prefix(key_id), "prefix-no-underscore": f"fnlp_{key_id}"}
    assert store.revoke_api_key(given[form]) is True
    assert store.authenticate(key) is None
    assert store.revoke_api_key(key_id) is False  # already revoked
    assert store.list_api_keys("acme") == []
    (revoked,) = store.list_api_keys("acme", include_revoked=True)
    assert revoked.revoked_at is not None


def test_api_key_admin_flag_needs_a_valid_unrevoked_key(store: Store) -> None:
    admin = store.create_api_key("ops", admin=True)
    member = store.create_api_key("ops")
    assert store.is_admin_key(admin) is True
    assert store.is_admin_key(member) is False
    assert store.is_admin_key(admin[:-3] + "abc") is False
    store.revoke_api_key(_key_id(admin))
    assert store.is_admin_key(admin) is False


def test_api_key_rejects_bad_names_and_unknown_workspaces(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="key name"):
        store.create_api_key("acme", name="a b")
    with pytest.raises(NotFoundError, match="nowhere"):
        store.list_api_keys("nowhere")


@pytest.mark.parametrize(
    ("text", "key_id"),
    [
        ("0123456789abcdef", "0123456789abcdef"),
        ("fnlp_0123456789abcdef_", "0123456789abcdef"),
        ("fnlp_0123456789abcdef", "0123456789abcdef"),
        ("0123456789ABCDEF", None),
        ("fnlp_0123", None),
    ],
)
def test_parse_key_id(text: str, key_id: str | None) -> None:
    assert parse_key_id(text) == key_id
