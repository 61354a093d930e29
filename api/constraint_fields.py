"""Pydantic ``Field`` bounds generated from the library's constraint declarations.

A range that the library checks (:mod:`feedback_nlp.constraints`) is never typed again in a
schema: ``Annotated[int | None, bounds(MIN_THEME_SIZE)]`` gives the field the declaration's
``ge``/``gt``/``le``/``lt``, so the OpenAPI document and the library cannot disagree
(tests/api/test_constraint_fields.py compares every bounded field with its declaration).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Query
from pydantic import Field

from feedback_nlp.constraints import Interval

__all__ = ["bounds", "field_bounds", "query_bounds"]


def _number(bound: float) -> int | float:
    """An integral bound as an int (``1``, not ``1.0``, in the JSON schema)."""
    return int(bound) if float(bound).is_integer() else bound


def field_bounds(constraint: Interval) -> dict[str, int | float]:
    """The ``ge``/``gt``/``le``/``lt`` keywords of ``constraint`` (an unbounded end has none)."""
    out: dict[str, int | float] = {}
    if not math.isinf(constraint.low):
        out["ge" if constraint.low_closed else "gt"] = _number(constraint.low)
    if not math.isinf(constraint.high):
        out["le" if constraint.high_closed else "lt"] = _number(constraint.high)
    return out


def bounds(constraint: Interval) -> Any:
    """``Field(ge=..., le=...)`` of ``constraint``, for ``Annotated`` metadata."""
    found = field_bounds(constraint)
    return Field(ge=found.get("ge"), gt=found.get("gt"), le=found.get("le"), lt=found.get("lt"))


def query_bounds(constraint: Interval, *, description: str) -> Any:
    """``Query(ge=..., le=...)`` of ``constraint``: a query parameter the library checks too."""
    found = field_bounds(constraint)
    return Query(
        ge=found.get("ge"),
        gt=found.get("gt"),
        le=found.get("le"),
        lt=found.get("lt"),
        description=description,
    )
