"""Parameter constraints written as data, and the one checker that reads them.

The model is scikit-learn's ``_parameter_constraints``: a parameter's rule is a value — an
:class:`Interval` (an int or a real number, bounds with open or closed ends) or :class:`Options`
(one of some strings), each saying whether ``None`` is allowed — declared once, next to what owns
the parameter, and read by every layer that accepts it: the library component, the job
parameters, row validation and the API's pydantic ``Field`` bounds (``api/constraint_fields.py``).

Components raise with :func:`check_param`, so that every message reads the same::

    The 'min_theme_size' parameter of ThemeClusterer must be an int in the range [2, 100000].
    Got 0 instead.

Callers that word their own sentence (a job's parameters, a row's fields) take the shared test
:meth:`Interval.accepts` and the phrase :meth:`Interval.span` ("an int in 0..10").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from feedback_nlp.errors import InvalidInputError

__all__ = ["Closed", "Constraint", "Interval", "Options", "check_param", "check_params"]

Closed = Literal["both", "left", "right", "neither"]


@dataclass(frozen=True, slots=True)
class Interval:
    """An int or a real number between two bounds.

    Attributes:
        kind: ``"int"`` (an int, numpy ints too; never a bool) or ``"float"`` (any real number:
            int, float or numpy float; never a bool, never NaN).
        low: The lower bound (``-math.inf``: none).
        high: The upper bound (``math.inf``: none).
        closed: Which ends belong to the interval.
        none_ok: Whether ``None`` is allowed too (it then means "automatic" or "absent").
    """

    kind: Literal["int", "float"]
    low: float = -math.inf
    high: float = math.inf
    closed: Closed = "both"
    none_ok: bool = False

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"An interval needs low <= high. Got [{self.low}, {self.high}].")

    @property
    def low_closed(self) -> bool:
        """Whether ``low`` itself is inside."""
        return self.closed in ("both", "left")

    @property
    def high_closed(self) -> bool:
        """Whether ``high`` itself is inside."""
        return self.closed in ("both", "right")

    def accepts(self, value: object) -> bool:
        """Whether ``value`` satisfies the constraint.

        The bounds are compared with the value itself, so a huge int never overflows a float and
        NaN is outside every interval.
        """
        if value is None:
            return self.none_ok
        if isinstance(value, bool | np.bool_):
            return False
        kinds = (int, np.integer) if self.kind == "int" else (int, float, np.integer, np.floating)
        if not isinstance(value, kinds):
            return False
        above = self.low <= value if self.low_closed else self.low < value
        below = value <= self.high if self.high_closed else value < self.high
        return bool(above and below)

    def convert(self, value: Any) -> Any:
        """``value`` (accepted) as a plain ``int`` or ``float``; ``None`` stays ``None``."""
        if value is None:
            return None
        return int(value) if self.kind == "int" else float(value)

    def _bound(self, bound: float) -> str:
        if math.isinf(bound):
            return "inf" if bound > 0 else "-inf"
        return str(int(bound)) if self.kind == "int" else str(float(bound))

    def describe(self) -> str:
        """The rule in interval notation: ``an int in the range [1, inf]``.

        An unbounded end is spelled ``inf]``, as the components' messages always have been.
        """
        left = "[" if self.low_closed or math.isinf(self.low) else "("
        right = "]" if self.high_closed or math.isinf(self.high) else ")"
        word = "an int" if self.kind == "int" else "a float"
        return f"{word} in the range {left}{self._bound(self.low)}, {self._bound(self.high)}{right}"

    def span(self) -> str:
        """The rule as a closed span of JSON values: ``an int in 0..10``, ``a number in 1..7``.

        Raises:
            ValueError: If an end is open or unbounded (use :meth:`describe`).
        """
        if self.closed != "both" or math.isinf(self.low) or math.isinf(self.high):
            raise ValueError("span() needs a closed, bounded interval; use describe().")
        word = "an int" if self.kind == "int" else "a number"
        low, high = (self._bound(b).removesuffix(".0") for b in (self.low, self.high))
        return f"{word} in {low}..{high}"


@dataclass(frozen=True, slots=True)
class Options:
    """One of a few strings.

    Attributes:
        values: The allowed strings, in the order messages list them.
        none_ok: Whether ``None`` is allowed too.
    """

    values: tuple[str, ...]
    none_ok: bool = False

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is one of :attr:`values` (or ``None`` when that is allowed)."""
        if value is None:
            return self.none_ok
        return isinstance(value, str) and value in self.values

    def convert(self, value: Any) -> Any:
        """``value`` (accepted) as it is."""
        return value

    def describe(self) -> str:
        """The rule in words: ``one of 'accurate', 'fast'``."""
        return "one of " + ", ".join(repr(value) for value in self.values)


Constraint = Interval | Options


def check_param(owner: str, name: str, value: Any, constraint: Constraint) -> Any:
    """Return ``value`` (as a plain int or float) when it satisfies ``constraint``.

    Args:
        owner: Who takes the parameter, as messages name it (``ThemeClusterer``).
        name: The parameter.
        value: What came in.
        constraint: Its declaration.

    Raises:
        InvalidInputError: ``The 'name' parameter of owner must be ... Got value instead.``
    """
    if not constraint.accepts(value):
        raise InvalidInputError(
            f"The '{name}' parameter of {owner} must be {constraint.describe()}. "
            f"Got {value!r} instead."
        )
    return constraint.convert(value)


def check_params(
    owner: str, constraints: Mapping[str, Constraint], values: Mapping[str, Any]
) -> None:
    """Check each declared parameter of ``values``, in the order of ``constraints``.

    Raises:
        InvalidInputError: For the first parameter that breaks its constraint.
    """
    for name, constraint in constraints.items():
        check_param(owner, name, values[name], constraint)
