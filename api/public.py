"""The base of the ``XPublic`` bodies that show a library record (a frozen dataclass) as JSON.

A public view is mostly the record's fields under the same names: :meth:`RecordPublic.of` reads
every field of the view off the record by name, so a view lists its fields once (with their
descriptions) instead of copying each one by hand. A view whose fields are not all the record's
(a flag computed from it, an effect without its unit lists) overrides ``of`` and passes those as
``computed``. Nested views (a delivery's attempt log) are read the same way.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

__all__ = ["RecordPublic"]


class RecordPublic(BaseModel):
    """A public view read off a record's attributes of the same names."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: Any) -> Self:
        """The public view of ``record``."""
        return cls.read(record)

    @classmethod
    def read(cls, record: Any, **computed: Any) -> Self:
        """The view of ``record``: ``computed`` fields as given, every other one by name."""
        values = {name: getattr(record, name) for name in cls.model_fields if name not in computed}
        return cls.model_validate(values | computed)
