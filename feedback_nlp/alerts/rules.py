"""Alert rules: the three kinds, their parameters written as data, and one validator.

A rule is a kind plus parameters; every parameter has a constraint in :data:`RULE_PARAMS`, and
:func:`check_rule` checks a request against them, fills in the defaults and answers every
mistake the same way (:class:`~feedback_nlp.errors.AlertRuleError`, E150)::

    [E150] The 'z' parameter of a theme_spike rule must be a number in (0, 50]. Got -1.

Kinds:

* ``theme_spike``: a theme's (or a parent group's) share of the latest ``period`` spikes, by the
  project's spike rule (:mod:`~feedback_nlp.analytics.trends`: significant after
  Benjamini-Hochberg *and* large) with ``z`` as its z threshold; ``theme_id`` limits it to one
  theme.
* ``emerging_group``: a new group of at least ``min_items`` items: a theme the latest mining run
  found for the first time, or unassigned feedback that grew significantly in the last
  ``recent`` periods (the report's *emerging* rows).
* ``segment_nps_drop``: the NPS of the items of ``segment`` (``key:value``) in the latest
  ``period`` is at least ``drop`` points below the period before, each period with at least
  ``min_responses`` NPS answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from feedback_nlp.errors import AlertRuleError, WebhookUrlError

__all__ = [
    "PERIODS",
    "RULE_KINDS",
    "RULE_PARAMS",
    "ParamSpec",
    "check_name",
    "check_rule",
    "check_webhook_url",
    "is_clean_text",
    "params_from_text",
]

PERIODS = ("day", "week", "month")
MAX_NAME_CHARS = 100
MAX_URL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """The constraint of one rule parameter.

    Attributes:
        type: ``"int"``, ``"float"``, ``"period"``, ``"segment"`` or ``"str"``.
        default: Used when the parameter is not given (``None``: optional, no default).
        low: Smallest accepted number (exclusive when ``open_low``).
        high: Largest accepted number.
        open_low: Whether ``low`` itself is refused.
        required: Whether the parameter must be given.
    """

    type: str
    default: Any = None
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    required: bool = False

    def describe(self) -> str:
        """What the constraint accepts, in words."""
        if self.type in ("int", "float"):
            noun = "an int" if self.type == "int" else "a number"
            bracket = "(" if self.open_low else "["
            return f"{noun} in {bracket}{_num(self.low)}, {_num(self.high)}]"
        if self.type == "period":
            return f"one of {list(PERIODS)}"
        if self.type == "segment":
            return "a 'key:value' segment such as 'plan:enterprise'"
        return "a non-empty string of at most 200 characters"


def is_clean_text(value: str) -> bool:
    """Whether ``value`` has no control character and no lone surrogate (storable anywhere)."""
    return not any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def _num(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return str(int(value)) if float(value).is_integer() else str(value)


RULE_PARAMS: dict[str, dict[str, ParamSpec]] = {
    "theme_spike": {
        "z": ParamSpec("float", 3.0, 0.0, 50.0, open_low=True),
        "period": ParamSpec("period", "week"),
        "min_count": ParamSpec("int", 5, 1, 1_000_000),
        "window": ParamSpec("int", 4, 2, 52),
        "fdr": ParamSpec("float", 0.05, 0.0, 1.0, open_low=True),
        "theme_id": ParamSpec("str"),
    },
    "emerging_group": {
        "min_items": ParamSpec("int", 10, 1, 1_000_000),
        "period": ParamSpec("period", "week"),
        "recent": ParamSpec("int", 2, 1, 52),
    },
    "segment_nps_drop": {
        "segment": ParamSpec("segment", required=True),
        "drop": ParamSpec("float", 10.0, 0.0, 200.0, open_low=True),
        "period": ParamSpec("period", "week"),
        "min_responses": ParamSpec("int", 20, 1, 1_000_000),
    },
}
"""Every kind's parameters and their constraints."""

RULE_KINDS: tuple[str, ...] = tuple(RULE_PARAMS)


def check_rule(kind: object, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check a rule's kind and parameters; return the parameters with defaults filled in.

    Args:
        kind: One of :data:`RULE_KINDS`.
        params: The parameters given (unknown names are refused, not ignored).

    Returns:
        Every parameter of the kind that has a value.

    Raises:
        AlertRuleError: If the kind is unknown or a parameter is missing, unknown or out of range.
    """
    if not isinstance(kind, str) or kind not in RULE_PARAMS:
        raise AlertRuleError(
            f"The rule kind must be one of {list(RULE_KINDS)}. Got {kind!r}. Pick one of these."
        )
    specs = RULE_PARAMS[kind]
    given = dict(params or {})
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise AlertRuleError(
            f"A {kind} rule has no parameter {unknown[0]!r}. Its parameters are {list(specs)}."
        )
    checked: dict[str, Any] = {}
    for name, spec in specs.items():
        value = given.get(name, spec.default)
        if value is None:
            if spec.required:
                raise AlertRuleError(
                    f"A {kind} rule needs the parameter '{name}': {spec.describe()}."
                )
            continue
        checked[name] = _check_value(kind, name, spec, value)
    return checked


def params_from_text(kind: str, texts: Mapping[str, str]) -> dict[str, Any]:
    """A kind's parameters from typed text (a form): numbers parsed, blanks left to defaults.

    Text that is not a number is passed on as typed, so :func:`check_rule` refuses it with its
    usual message; names the kind does not have are ignored.
    """
    params: dict[str, Any] = {}
    for name, spec in RULE_PARAMS.get(kind, {}).items():
        text = (texts.get(name) or "").strip()
        if not text:
            continue
        if spec.type in ("int", "float"):
            number = text.replace(",", ".")
            try:
                params[name] = int(number) if spec.type == "int" else float(number)
            except ValueError:
                params[name] = text
        else:
            params[name] = text
    return params


def _check_value(kind: str, name: str, spec: ParamSpec, value: Any) -> Any:
    def refuse() -> AlertRuleError:
        return AlertRuleError(
            f"The '{name}' parameter of a {kind} rule must be {spec.describe()}. Got {value!r}."
        )

    if spec.type in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise refuse()
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float is out of every range
            raise refuse() from None
        if spec.type == "int" and not number.is_integer():
            raise refuse()
        too_low = number <= spec.low if spec.open_low else number < spec.low
        if not math.isfinite(number) or too_low or number > spec.high:
            raise refuse()
        return int(number) if spec.type == "int" else number
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise refuse()
    if not is_clean_text(value):
        raise refuse()
    if spec.type == "period" and value not in PERIODS:
        raise refuse()
    if spec.type == "segment":
        key, sep, wanted = value.partition(":")
        if not sep or not key.strip() or not wanted.strip():
            raise refuse()
        return f"{key.strip()}:{wanted.strip()}"
    return value.strip()


def check_name(name: object) -> str:
    """A rule name: 1-100 characters, not blank.

    Raises:
        AlertRuleError: If it is not.
    """
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > MAX_NAME_CHARS
        or not is_clean_text(name)
    ):
        raise AlertRuleError(
            f"The rule name must be 1-{MAX_NAME_CHARS} characters, not blank, without control "
            f"characters. Got {name!r}."
        )
    return name.strip()


def check_webhook_url(url: object) -> str:
    """A webhook URL: ``http`` or ``https``, with a host, at most 2000 characters.

    Raises:
        WebhookUrlError: If it is not (E151).
    """
    fix = "Give an http:// or https:// URL, such as https://hooks.example.com/feedback."
    if not isinstance(url, str) or not url.strip():
        raise WebhookUrlError(f"The webhook URL must be a non-empty string. Got {url!r}. {fix}")
    text = url.strip()
    if len(text) > MAX_URL_CHARS:
        raise WebhookUrlError(
            f"The webhook URL must be at most {MAX_URL_CHARS} characters. Got {len(text)}. {fix}"
        )
    try:
        parts = urlsplit(text)
        port = parts.port  # a port that is not a number raises ValueError here
    except ValueError:
        raise WebhookUrlError(f"The webhook URL does not parse. Got {text!r}. {fix}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise WebhookUrlError(
            f"The webhook URL must use http or https. Got scheme {parts.scheme or '(none)'!r} "
            f"in {text!r}. {fix}"
        )
    if not parts.hostname or port == 0:
        raise WebhookUrlError(f"The webhook URL must name a host. Got {text!r}. {fix}")
    if parts.username or parts.password:  # not echoed: it holds a credential
        raise WebhookUrlError(
            "The webhook URL must have no user name or password. Remove them: receivers check "
            "the signature header instead."
        )
    if any(ch.isspace() for ch in text) or not is_clean_text(text):
        raise WebhookUrlError(
            f"The webhook URL must have no spaces or control characters. Got {text!r}. {fix}"
        )
    return text
