"""NPS, CSAT and CES with 95% confidence intervals that hold up on small samples.

Definitions (a missing score is counted in ``n_missing``, never as zero):

* **NPS** = %promoters (9-10) - %detractors (0-6), in points from -100 to 100. Interval: the
  adjusted Wald interval of Rocks (2016, *The American Statistician* 70(4)), the best performer in
  his and MeasuringU's comparisons: add 3/4 of a respondent to the promoters, 3/4 to the
  detractors and 3/2 to the passives (``n' = n + 3``), then
  ``NPS' +- z * sqrt((p+' + p-' - (p+' - p-')^2) / n')``. Because the adjusted interval is
  centred on the shrunken ``NPS'``, it is widened where needed to include the observed NPS (this
  only happens for tiny, all-extreme samples, e.g. one promoter) and clipped to [-100, 100].
* **CSAT** = % of answers that are 4 or 5 on the 1-5 scale, with a Wilson score interval; the
  mean CSAT comes with a Student-t interval clipped to [1, 5].
* **CES** = mean effort score on the 1-7 scale, with a Student-t interval clipped to [1, 7].
  With a single answer the t-interval is undefined and the whole scale is returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from feedback_nlp.analytics.stats import (
    FloatArray,
    check_confidence,
    mean_interval,
    wilson_interval,
    z_value,
)
from feedback_nlp.scales import CES, CSAT

__all__ = [
    "Estimate",
    "ces",
    "csat",
    "csat_mean",
    "nps",
    "nps_categories",
    "nps_interval",
]

#: Scores as an array (NaN = no answer) or any iterable of numbers and ``None``.
Scores: TypeAlias = npt.NDArray[Any] | Iterable[float | None]

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
#: Pseudo-respondents of the adjusted Wald NPS interval (promoters, passives, detractors).
NPS_PSEUDO = (0.75, 1.5, 0.75)
CSAT_SATISFIED_MIN = 4
CSAT_SCALE = (float(CSAT.low), float(CSAT.high))
CES_SCALE = (float(CES.low), float(CES.high))


@dataclass(frozen=True, slots=True)
class Estimate:
    """A score with its confidence interval.

    Attributes:
        value: The point estimate (NaN when ``n == 0``).
        low: Lower bound of the interval.
        high: Upper bound of the interval.
        n: Number of answers used.
        n_missing: Items without an answer (excluded, not counted as zero).
        method: How the interval was computed.
        confidence: The interval's confidence level.
    """

    value: float
    low: float
    high: float
    n: int
    n_missing: int
    method: str
    confidence: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (NaN becomes ``None``)."""
        return {
            key: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for key, v in asdict(self).items()
        }


def _as_scores(values: Scores) -> FloatArray:
    if isinstance(values, np.ndarray):
        return values.astype(np.float64).ravel()
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def nps_categories(scores: Scores) -> tuple[int, int, int, int]:
    """Count ``(promoters, passives, detractors, missing)`` among 0-10 scores (NaN/None missing)."""
    array = _as_scores(scores)
    known = ~np.isnan(array)
    promoters = int((array[known] >= PROMOTER_MIN).sum())
    detractors = int((array[known] <= DETRACTOR_MAX).sum())
    return promoters, int(known.sum()) - promoters - detractors, detractors, int((~known).sum())


def nps_interval(
    promoters: npt.ArrayLike,
    passives: npt.ArrayLike,
    detractors: npt.ArrayLike,
    confidence: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """NPS and its adjusted Wald interval from category counts (vectorised over groups).

    Args:
        promoters: Promoter counts per group.
        passives: Passive counts per group.
        detractors: Detractor counts per group.
        confidence: Two-sided confidence level.

    Returns:
        ``(nps, low, high)`` in points (-100..100); NaN for groups without answers.
    """
    pro = np.asarray(promoters, dtype=np.float64)
    pas = np.asarray(passives, dtype=np.float64)
    det = np.asarray(detractors, dtype=np.float64)
    n = pro + pas + det
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (pro - det) / n
    n_adj = n + sum(NPS_PSEUDO)
    p_pro = (pro + NPS_PSEUDO[0]) / n_adj
    p_det = (det + NPS_PSEUDO[2]) / n_adj
    centre = p_pro - p_det
    half = z_value(confidence) * np.sqrt((p_pro + p_det - centre**2) / n_adj)
    low = np.clip(np.minimum(centre - half, value), -1.0, 1.0)
    high = np.clip(np.maximum(centre + half, value), -1.0, 1.0)
    empty = n == 0
    return (
        np.where(empty, np.nan, 100.0 * value),
        np.where(empty, np.nan, 100.0 * low),
        np.where(empty, np.nan, 100.0 * high),
    )


def nps(scores: Scores, *, confidence: float = 0.95) -> Estimate:
    """Net Promoter Score of 0-10 answers (NaN or ``None`` = no answer).

    Example:
        >>> round(nps([10, 9, 8, 6, None]).value, 1)  # 2 promoters, 1 detractor of 4
        25.0
    """
    confidence = check_confidence("nps", confidence)
    pro, pas, det, missing = nps_categories(scores)
    value, low, high = nps_interval(pro, pas, det, confidence)
    return Estimate(
        float(value), float(low), float(high), pro + pas + det, missing, "adjusted-wald", confidence
    )


def csat(scores: Scores, *, confidence: float = 0.95) -> Estimate:
    """CSAT: percentage of 1-5 answers that are 4 or 5, with a Wilson score interval."""
    confidence = check_confidence("csat", confidence)
    array = _as_scores(scores)
    known = array[~np.isnan(array)]
    satisfied = int((known >= CSAT_SATISFIED_MIN).sum())
    low, high = wilson_interval(satisfied, known.size, confidence)
    value = 100.0 * satisfied / known.size if known.size else np.nan
    return Estimate(
        float(value),
        float(100.0 * low),
        float(100.0 * high),
        int(known.size),
        int(array.size - known.size),
        "wilson",
        confidence,
    )


def _mean_estimate(scores: Scores, confidence: float, bounds: tuple[float, float]) -> Estimate:
    array = _as_scores(scores)
    known = array[~np.isnan(array)]
    mean, low, high = mean_interval(
        known.sum(), (known**2).sum(), known.size, confidence, bounds=bounds
    )
    return Estimate(
        float(mean),
        float(low),
        float(high),
        int(known.size),
        int(array.size - known.size),
        "student-t",
        confidence,
    )


def csat_mean(scores: Scores, *, confidence: float = 0.95) -> Estimate:
    """Mean CSAT on the 1-5 scale with a Student-t interval clipped to the scale."""
    return _mean_estimate(scores, check_confidence("csat_mean", confidence), CSAT_SCALE)


def ces(scores: Scores, *, confidence: float = 0.95) -> Estimate:
    """Mean Customer Effort Score on the 1-7 scale with a Student-t interval clipped to it."""
    return _mean_estimate(scores, check_confidence("ces", confidence), CES_SCALE)
