"""JSON-ready report sections over a frame: what the bundle, the API and the CLI all show.

Each function takes a :class:`~feedback_nlp.analytics.frame.FeedbackFrame` (already filtered)
and the display labels of the themes (``{theme_id: label}``), calls the analytics, and returns
plain dicts and lists (``None`` where a value is undefined, e.g. the NPS of nobody), each of a
declared shape (:mod:`~feedback_nlp.report.section_types`). Estimates have one shape everywhere
(:func:`estimate`): ``value``, ``ci_low``, ``ci_high``, ``n``, ``n_missing``, ``method``,
``confidence``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.analytics.breakdown import (
    Grouping,
    score_table,
    scores_by_period,
    scores_by_segment,
    scores_by_theme,
)
from feedback_nlp.analytics.frame import PERIODS, FeedbackFrame, table_records
from feedback_nlp.analytics.segments import segment_sentiment, theme_over_index
from feedback_nlp.analytics.trends import emerging_themes, rank_spikes, theme_trends
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.report.section_types import (
    Estimate,
    ScoreRow,
    SegmentOverview,
    SpikeRule,
    TableRow,
    TrendOverview,
    TrendSeries,
)

__all__ = [
    "BY_THEME",
    "describe_spike_rule",
    "estimate",
    "labelled_records",
    "over_index",
    "overall_scores",
    "parse_by",
    "score_rows",
    "scores_by",
    "segment_overview",
    "trend_overview",
]

Labels = Mapping[str, str]

#: The ``by`` value that groups respondents by the themes they mention.
BY_THEME = "theme"


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def estimate(
    value: object,
    low: object,
    high: object,
    n: object,
    n_missing: object,
    method: str,
    confidence: float,
) -> Estimate:
    """One estimate as a dict (non-finite numbers become ``None``)."""
    return {
        "value": _number(value),
        "ci_low": _number(low),
        "ci_high": _number(high),
        "n": int(n),  # type: ignore[call-overload]
        "n_missing": int(n_missing),  # type: ignore[call-overload]
        "method": method,
        "confidence": confidence,
    }


def score_rows(
    table: pd.DataFrame, labels: Labels | None = None, *, confidence: float = 0.95
) -> list[ScoreRow]:
    """Rows of a :func:`~feedback_nlp.analytics.breakdown.score_table` as nested estimates.

    Returns:
        One dict per group: ``group``, ``label`` (the theme's label when ``labels`` has the
        group, else ``None``), ``n_items``, ``nps`` (points), ``promoters``, ``passives``,
        ``detractors``, ``csat`` (% of 4-5 answers), ``csat_mean``, ``ces`` and ``sentiment``
        (mean item sentiment) -- each an :func:`estimate`.
    """
    rows: list[ScoreRow] = []
    for row in table.to_dict(orient="records"):
        group = str(row["group"])
        n_items = int(row["n_items"])
        rows.append(
            {
                "group": group,
                "label": None if labels is None else labels.get(group),
                "n_items": n_items,
                "nps": estimate(
                    row["nps"],
                    row["nps_low"],
                    row["nps_high"],
                    row["nps_n"],
                    row["nps_missing"],
                    "adjusted-wald",
                    confidence,
                ),
                "promoters": int(row["promoters"]),
                "passives": int(row["passives"]),
                "detractors": int(row["detractors"]),
                "csat": estimate(
                    row["csat"],
                    row["csat_low"],
                    row["csat_high"],
                    row["csat_n"],
                    row["csat_missing"],
                    "wilson",
                    confidence,
                ),
                "csat_mean": estimate(
                    row["csat_mean"],
                    row["csat_mean_low"],
                    row["csat_mean_high"],
                    row["csat_n"],
                    row["csat_missing"],
                    "student-t",
                    confidence,
                ),
                "ces": estimate(
                    row["ces"],
                    row["ces_low"],
                    row["ces_high"],
                    row["ces_n"],
                    row["ces_missing"],
                    "student-t",
                    confidence,
                ),
                "sentiment": estimate(
                    row["sentiment"],
                    row["sentiment_low"],
                    row["sentiment_high"],
                    row["sentiment_n"],
                    n_items - int(row["sentiment_n"]),
                    "student-t",
                    confidence,
                ),
            }
        )
    return rows


def overall_scores(frame: FeedbackFrame, *, confidence: float = 0.95) -> ScoreRow:
    """NPS, CSAT, mean CSAT, CES and sentiment of every item of ``frame`` (group ``"all"``)."""
    grouping = Grouping(["all"], codes=np.zeros(frame.n_items, dtype=np.int64))
    return score_rows(score_table(frame, grouping, confidence=confidence), confidence=confidence)[0]


def parse_by(frame: FeedbackFrame, by: str) -> str | tuple[str, ...]:
    """Check a ``by`` spelling: ``theme``, ``day``/``week``/``month``, or ``attr[,attr]``.

    Returns:
        ``"theme"``, the period name, or the tuple of one or two segment attributes.

    Raises:
        InvalidInputError: If ``by`` is none of those (the message lists what is allowed).
    """
    spec = by.strip()
    if spec == BY_THEME or spec in PERIODS:
        return spec
    attributes = tuple(part.strip() for part in spec.split(","))
    if (
        1 <= len(attributes) <= 2
        and len(set(attributes)) == len(attributes)
        and all(a in frame.segments for a in attributes)
    ):
        return attributes
    raise InvalidInputError(
        "The 'by' parameter must be 'theme', one of 'day', 'week', 'month', or one or two "
        f"different segment attributes separated by a comma (plan or plan,region). Got {by!r}. "
        f"Segment attributes of this workspace: {list(frame.segments)}."
    )


def scores_by(
    frame: FeedbackFrame, by: str, labels: Labels, *, confidence: float = 0.95
) -> list[ScoreRow]:
    """:func:`score_rows` per theme, per period or per segment value (see :func:`parse_by`).

    Theme groups overlap (a respondent mentioning two themes is in both); period groups are
    contiguous and include empty periods; segment groups leave out items without a value.
    """
    parsed = parse_by(frame, by)
    if parsed == BY_THEME:
        table = scores_by_theme(frame, confidence=confidence)
        return score_rows(table, labels, confidence=confidence)
    if isinstance(parsed, str):
        return score_rows(
            scores_by_period(frame, parsed, confidence=confidence), confidence=confidence
        )
    by_segment = parsed[0] if len(parsed) == 1 else parsed
    return score_rows(
        scores_by_segment(frame, by_segment, confidence=confidence), confidence=confidence
    )


def labelled_records(table: pd.DataFrame, labels: Labels) -> list[TableRow]:
    """The rows of ``table`` as JSON-ready records, each with its theme's ``label``.

    A theme without a label is labelled with its id.
    """
    records = table_records(table)
    for record in records:
        theme_id = str(record["theme_id"])
        record["label"] = labels.get(theme_id, theme_id)
    return records


def over_index(
    frame: FeedbackFrame,
    by: str | tuple[str, ...],
    labels: Labels,
    *,
    fdr: float = 0.05,
    significant_only: bool = True,
    confidence: float = 0.95,
) -> list[TableRow]:
    """Themes a segment value mentions more (or less) than the rest, BH-controlled.

    Returns:
        Rows of :func:`~feedback_nlp.analytics.segments.theme_over_index` with ``label``; only
        the significant cells (``direction`` over/under) unless ``significant_only`` is false,
        most significant first.
    """
    by_segment = by if isinstance(by, str) or len(by) != 1 else by[0]
    table = theme_over_index(frame, by_segment, fdr=fdr, confidence=confidence)
    if significant_only:
        table = table.loc[table["direction"] != "none"]
    table = table.sort_values(
        ["q_value", "segment", "theme_id"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    return labelled_records(table, labels)


def segment_overview(
    frame: FeedbackFrame,
    by: str,
    labels: Labels,
    *,
    fdr: float = 0.05,
    confidence: float = 0.95,
) -> SegmentOverview:
    """Everything about one segmentation: scores, sentiment and over-indexed themes.

    Args:
        frame: The feedback.
        by: One segment attribute or two separated by a comma (``plan,region``).
        labels: Theme display labels.
        fdr: False discovery rate of the over-indexing tests.
        confidence: Confidence level of every interval.

    Returns:
        ``{"by": [attributes], "scores": score rows, "sentiment": segment sentiment rows,
        "over_index": significant over/under-indexed (segment value, theme) cells}``.

    Raises:
        InvalidInputError: If ``by`` does not name one or two segment attributes.
    """
    parsed = parse_by(frame, by)
    if not isinstance(parsed, tuple):
        raise InvalidInputError(
            "The 'by' parameter of a segment overview must be one or two segment attributes "
            f"separated by a comma. Got {by!r}. Segment attributes of this workspace: "
            f"{list(frame.segments)}."
        )
    key = parsed[0] if len(parsed) == 1 else parsed
    return {
        "by": list(parsed),
        "scores": score_rows(
            scores_by_segment(frame, key, confidence=confidence), confidence=confidence
        ),
        "sentiment": table_records(segment_sentiment(frame, key, confidence=confidence)),
        "over_index": over_index(frame, parsed, labels, fdr=fdr, confidence=confidence),
    }


def describe_spike_rule(rule: SpikeRule | Mapping[str, Any] | None) -> str:
    """The spike rule of a trend overview in words, for the report, dashboard and CLI.

    ``"q ≤ 0.05 (Benjamini-Hochberg over every theme × period), at least 5 mentions, share ≥ 2×
    the baseline of the 4 periods before and ≥ 2 points above it"``; ``""`` without a rule.
    When parent groups were tested too (``rule["parents"]``), the correction says so.
    """
    if not rule:
        return ""
    cells = "theme and parent group" if rule.get("parents") else "theme"
    return (
        f"q ≤ {rule['fdr']:g} (Benjamini-Hochberg over every {cells} × period), at least "
        f"{rule['min_count']} mentions, share ≥ {rule['min_ratio']:g}× the baseline of the "
        f"{rule['window']} periods before and ≥ {100 * rule['min_lift']:g} points above it"
    )


def trend_overview(
    frame: FeedbackFrame,
    period: str,
    labels: Labels,
    *,
    top: int = 10,
    window: int = 4,
    threshold: float = 2.0,
    min_count: int = 5,
    recent: int = 2,
    fdr: float = 0.05,
    min_ratio: float = 2.0,
    min_lift: float = 0.02,
    parents: Mapping[str, str] | None = None,
) -> TrendOverview:
    """Theme volumes per period, spikes and the growth of the unassigned pool.

    Args:
        frame: The feedback (items without ``created_at`` are left out).
        period: ``day``, ``week`` or ``month``.
        labels: Theme display labels.
        top: How many themes (most mentioned over the whole span) get a series.
        window: Trailing periods of the spike baseline.
        threshold: z above which a period can be a spike.
        min_count: Fewest mentions for a spike, and fewest recent items for an emerging row.
        recent: Last periods that count as recent for emerging themes.
        fdr: False discovery rate of the spike tests (BH over themes x periods) and of the
            emerging test.
        min_ratio: Smallest share over baseline share for a spike.
        min_lift: Smallest share minus baseline share (0-1) for a spike.
        parents: Parent id of each theme; parent groups of two or more themes are tested for
            spikes too (``level`` 1 in ``spikes``), in the same correction as the themes.

    Returns:
        ``{"period", "periods": [labels], "n_items": [items per period], "series": [{"theme_id",
        "label", "mentions": [...], "share": [...], "sentiment": [...]}] for the top themes,
        "spikes": [(period, theme or parent group) rows of theme_trends flagged as spikes,
        lowest q first], "spike_rule": {"window", "threshold", "min_count", "fdr", "min_ratio",
        "min_lift", "parents" (whether parent groups were tested)}, "emerging": rows of
        emerging_themes}``. The spike rule is :mod:`~feedback_nlp.analytics.trends`'s: q <= fdr
        and a large enough rise.

    Raises:
        InvalidInputError: If ``period`` is not day, week or month.
    """
    if period not in PERIODS:
        raise InvalidInputError(
            f"The 'period' parameter must be one of {list(PERIODS)}. Got {period!r}."
        )
    trends = theme_trends(
        frame,
        period,
        window=window,
        threshold=threshold,
        min_count=min_count,
        fdr=fdr,
        min_ratio=min_ratio,
        min_lift=min_lift,
        parents=parents,
    )
    _, periods = frame.period_codes(period)
    n_themes = len(frame.theme_ids)
    theme_rows = trends[trends["level"] == 0]
    mentions = theme_rows["mentions"].to_numpy().reshape(len(periods), n_themes)
    share = theme_rows["share"].to_numpy().reshape(len(periods), n_themes)
    sentiment = theme_rows["sentiment"].to_numpy().reshape(len(periods), n_themes)
    totals = mentions.sum(axis=0)
    order = sorted(range(n_themes), key=lambda k: (-int(totals[k]), frame.theme_ids[k]))
    series: list[TrendSeries] = [
        {
            "theme_id": frame.theme_ids[k],
            "label": labels.get(frame.theme_ids[k], frame.theme_ids[k]),
            "total": int(totals[k]),
            "mentions": [int(x) for x in mentions[:, k]],
            "share": [_number(x) for x in share[:, k]],
            "sentiment": [_number(x) for x in sentiment[:, k]],
        }
        for k in order[:top]
        if totals[k] > 0
    ]
    spikes = rank_spikes(trends.loc[trends["spike"]])
    codes, _ = frame.period_codes(period)
    item_counts = np.bincount(codes[codes >= 0], minlength=len(periods))
    return {
        "period": period,
        "periods": list(periods),
        "n_items": [int(x) for x in item_counts],
        "series": series,
        "spikes": labelled_records(spikes.reset_index(drop=True), labels),
        "spike_rule": {
            "window": window,
            "threshold": threshold,
            "min_count": min_count,
            "fdr": fdr,
            "min_ratio": min_ratio,
            "min_lift": min_lift,
            "parents": bool((trends["level"] == 1).any()),
        },
        "emerging": table_records(
            emerging_themes(frame, period, recent=recent, min_count=min_count, fdr=fdr)
        ),
    }
