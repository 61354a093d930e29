"""The one parser of ``key:value`` segment filters, and the places that use it."""

from __future__ import annotations

import pytest

from feedback_nlp.cli.batch import mine_params
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.filters import parse_segment


def test_parse_segment_splits_on_the_first_colon_and_strips_the_key() -> None:
    assert parse_segment("plan:enterprise") == ("plan", "enterprise")
    assert parse_segment(" plan :pro") == ("plan", "pro")
    assert parse_segment("url:https://example.com/a") == ("url", "https://example.com/a")
    assert parse_segment("region:لبنان") == ("region", "لبنان")


@pytest.mark.parametrize("value", ["enterprise", "plan:", ":pro", "  :pro", ""])
def test_parse_segment_refuses_a_missing_key_value_or_colon(value: str) -> None:
    with pytest.raises(InvalidInputError, match=r"'key:value' \(plan:enterprise\)"):
        parse_segment(value)


def test_mine_segments_take_key_value_or_key_equals_value() -> None:
    params = mine_params(
        segments=["plan:pro", "region=eu", "url=https://x"],
        source=None,
        seed=0,
        n_resamples=0,
        min_theme_size=None,
        mode="accurate",
    )
    assert params["segments"] == {"plan": "pro", "region": "eu", "url": "https://x"}
    with pytest.raises(InvalidInputError, match="'key:value'"):
        mine_params(
            segments=["plan"],
            source=None,
            seed=0,
            n_resamples=0,
            min_theme_size=None,
            mode="accurate",
        )
