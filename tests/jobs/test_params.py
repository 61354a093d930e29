from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from feedback_nlp.domain import FeedbackFilter
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.jobs.params import MineParams
from feedback_nlp.themes.cluster import ThemeClusterer


def test_mine_params_defaults() -> None:
    params = MineParams.from_json({})
    assert params == MineParams(
        filters=FeedbackFilter(), seed=0, min_theme_size=None, n_resamples=3
    )


def test_mine_params_round_trip() -> None:
    raw = {
        "source": "review",
        "segments": {"region": "eu", "plan": "pro"},
        "created_from": "2024-01-01T02:00:00+02:00",
        "created_to": "2024-07-01",
        "seed": 7,
        "min_theme_size": 4,
        "n_resamples": 0,
        "mode": "fast",
    }
    params = MineParams.from_json(raw)
    assert params.mode == "fast"
    assert params.filters.segments == (("plan", "pro"), ("region", "eu"))
    assert params.filters.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert params.filters.end == datetime(2024, 7, 1, tzinfo=UTC)
    assert MineParams.from_json(params.to_json()) == params


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"colour": "red"}, "no parameter 'colour'"),
        ({"source": "email"}, "'source'"),
        ({"segments": {"plan": 3}}, "'segments'"),
        ({"created_from": "soon"}, "'created_from'"),
        ({"seed": -1}, "'seed'"),
        ({"seed": True}, "'seed'"),
        ({"min_theme_size": 1}, "'min_theme_size'"),
        ({"n_resamples": 50}, "'n_resamples'"),
        ({"mode": "turbo"}, "'mode' parameter of a mine job must be one of accurate, fast"),
    ],
)
def test_mine_params_reject(raw: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        MineParams.from_json(raw)


@pytest.mark.parametrize("size", [1, 100_001, 2.0])
def test_mine_params_reject_a_min_theme_size_the_clusterer_refuses(size: object) -> None:
    with pytest.raises(InvalidInputError, match=r"'min_theme_size' .* an int in 2\.\.100000\. "):
        MineParams.from_json({"min_theme_size": size})


@pytest.mark.parametrize("size", [2, 100_000])
def test_mine_params_accept_the_clusterers_min_theme_sizes(size: int) -> None:
    assert MineParams.from_json({"min_theme_size": size}).min_theme_size == size
    assert ThemeClusterer(min_theme_size=size).fit(np.ones((3, 4))).min_theme_size_ == size
