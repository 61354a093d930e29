"""A mine job's time window: ``from``/``to`` or ``period``, and the aliases of older jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.jobs.params import MineParams


def test_mine_params_window_is_written_as_from_and_to() -> None:
    params = MineParams.from_json({"from": "2026-01-01", "to": "2026-02-01T00:00:00Z"})
    written = params.to_json()
    assert (written["from"], written["to"]) == (
        "2026-01-01T00:00:00+00:00",
        "2026-02-01T00:00:00+00:00",
    )
    assert "created_from" not in written
    assert "created_to" not in written
    assert MineParams.from_json(written) == params


def test_mine_params_of_an_older_job_still_load() -> None:
    # as stored before the aliases: every key written, the unused ones null
    stored: dict[str, object] = {
        "source": None,
        "segments": {},
        "created_from": "2026-01-01T00:00:00+00:00",
        "created_to": None,
        "seed": 0,
        "min_theme_size": None,
        "n_resamples": 3,
        "mode": "accurate",
    }
    params = MineParams.from_json(stored)
    assert params.filters.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert params.filters.end is None
    assert params == MineParams.from_json({"from": "2026-01-01T00:00:00+00:00"})


def test_mine_params_period_is_stored_as_its_window() -> None:
    params = MineParams.from_json({"period": "2026-W38"})
    assert (params.filters.start, params.filters.end) == (
        datetime(2026, 9, 14, tzinfo=UTC),
        datetime(2026, 9, 21, tzinfo=UTC),
    )
    assert params.to_json()["from"] == "2026-09-14T00:00:00+00:00"


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"period": "2026-09", "from": "2026-09-02"}, "either 'period' or 'from'/'to'"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "must be before 'to'"),
        ({"period": "Sept"}, "'period' filter must be"),
    ],
)
def test_mine_params_window_rejects(raw: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        MineParams.from_json(raw)
