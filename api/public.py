"""The ``XPublic`` bodies that show a library record (a frozen dataclass or typed dict) as JSON.

A public view is the record's fields under the same names, so it is *made* from the record
(:func:`public_model`) rather than copied field by field: the types are the record's (tuples
become lists, nested records their own views) and the descriptions the ``Attributes:`` of the
record's docstring; a field the record defaults to ``None`` may be left out, every other one is
required. A view may rename a field (``external_id`` is ``id`` on the API) or leave one out (a
workspace id the caller already knows). :meth:`RecordPublic.of` reads every field of the view
off the record by name.

A view that computes fields from the record (a flag, an effect without its unit lists) is a
hand-written :class:`RecordPublic` whose ``of`` passes those as ``computed``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = ["RecordPublic", "attribute_docs", "public_model"]


class RecordPublic(BaseModel):
    """A public view read off a record's attributes of the same names."""

    model_config = ConfigDict(from_attributes=True)

    #: Public field -> the record's attribute, where the view renames one.
    record_names: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def of(cls, record: Any) -> Self:
        """The public view of ``record``."""
        return cls.read(record)

    @classmethod
    def read(cls, record: Any, **computed: Any) -> Self:
        """The view of ``record``: ``computed`` fields as given, every other one by name."""
        values = {
            name: getattr(record, cls.record_names.get(name, name))
            for name in cls.model_fields
            if name not in computed
        }
        return cls.model_validate(values | computed)


_ATTRIBUTE = re.compile(r"^(\w+):\s*(.*)$")


def attribute_docs(record_type: type) -> dict[str, str]:
    """The ``Attributes:`` descriptions of a class's docstring and its bases' (Google style).

    A base's description is overridden by the class's own; continuation lines are joined and
    reST roles and double backquotes become plain words (``None`` is ``null``).
    """
    found: dict[str, str] = {}
    for cls in reversed(record_type.__mro__):
        doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
        lines = doc.splitlines()
        if "Attributes:" not in lines:
            continue
        current: str | None = None
        for line in lines[lines.index("Attributes:") + 1 :]:
            if line and not line.startswith(" "):
                break  # the next section
            indent, text = len(line) - len(line.lstrip()), line.strip()
            match = _ATTRIBUTE.match(text) if indent == 4 else None
            if match:
                current = match.group(1)
                found[current] = match.group(2)
            elif current and text:
                found[current] += " " + text
    return {name: _plain(text) for name, text in found.items()}


_JSON_WORDS = {"``None``": "null", "``True``": "true", "``False``": "false"}


def _plain(text: str) -> str:
    """Docstring markup as plain words, Python's constants as JSON's."""
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    for python, json in _JSON_WORDS.items():
        text = text.replace(python, json)
    return text.replace("``", "")


def _json_shape(annotation: Any, nested: Mapping[type, type[BaseModel]]) -> Any:
    """``annotation`` as JSON shows it: tuples as lists, nested records as their views."""
    if isinstance(annotation, type) and annotation in nested:
        return nested[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list[_json_shape(args[0], nested)]  # type: ignore[misc]
    if origin is types.UnionType:
        shaped = [_json_shape(arg, nested) for arg in args]
        union = shaped[0]
        for arg in shaped[1:]:
            union = union | arg
        return union
    return annotation


def _record_fields(record_type: type) -> list[tuple[str, Any]]:
    """``(name, default)`` of each field, in the order the record is written and built.

    A dataclass's keyword-only fields (those of an outcome base class, say) come after its own,
    as in its ``__init__``; a typed dict's fields have no defaults.
    """
    if dataclasses.is_dataclass(record_type):
        ordered = sorted(dataclasses.fields(record_type), key=lambda f: f.kw_only is True)
        return [(f.name, _default(f)) for f in ordered]
    return [(name, ...) for name in typing.get_type_hints(record_type)]


def _default(f: dataclasses.Field[Any]) -> Any:
    """``None`` where the record defaults to it, else required (``...``).

    A view shows every field, so it needs no default to be complete; a nullable field keeps its
    ``None`` default so that a body without it (an older client's, a partial fixture) still
    validates. Any other default is given with ``defaults``.
    """
    return None if f.default is None else ...


def public_model(
    record_type: type,
    *,
    name: str,
    doc: str,
    module: str,
    rename: Mapping[str, str] | None = None,
    exclude: Collection[str] = (),
    nested: Mapping[type, type[BaseModel]] | None = None,
    descriptions: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> type[RecordPublic]:
    """The public view of ``record_type`` (a frozen dataclass or a typed dict).

    Args:
        record_type: The record the view shows.
        name: The view's class name (its schema's name in the OpenAPI document).
        doc: Its docstring (the schema's description).
        module: The module it is declared in (``__name__``).
        rename: Record field -> public field, where the API names it otherwise.
        exclude: Record fields the view leaves out.
        nested: The view of each record type nested in this one.
        descriptions: Public field -> description, over the docstring's ``Attributes:``.
        defaults: Public field -> default, where the view has one and the record has not.

    Returns:
        A :class:`RecordPublic` subclass with the record's fields, in the record's order.
    """
    rename = dict(rename or {})
    hints = typing.get_type_hints(record_type)
    docs = attribute_docs(record_type) | {
        rename.get(key, key): value for key, value in (descriptions or {}).items()
    }
    fields: dict[str, Any] = {}
    for record_name, default in _record_fields(record_type):
        if record_name in exclude:
            continue
        public_name = rename.get(record_name, record_name)
        if defaults and public_name in defaults:
            default = defaults[public_name]
        annotation = _json_shape(hints[record_name], nested or {})
        described = docs.get(public_name) or docs.get(record_name)
        fields[public_name] = (annotation, Field(default, description=described))
    model = create_model(name, __base__=RecordPublic, __module__=module, __doc__=doc, **fields)
    model.record_names = {public: record for record, public in rename.items()}
    return model
