"""``public_model`` makes an API view from a record: fields, types, docs, renames, nesting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

import pytest
from pydantic import ValidationError

from api.public import attribute_docs, public_model


@dataclass(frozen=True, slots=True, kw_only=True)
class _Extra:
    """Fields a base adds.

    Attributes:
        note: A note that runs
            over two lines, with ``None`` for none.
    """

    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Try:
    """One try.

    Attributes:
        n: Its number.
    """

    n: int


@dataclass(frozen=True, slots=True)
class _Thing(_Extra):
    """A thing.

    Attributes:
        key: Its key.
        owner: Who holds it.
        tags: Its tags.
        tries: Its tries.

    Raises:
        Nothing: this section is not an attribute.
    """

    key: str
    owner: int
    at: datetime
    tags: tuple[str, ...] = ()
    tries: tuple[_Try, ...] = field(default_factory=tuple)


class _Row(TypedDict):
    label: str
    counts: list[int]


def test_attribute_docs_joins_continuations_and_reads_the_bases() -> None:
    docs = attribute_docs(_Thing)
    assert docs["note"] == "A note that runs over two lines, with null for none."
    assert docs["key"] == "Its key."
    assert "Nothing" not in docs


def test_public_model_renames_excludes_and_nests() -> None:
    try_view = public_model(_Try, name="TryPublic", doc="One try.", module=__name__)
    view = public_model(
        _Thing,
        name="ThingPublic",
        doc="A thing, shown.",
        module=__name__,
        rename={"key": "id"},
        exclude=("owner",),
        nested={_Try: try_view},
        descriptions={"key": "The thing's id."},
    )
    assert list(view.model_fields) == ["id", "at", "tags", "tries", "note"]
    assert view.model_fields["id"].description == "The thing's id."
    assert view.__doc__ == "A thing, shown."
    at = datetime(2026, 1, 2, tzinfo=UTC)
    thing = _Thing(key="k1", owner=7, at=at, tags=("a",), tries=(_Try(1), _Try(2)), note="x")
    body = view.of(thing).model_dump(mode="json")
    assert body == {
        "id": "k1",
        "at": "2026-01-02T00:00:00Z",
        "tags": ["a"],
        "tries": [{"n": 1}, {"n": 2}],
        "note": "x",
    }


def test_public_model_requires_all_but_the_none_defaults() -> None:
    view = public_model(_Thing, name="ThingPublic2", doc="A thing.", module=__name__)
    with pytest.raises(ValidationError):
        view.model_validate({"key": "k1"})
    with pytest.raises(ValidationError):  # a default other than None is not the view's
        view.model_validate({"key": "k1", "owner": 1, "at": "2026-01-02T00:00:00Z"})
    made = view.model_validate(
        {"key": "k1", "owner": 1, "at": "2026-01-02T00:00:00Z", "tags": [], "tries": []}
    )
    assert made.model_dump()["note"] is None  # a None default is kept


def test_public_model_of_a_typed_dict_with_a_default() -> None:
    view = public_model(
        _Row, name="RowPublic", doc="A row.", module=__name__, defaults={"counts": []}
    )
    assert view.model_validate({"label": "a"}).model_dump() == {"label": "a", "counts": []}
    with pytest.raises(ValidationError):
        view.model_validate({"counts": [1]})
