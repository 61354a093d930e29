"""FeedbackFrame: validation, indexing, segments, periods and subsets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback_nlp.analytics.frame import FeedbackFrame, table_records
from feedback_nlp.errors import InvalidInputError, NotFoundError

ITEMS = [
    {
        "item_id": "a",
        "created_at": "2026-09-20T10:00:00Z",
        "nps": 10,
        "csat": 5,
        "plan": "free",
        "segments": {"region": "mena"},
    },
    {
        "item_id": "b",
        "created_at": "2026-09-21T00:00:00Z",
        "nps": 3,
        "plan": "pro",
        "segments": {"region": "mena"},
        "sentiment": -0.5,
    },
    {
        "item_id": "c",
        "created_at": "2026-10-02T23:59:00+02:00",
        "nps": None,
        "plan": "free",
        "segments": {"region": "europe"},
    },
    {"item_id": "d", "created_at": None, "nps": 7, "plan": None, "segments": {"region": "europe"}},
]
UNITS = [
    {"item_id": "a", "theme_id": "T2", "sentiment": 0.8, "text": "great"},
    {"item_id": "b", "theme_id": "T1", "sentiment": -0.9, "label": "negative", "text": "crash"},
    {"item_id": "b", "theme_id": "T1", "sentiment": -0.7, "text": "crash again"},
    {"item_id": "c", "theme_id": None, "sentiment": -0.2, "candidate": "E1"},
    {"item_id": "c", "theme_id": "T2", "sentiment": 0.4},
]


@pytest.fixture
def frame() -> FeedbackFrame:
    return FeedbackFrame.from_records(ITEMS, UNITS)


def test_frame_indexes_mentions_and_unassigned_units(frame: FeedbackFrame) -> None:
    assert frame.theme_ids == ("T1", "T2")
    assert frame.segments == ("plan", "region")
    np.testing.assert_array_equal(
        frame.mentions, [[False, True], [True, False], [False, True], [False, False]]
    )
    assert list(frame.units["theme"]) == [1, 0, 0, -1, 1]
    assert frame.units["candidate"].tolist() == [None, None, None, "E1", None]


def test_frame_keeps_missing_scores_as_nan(frame: FeedbackFrame) -> None:
    np.testing.assert_array_equal(np.isnan(frame.scores("nps")), [False, False, True, False])
    assert np.isnan(frame.scores("ces")).all()


def test_frame_falls_back_to_mean_unit_sentiment(frame: FeedbackFrame) -> None:
    # a: 0.8 from its unit; b: its own -0.5; c: mean(-0.2, 0.4) = 0.1; d: no units -> NaN.
    np.testing.assert_allclose(frame.scores("sentiment"), [0.8, -0.5, 0.1, np.nan])


def test_frame_keeps_declared_themes_nobody_mentions() -> None:
    frame = FeedbackFrame.from_records(ITEMS, UNITS, theme_ids=["T2", "T1", "T9"])
    assert frame.theme_ids == ("T2", "T1", "T9")
    assert not frame.mentions[:, 2].any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nps": 11}, "'nps' field of item 0 must be an int in 0..10"),
        ({"nps": 7.5}, "'nps' field of item 0 must be an int"),
        ({"csat": 0}, "'csat' field of item 0 must be an int in 1..5"),
        ({"ces": "hard"}, "'ces' field of item 0 must be a number"),
        ({"created_at": "yesterday"}, "'created_at' field of item 0"),
        ({"item_id": "b"}, "Item ids must be unique"),
        ({"sentiment": 2}, "'sentiment' field of item 0"),
    ],
)
def test_frame_rejects_bad_items(change: dict[str, object], message: str) -> None:
    items = [ITEMS[0] | change, *ITEMS[1:]]
    with pytest.raises(InvalidInputError, match=message):
        FeedbackFrame.from_records(items, UNITS)


def test_frame_keeps_a_ces_between_the_scale_points() -> None:
    # CES is a float scale (averaged answers), as ingest accepts it; NPS and CSAT are whole.
    items = [ITEMS[0] | {"ces": 3.5}, *ITEMS[1:]]
    assert FeedbackFrame.from_records(items, UNITS).scores("ces")[0] == 3.5
    with pytest.raises(
        InvalidInputError, match=r"'ces' field of item 0 must be a number in 1\.\.7"
    ):
        FeedbackFrame.from_records([ITEMS[0] | {"ces": 7.5}, *ITEMS[1:]], UNITS)


def test_frame_rejects_units_of_unknown_items() -> None:
    with pytest.raises(InvalidInputError, match="'zz', which is not in the item table"):
        FeedbackFrame.from_records(ITEMS, [{"item_id": "zz", "theme_id": "T1"}])


def test_frame_rejects_unknown_sentiment_labels() -> None:
    with pytest.raises(InvalidInputError, match="labels must be among"):
        FeedbackFrame.from_records(ITEMS, [{"item_id": "a", "theme_id": "T1", "label": "meh"}])


def test_frame_rejects_themes_outside_declared_ids() -> None:
    with pytest.raises(InvalidInputError, match=r"not in 'theme_ids': \['T2'\]"):
        FeedbackFrame.from_records(ITEMS, UNITS, theme_ids=["T1"])


def test_frame_segment_codes_of_one_attribute_and_a_pair(frame: FeedbackFrame) -> None:
    codes, labels = frame.segment_codes("plan")
    assert labels == ["free", "pro"]
    assert codes.tolist() == [0, 1, 0, -1]
    codes, labels = frame.segment_codes(("plan", "region"))
    assert labels == ["free|europe", "free|mena", "pro|mena"]
    assert codes.tolist() == [1, 2, 0, -1]


def test_frame_segment_codes_reject_unknown_attributes(frame: FeedbackFrame) -> None:
    with pytest.raises(InvalidInputError, match="'tier' is not a segment attribute"):
        frame.segment_codes("tier")
    with pytest.raises(InvalidInputError, match="one segment attribute or two"):
        frame.segment_codes(("plan", "plan"))


def test_frame_period_codes_are_contiguous_utc_periods(frame: FeedbackFrame) -> None:
    # 2026-09-20 is a Sunday (week of Monday 09-14); 09-21 a Monday; c is 10-02 21:59 UTC.
    codes, labels = frame.period_codes("week")
    assert labels == ["2026-09-14", "2026-09-21", "2026-09-28"]
    assert codes.tolist() == [0, 1, 2, -1]
    codes, labels = frame.period_codes("month")
    assert (labels, codes.tolist()) == (["2026-09", "2026-10"], [0, 0, 1, -1])
    codes, labels = frame.period_codes("day")
    assert len(labels) == 13
    assert (labels[0], labels[-1]) == ("2026-09-20", "2026-10-02")
    assert codes.tolist() == [0, 1, 12, -1]


def test_frame_where_filters_segments_and_time_and_remaps_units(frame: FeedbackFrame) -> None:
    mena = frame.where({"region": "mena"}, start="2026-09-21")
    assert mena.items["item_id"].tolist() == ["b"]
    assert mena.units["item"].tolist() == [0, 0]
    np.testing.assert_array_equal(mena.mentions, [[True, False]])
    assert mena.theme_ids == frame.theme_ids


def test_frame_theme_position_raises_not_found(frame: FeedbackFrame) -> None:
    assert frame.theme_position("T2") == 1
    with pytest.raises(NotFoundError, match="Theme 'T7'"):
        frame.theme_position("T7")


def test_frame_from_frames_builds_the_same_frame_as_from_records(frame: FeedbackFrame) -> None:
    items = pd.DataFrame(
        [{k: v for k, v in item.items() if k != "segments"} | item["segments"] for item in ITEMS]
    )
    other = FeedbackFrame.from_frames(items, pd.DataFrame(UNITS))
    pd.testing.assert_frame_equal(other.items, frame.items)
    np.testing.assert_array_equal(other.mentions, frame.mentions)


def test_table_records_turns_nan_into_none() -> None:
    table = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"], "c": [[1], []]})
    assert table_records(table) == [
        {"a": 1.0, "b": "x", "c": [1]},
        {"a": None, "b": "y", "c": []},
    ]
