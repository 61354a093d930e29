r"""Theme impact on NPS and the "top detractor issues" ranking.

**Impact.** Among the ``n`` respondents with an NPS answer, let ``m`` be the share who mention
theme T, ``NPS_T`` the NPS of those who mention it and ``NPS_notT`` the NPS of the others. The
overall score is the mixture ``NPS = m * NPS_T + (1 - m) * NPS_notT``. If the respondents who
mention T answered like those who do not, the score would be ``NPS_notT``, so

    impact_T = NPS - NPS_notT = m * (NPS_T - NPS_notT) = m / (1 - m) * (NPS_T - NPS)

in NPS points. A negative impact means the theme drags the score down: fixing it (making its
mentioners answer like everyone else) would add ``-impact_T`` points. A theme nobody mentions has
impact 0; a theme everybody mentions has no counterfactual (NaN). Impacts of different themes
are not additive when respondents mention several themes; for a partition of the respondents
``sum_T (1 - m_T) * impact_T = 0``.

**Interval.** Delta method on the six-cell multinomial (mentions T or not x promoter, passive,
detractor) with cell shares ``q`` and gradient ``g`` of the impact:
``Var = (sum q g^2 - (sum q g)^2) / n``. For small samples the variance is evaluated on shares
smoothed with 0.5 pseudo-respondents per cell (Agresti-Caffo style); the interval is centred on
the observed impact and clipped to [-200, 200].
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import numpy.typing as npt
import pandas as pd

from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.scores import DETRACTOR_MAX, PROMOTER_MIN
from feedback_nlp.analytics.stats import FloatArray, check_confidence, z_value
from feedback_nlp.constraints import Interval, check_param

IntArray = npt.NDArray[np.int64]

__all__ = [
    "IMPACT_PSEUDO",
    "ISSUE_PARAMETERS",
    "add_detractor_quotes",
    "impact_from_counts",
    "theme_impact",
    "top_detractor_issues",
]

#: Pseudo-respondents added to each of the six cells when estimating the impact's variance.
IMPACT_PSEUDO = 0.5

#: The parameters of a ranking of issues (:func:`top_detractor_issues`, ``ranked_issues``).
ISSUE_PARAMETERS: dict[str, Interval] = {
    "limit": Interval("int", 1),
    "n_quotes": Interval("int", 0),
    "min_detractors": Interval("int", 1),
}


def impact_from_counts(
    mentioning: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    others: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    confidence: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Impact in NPS points and its delta-method interval (vectorised over themes).

    Args:
        mentioning: ``(promoters, passives, detractors)`` among respondents mentioning T.
        others: The same counts among respondents not mentioning T.
        confidence: Two-sided confidence level.

    Returns:
        ``(impact, low, high)``; 0 with a zero-width interval where nobody mentions T, NaN where
        everybody does (or nobody answered).
    """
    a_pro, a_pas, a_det = (np.asarray(x, dtype=np.float64) for x in mentioning)
    b_pro, b_pas, b_det = (np.asarray(x, dtype=np.float64) for x in others)
    n_a = a_pro + a_pas + a_det
    n_b = b_pro + b_pas + b_det
    n = n_a + n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        nps_a = np.where(n_a > 0, (a_pro - a_det) / n_a, 0.0)
        nps_b = (b_pro - b_det) / n_b
        impact = n_a / n * (nps_a - nps_b)

        cells = np.stack([a_pro, a_pas, a_det, b_pro, b_pas, b_det]) + IMPACT_PSEUDO
        total = cells.sum(axis=0)
        q = cells / total
        m = q[:3].sum(axis=0)
        y = q[3] - q[5]
        slope = y / (1.0 - m) ** 2
        ratio = m / (1.0 - m)
        gradient = np.stack([1.0 - slope, -slope, -1.0 - slope, -ratio, 0.0 * ratio, ratio])
        mean_g = (q * gradient).sum(axis=0)
        var = ((q * gradient**2).sum(axis=0) - mean_g**2) / total
    half = z_value(confidence) * np.sqrt(np.maximum(var, 0.0))
    none_mention = n_a == 0
    undefined = (n_b == 0) | (n == 0)
    impact = np.where(none_mention, 0.0, impact)
    half = np.where(none_mention, 0.0, half)
    low = np.clip(impact - half, -2.0, 2.0)
    high = np.clip(impact + half, -2.0, 2.0)
    return (
        np.where(undefined, np.nan, 100.0 * impact),
        np.where(undefined, np.nan, 100.0 * low),
        np.where(undefined, np.nan, 100.0 * high),
    )


def _category_counts(frame: FeedbackFrame) -> dict[str, FloatArray]:
    scores = frame.scores("nps")
    known = ~np.isnan(scores)
    promoter = (scores >= PROMOTER_MIN).astype(np.float64)
    detractor = (scores <= DETRACTOR_MAX).astype(np.float64)
    passive = known.astype(np.float64) - promoter - detractor
    stacked = np.column_stack([promoter, passive, detractor])
    by_theme = frame.theme_sums(stacked)  # (n_themes, 3), exact counts
    totals = stacked.sum(axis=0)
    return {
        "pro": by_theme[:, 0],
        "pas": by_theme[:, 1],
        "det": by_theme[:, 2],
        "total_pro": np.full(len(frame.theme_ids), totals[0]),
        "total_pas": np.full(len(frame.theme_ids), totals[1]),
        "total_det": np.full(len(frame.theme_ids), totals[2]),
    }


def theme_impact(frame: FeedbackFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """NPS impact of every theme of the frame.

    Args:
        frame: The feedback (restrict it first with :meth:`FeedbackFrame.where` for a segment
            or period).
        confidence: Two-sided confidence level.

    Returns:
        One row per theme: ``theme_id``, ``n_respondents`` (answered NPS), ``n_mentioning``,
        ``share_mentioning`` (0-1), ``nps_mentioning``, ``nps_not_mentioning``, ``impact``,
        ``impact_low``, ``impact_high`` (points), ``detractors_mentioning``,
        ``share_of_detractors`` and ``share_of_promoters`` (0-1: the share of detractors
        (promoters) who mention the theme) and ``share_gap`` (the difference).
    """
    confidence = check_confidence("theme_impact", confidence)
    c = _category_counts(frame)
    others = (c["total_pro"] - c["pro"], c["total_pas"] - c["pas"], c["total_det"] - c["det"])
    impact, low, high = impact_from_counts((c["pro"], c["pas"], c["det"]), others, confidence)
    n_a = c["pro"] + c["pas"] + c["det"]
    n = c["total_pro"] + c["total_pas"] + c["total_det"]
    n_b = n - n_a
    with np.errstate(invalid="ignore", divide="ignore"):
        share_det = c["det"] / c["total_det"]
        share_pro = c["pro"] / c["total_pro"]
        table = pd.DataFrame(
            {
                "theme_id": list(frame.theme_ids),
                "n_respondents": n.astype(np.int64),
                "n_mentioning": n_a.astype(np.int64),
                "share_mentioning": n_a / n,
                "nps_mentioning": np.where(n_a > 0, 100.0 * (c["pro"] - c["det"]) / n_a, np.nan),
                "nps_not_mentioning": np.where(
                    n_b > 0, 100.0 * (others[0] - others[2]) / n_b, np.nan
                ),
                "impact": impact,
                "impact_low": low,
                "impact_high": high,
                "detractors_mentioning": c["det"].astype(np.int64),
                "share_of_detractors": share_det,
                "share_of_promoters": share_pro,
                "share_gap": share_det - np.nan_to_num(share_pro),
            }
        )
    return table


def top_detractor_issues(
    frame: FeedbackFrame,
    *,
    limit: int = 10,
    n_quotes: int = 3,
    min_detractors: int = 3,
    confidence: float = 0.95,
    exclude: Collection[str] = (),
) -> pd.DataFrame:
    """Themes that hurt NPS most, with quotes from detractors.

    Themes with a negative impact mentioned by at least ``min_detractors`` detractors are ranked
    by impact (most negative first; ties by ``share_gap``). ``rank_share_gap`` ranks the same
    themes by how much more often detractors mention them than promoters.

    Args:
        frame: The feedback (restrict it with :meth:`FeedbackFrame.where` for a segment/period).
        limit: Most themes to return.
        n_quotes: Quotes per theme: unit texts from detractors, most negative unit sentiment
            first, then the most recent; repeated texts are skipped.
        min_detractors: Fewest detractors who must mention a theme for it to be listed.
        confidence: Two-sided confidence level of the impact interval.
        exclude: Theme ids left out of the ranking (the general-sentiment pool: no topic to
            fix); the other themes' numbers do not depend on it.

    Returns:
        The columns of :func:`theme_impact` plus ``rank``, ``rank_share_gap`` and ``quotes`` (a
        list of ``{"item_id", "text"}`` dicts).
    """
    owner = "top_detractor_issues"
    limit = check_param(owner, "limit", limit, ISSUE_PARAMETERS["limit"])
    n_quotes = check_param(owner, "n_quotes", n_quotes, ISSUE_PARAMETERS["n_quotes"])
    min_detractors = check_param(
        owner, "min_detractors", min_detractors, ISSUE_PARAMETERS["min_detractors"]
    )
    table = theme_impact(frame, confidence=confidence)
    keep = (table["impact"] < 0) & (table["detractors_mentioning"] >= min_detractors)
    if exclude:
        keep &= ~table["theme_id"].isin(list(exclude))
    table = table.loc[keep].sort_values(
        ["impact", "share_gap", "theme_id"], ascending=[True, False, True], kind="stable"
    )
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["rank_share_gap"] = (
        table["share_gap"].rank(ascending=False, method="first").astype(np.int64)
    )
    table = table.head(limit).reset_index(drop=True)
    add_detractor_quotes(frame, table, n_quotes)
    return table


def _quote_order(frame: FeedbackFrame) -> tuple[IntArray, IntArray]:
    """Detractors' assigned units with text in quote order, and each theme's block (kept).

    Order: theme, then most negative sentiment (NaN last), newest item, item order.

    Returns:
        ``(units, starts)``: unit positions, and ``starts[k]:starts[k + 1]`` is theme ``k``'s.
    """

    def build() -> tuple[IntArray, IntArray]:
        units = frame.units
        item = units["item"].to_numpy()
        theme = units["theme"].to_numpy()
        wanted = np.flatnonzero(
            (theme >= 0)
            & (frame.scores("nps")[item] <= DETRACTOR_MAX)
            & units["text"].notna().to_numpy()
        )
        sentiment = units["sentiment"].to_numpy(dtype=np.float64)[wanted]
        created = frame.created_ns()[item[wanted]]
        unknown = created == np.iinfo(np.int64).min
        recency = np.where(unknown, np.iinfo(np.int64).max, -np.where(unknown, 0, created))
        # lexsort: last key first -> theme, then sentiment (NaN last), newest first, item order
        order = wanted[
            np.lexsort(
                (
                    item[wanted],
                    recency,
                    np.where(np.isnan(sentiment), np.inf, sentiment),
                    theme[wanted],
                )
            )
        ]
        starts = np.searchsorted(theme[order], np.arange(len(frame.theme_ids) + 1))
        return order.astype(np.int64), starts.astype(np.int64)

    return frame.derived("quote_order", build)


def add_detractor_quotes(frame: FeedbackFrame, table: pd.DataFrame, n_quotes: int) -> None:
    """Add a ``quotes`` column to ``table`` (rows of ``theme_id``): up to ``n_quotes`` each.

    The quotes are ``{"item_id", "text"}`` dicts of detractors' units, most negative unit
    sentiment first, then the most recent; repeated texts are skipped.
    """
    quotes = _detractor_quotes(frame, list(table["theme_id"]), n_quotes)
    table["quotes"] = pd.Series(quotes, index=table.index, dtype=object)


def _detractor_quotes(
    frame: FeedbackFrame, theme_ids: list[str], n_quotes: int
) -> list[list[dict[str, str]]]:
    quotes: list[list[dict[str, str]]] = [[] for _ in theme_ids]
    if not theme_ids or n_quotes == 0:
        return quotes
    order, starts = _quote_order(frame)
    item = frame.units["item"].to_numpy()
    texts = frame.units["text"].to_numpy()
    item_ids = frame.items["item_id"].to_numpy()
    for slot, theme_id in enumerate(theme_ids):
        k = frame.theme_position(theme_id)
        chosen = quotes[slot]
        for unit in order[starts[k] : starts[k + 1]]:
            text = str(texts[unit])
            if all(q["text"] != text for q in chosen):
                chosen.append({"item_id": str(item_ids[item[unit]]), "text": text})
                if len(chosen) == n_quotes:
                    break
    return quotes
