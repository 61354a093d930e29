"""Pydantic ``Field`` bounds generated from the library's constraint declarations.

A range that the library checks (:mod:`feedback_nlp.constraints`) is never typed again in a
schema: ``Annotated[int | None, bounds(MIN_THEME_SIZE)]`` gives the field the declaration's
``ge``/``gt``/``le``/``lt``, so the OpenAPI document and the library cannot disagree
(tests/api/test_constraint_fields.py compares every bounded field with its declaration).
"""

from __future__ import annotations

import math
from collections.abc import Callable
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


def bounds(
    constraint: Interval, *, description: str | None = None, param: Callable[..., Any] = Field
) -> Any:
    """``Field(ge=..., le=...)`` of ``constraint``, for ``Annotated`` metadata.

    ``param`` makes the marker (pydantic's ``Field``, or FastAPI's ``Query`` for a query
    parameter: :func:`query_bounds`), with ``description`` when given (none given: a
    description set by another marker of the same field stays).
    """
    found = field_bounds(constraint)
    described = {} if description is None else {"description": description}
    return param(
        ge=found.get("ge"), gt=found.get("gt"), le=found.get("le"), lt=found.get("lt"), **described
    )


def query_bounds(constraint: Interval, *, description: str) -> Any:
    """``Query(ge=..., le=...)`` of ``constraint``: a query parameter the library checks too."""
    return bounds(constraint, description=description, param=Query)
