from __future__ import annotations

import math

import numpy as np
import pytest

from feedback_nlp.constraints import Interval, Options, check_param, check_params
from feedback_nlp.errors import InvalidInputError


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (1, True),
        (10, True),
        (np.int64(3), True),
        (0, False),
        (11, False),
        (True, False),
        (np.bool_(True), False),
        (2.0, False),
        ("3", False),
        (None, False),
    ],
)
def test_interval_of_ints_accepts_only_ints_inside(value: object, accepted: bool) -> None:
    assert Interval("int", 1, 10).accepts(value) is accepted


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (0.5, True),
        (1, True),
        (np.float32(0.25), True),
        (0.0, False),
        (1.0000001, False),
        (math.nan, False),
        (math.inf, False),
        (10**400, False),
        (False, False),
    ],
)
def test_interval_of_floats_with_an_open_low_end(value: object, accepted: bool) -> None:
    assert Interval("float", 0.0, 1.0, closed="right").accepts(value) is accepted


def test_interval_ends_follow_closed() -> None:
    assert [Interval("int", 0, 2, closed=c).accepts(0) for c in ("both", "left")] == [True, True]
    assert [Interval("int", 0, 2, closed=c).accepts(0) for c in ("right", "neither")] == [
        False,
        False,
    ]
    assert not Interval("int", 0, 2, closed="left").accepts(2)
    assert Interval("int", 0, 2, closed="right").accepts(2)


def test_interval_allows_none_only_when_declared() -> None:
    assert Interval("int", 2, 5, none_ok=True).accepts(None)
    assert not Interval("int", 2, 5).accepts(None)
    assert check_param("f", "size", None, Interval("int", 2, 5, none_ok=True)) is None


def test_interval_refuses_a_low_end_above_the_high_end() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        Interval("int", 3, 2)


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (Interval("int", 1), "an int in the range [1, inf]"),
        (Interval("int", 1, 5), "an int in the range [1, 5]"),
        (Interval("float", 0.0, 2.0, closed="right"), "a float in the range (0.0, 2.0]"),
        (Interval("float", 0.0, math.inf, closed="right"), "a float in the range (0.0, inf]"),
        (Interval("float", 0, 1, closed="left"), "a float in the range [0.0, 1.0)"),
    ],
)
def test_interval_describe_reads_as_the_component_messages(interval: Interval, text: str) -> None:
    assert interval.describe() == text


def test_interval_span_reads_as_json_values() -> None:
    assert Interval("int", 0, 10).span() == "an int in 0..10"
    assert Interval("float", 1, 7).span() == "a number in 1..7"
    assert Interval("float", 0, 2.5).span() == "a number in 0..2.5"
    with pytest.raises(ValueError, match="closed, bounded"):
        Interval("int", 0).span()
    with pytest.raises(ValueError, match="closed, bounded"):
        Interval("float", 0, 1, closed="right").span()


def test_check_param_raises_the_components_message() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_param("ThemeClusterer", "min_theme_size", 1, Interval("int", 2, 100_000))
    assert str(caught.value).endswith(  # after the catalogue's code, if it adds one
        "The 'min_theme_size' parameter of ThemeClusterer must be an int in the range "
        "[2, 100000]. Got 1 instead."
    )


def test_check_param_returns_plain_python_numbers() -> None:
    value = check_param("f", "n", np.int64(4), Interval("int", 1))
    assert (value, type(value)) == (4, int)
    number = check_param("f", "x", 1, Interval("float", 0.0, 2.0))
    assert (number, type(number)) == (1.0, float)


def test_check_params_reports_the_first_broken_parameter_in_declaration_order() -> None:
    rules = {"a": Interval("int", 0), "b": Interval("int", 0), "c": Options(("x", "y"))}
    check_params("f", rules, {"c": "x", "b": 0, "a": 1, "other": -5})
    with pytest.raises(InvalidInputError, match=r"The 'b' parameter of f .* Got -1 instead\.$"):
        check_params("f", rules, {"a": 0, "b": -1, "c": "z"})


def test_options_accept_only_their_strings() -> None:
    modes = Options(("accurate", "fast"))
    assert modes.accepts("fast")
    assert not modes.accepts("turbo")
    assert not modes.accepts(None)
    assert Options(("accurate", "fast"), none_ok=True).accepts(None)
    with pytest.raises(InvalidInputError) as caught:
        check_param("MineParams", "mode", "turbo", modes)
    assert str(caught.value).endswith(
        "The 'mode' parameter of MineParams must be one of 'accurate', 'fast'. Got 'turbo' instead."
    )
