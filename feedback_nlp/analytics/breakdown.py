"""Score tables per group: per segment value (or pair of attributes), per theme, per period.

Every table has one row per group and the same columns (see :data:`SCORE_COLUMNS`): counts of
items and of answers, NPS with its category counts, CSAT share, mean CSAT, CES and mean item
sentiment, each with its interval. A theme's group is the set of respondents who mention it, so
theme groups overlap; segment and period groups do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.scores import (
    CES_SCALE,
    CSAT_SATISFIED_MIN,
    CSAT_SCALE,
    DETRACTOR_MAX,
    PROMOTER_MIN,
    nps_interval,
)
from feedback_nlp.analytics.stats import (
    FloatArray,
    check_confidence,
    mean_interval,
    wilson_interval,
)

__all__ = [
    "SCORE_COLUMNS",
    "Grouping",
    "score_table",
    "scores_by_period",
    "scores_by_segment",
    "scores_by_theme",
]

SCORE_COLUMNS = (
    "group",
    "n_items",
    "nps",
    "nps_low",
    "nps_high",
    "nps_n",
    "nps_missing",
    "promoters",
    "passives",
    "detractors",
    "csat",
    "csat_low",
    "csat_high",
    "csat_mean",
    "csat_mean_low",
    "csat_mean_high",
    "csat_n",
    "csat_missing",
    "ces",
    "ces_low",
    "ces_high",
    "ces_n",
    "ces_missing",
    "sentiment",
    "sentiment_low",
    "sentiment_high",
    "sentiment_n",
)


@dataclass(frozen=True)
class Grouping:
    """Items grouped either by exclusive codes or by an (overlapping) membership matrix.

    Attributes:
        labels: One label per group.
        codes: ``codes[i]`` is item ``i``'s group (``-1``: in no group), or ``None``.
        membership: Boolean ``(n_items, n_groups)`` matrix, or ``None``.
        csr: ``membership`` transposed as a sparse ``(n_groups, n_items)`` matrix of ones,
            when known: sums then run over its cells, in item order.
    """

    labels: Sequence[str]
    codes: npt.NDArray[np.int64] | None = None
    membership: npt.NDArray[np.bool_] | None = None
    csr: Any = None

    def sums(self, values: npt.ArrayLike) -> FloatArray:
        """Per-group sums of ``values`` (shape ``(n_items,)``); returns shape ``(n_groups,)``."""
        array = np.asarray(values, dtype=np.float64)
        if self.codes is not None:
            inside = self.codes >= 0
            return np.bincount(
                self.codes[inside], weights=array[inside], minlength=len(self.labels)
            ).astype(np.float64)
        if self.csr is not None:
            return np.asarray(self.csr @ array, dtype=np.float64)
        assert self.membership is not None
        return np.asarray(array @ self.membership, dtype=np.float64)

    def sums_many(self, columns: npt.NDArray[np.float64]) -> FloatArray:
        """Per-group sums of each column of an ``(n_items, k)`` matrix; shape ``(n_groups, k)``."""
        if self.codes is not None:
            inside = np.flatnonzero(self.codes >= 0)
            one_hot = sparse.csr_matrix(
                (np.ones(inside.size), (self.codes[inside], inside)),
                shape=(len(self.labels), self.codes.size),
            )
            return np.asarray(one_hot @ columns, dtype=np.float64)
        if self.csr is not None:
            return np.asarray(self.csr @ columns, dtype=np.float64)
        assert self.membership is not None
        return np.asarray(self.membership.T.astype(np.float64) @ columns, dtype=np.float64)


def score_table(
    frame: FeedbackFrame, grouping: Grouping, *, confidence: float = 0.95
) -> pd.DataFrame:
    """All scores per group.

    Args:
        frame: The feedback.
        grouping: How items are grouped.
        confidence: Two-sided confidence level of every interval.

    Returns:
        One row per group with the columns of :data:`SCORE_COLUMNS`. NPS and CSAT share are in
        percent points; intervals follow :mod:`feedback_nlp.analytics.scores`.
    """
    confidence = check_confidence("score_table", confidence)
    sums = grouping.sums_many(score_columns(frame))
    n_items = sums[:, 0]
    (nps_n, _, _), (csat_n, csat_s, csat_s2), (ces_n, ces_s, ces_s2), (sent_n, sent_s, sent_s2) = (
        sums[:, 1:4].T,
        sums[:, 4:7].T,
        sums[:, 7:10].T,
        sums[:, 10:13].T,
    )
    promoters, detractors, satisfied = sums[:, 13], sums[:, 14], sums[:, 15]
    passives = nps_n - promoters - detractors
    nps_value, nps_low, nps_high = nps_interval(promoters, passives, detractors, confidence)
    csat_low, csat_high = wilson_interval(satisfied, csat_n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        csat_share = np.where(csat_n > 0, 100.0 * satisfied / csat_n, np.nan)
    csat_mean, csat_mean_low, csat_mean_high = mean_interval(
        csat_s, csat_s2, csat_n, confidence, bounds=CSAT_SCALE
    )
    ces_mean, ces_low, ces_high = mean_interval(ces_s, ces_s2, ces_n, confidence, bounds=CES_SCALE)
    sent_mean, sent_low, sent_high = mean_interval(
        sent_s, sent_s2, sent_n, confidence, bounds=(-1.0, 1.0)
    )
    as_int = np.rint
    table = pd.DataFrame(
        {
            "group": list(grouping.labels),
            "n_items": as_int(n_items).astype(np.int64),
            "nps": nps_value,
            "nps_low": nps_low,
            "nps_high": nps_high,
            "nps_n": as_int(nps_n).astype(np.int64),
            "nps_missing": as_int(n_items - nps_n).astype(np.int64),
            "promoters": as_int(promoters).astype(np.int64),
            "passives": as_int(passives).astype(np.int64),
            "detractors": as_int(detractors).astype(np.int64),
            "csat": csat_share,
            "csat_low": 100.0 * csat_low,
            "csat_high": 100.0 * csat_high,
            "csat_mean": csat_mean,
            "csat_mean_low": csat_mean_low,
            "csat_mean_high": csat_mean_high,
            "csat_n": as_int(csat_n).astype(np.int64),
            "csat_missing": as_int(n_items - csat_n).astype(np.int64),
            "ces": ces_mean,
            "ces_low": ces_low,
            "ces_high": ces_high,
            "ces_n": as_int(ces_n).astype(np.int64),
            "ces_missing": as_int(n_items - ces_n).astype(np.int64),
            "sentiment": sent_mean,
            "sentiment_low": sent_low,
            "sentiment_high": sent_high,
            "sentiment_n": as_int(sent_n).astype(np.int64),
        }
    )
    return table


def score_columns(frame: FeedbackFrame) -> npt.NDArray[np.float64]:
    """The ``(n_items, 16)`` per-item terms every score sum is made of (kept with the frame)."""

    def build() -> npt.NDArray[np.float64]:
        nps_v = frame.scores("nps")
        csat_v = frame.scores("csat")
        columns = [np.ones(frame.n_items)]
        for values in (nps_v, csat_v, frame.scores("ces"), frame.scores("sentiment")):
            known = ~np.isnan(values)
            filled = np.where(known, values, 0.0)
            columns += [known.astype(np.float64), filled, filled * filled]
        columns += [
            (nps_v >= PROMOTER_MIN).astype(np.float64),
            (nps_v <= DETRACTOR_MAX).astype(np.float64),
            (csat_v >= CSAT_SATISFIED_MIN).astype(np.float64),
        ]
        matrix = np.column_stack(columns)
        matrix.flags.writeable = False
        return matrix

    return frame.derived("score_columns", build)


def scores_by_segment(
    frame: FeedbackFrame, by: str | Sequence[str], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Scores per value of one segment attribute, or per pair of values of two attributes.

    Items without a value for ``by`` are left out. Group labels of a pair read
    ``"enterprise|mena"``.
    """
    codes, labels = frame.segment_codes(by)
    return score_table(frame, Grouping(labels, codes=codes), confidence=confidence)


def scores_by_theme(frame: FeedbackFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Scores of the respondents who mention each theme (groups overlap); group = theme id."""
    grouping = Grouping(list(frame.theme_ids), membership=frame.mentions, csr=frame.theme_csr())
    return score_table(frame, grouping, confidence=confidence)


def scores_by_period(
    frame: FeedbackFrame, period: str = "week", *, confidence: float = 0.95
) -> pd.DataFrame:
    """Scores per calendar period (``day``, ``week`` or ``month``), empty periods included."""
    codes, labels = frame.period_codes(period)
    return score_table(frame, Grouping(labels, codes=codes), confidence=confidence)
