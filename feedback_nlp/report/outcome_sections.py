"""JSON-ready outcome sections (issue 19): durations, churn and revenue at risk per theme.

What ``GET /v1/insights/outcomes``, the report bundle and the dashboard show; the methods are
in :mod:`~feedback_nlp.analytics.durations`, :mod:`~feedback_nlp.analytics.churn` and
:mod:`~feedback_nlp.analytics.revenue`. Each part is ``None`` when the data has no values for
its field, and ``available`` is false when no part has any.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from feedback_nlp.analytics.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from feedback_nlp.analytics.churn import churn_by_segment, churn_lift
from feedback_nlp.analytics.customers import customers_of
from feedback_nlp.analytics.durations import duration_effect, durations_by
from feedback_nlp.analytics.frame import FeedbackFrame, table_records
from feedback_nlp.analytics.outcomes import outcome_availability
from feedback_nlp.analytics.ranking import ranked_issues
from feedback_nlp.analytics.revenue import revenue_at_risk, total_revenue_at_risk
from feedback_nlp.analytics.stats import wilson_interval
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.report.sections import labelled_records, parse_by

__all__ = ["DEFAULT_CURRENCY", "outcome_overview", "ranked_issue_rows"]

Labels = Mapping[str, str]
Record = dict[str, Any]

#: Currency of revenue figures when the workspace names none.
DEFAULT_CURRENCY = "USD"


def _largest_first(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """``table`` sorted by ``column`` descending (undefined last), then by theme id."""
    ordered = table.sort_values(
        [column, "theme_id"], ascending=[False, True], na_position="last", kind="stable"
    )
    return ordered.reset_index(drop=True)


def _segment_key(frame: FeedbackFrame, by: str | None) -> str | tuple[str, ...] | None:
    if by is None:
        return None
    parsed = parse_by(frame, by)
    if not isinstance(parsed, tuple):
        raise InvalidInputError(
            "The 'by' parameter of the outcome insights must be one or two segment attributes "
            f"separated by a comma. Got {by!r}. Segment attributes of this workspace: "
            f"{list(frame.segments)}."
        )
    return parsed[0] if len(parsed) == 1 else parsed


def _durations(
    frame: FeedbackFrame,
    column: str,
    labels: Labels,
    segment: str | tuple[str, ...] | None,
    granularity: str,
    options: Record,
) -> Record:
    return {
        "by_theme": labelled_records(
            durations_by(frame, "theme", column=column, **options).rename(
                columns={"group": "theme_id"}
            ),
            labels,
        ),
        "effect": labelled_records(
            _largest_first(duration_effect(frame, column=column, **options), "effect"), labels
        ),
        "by_period": table_records(durations_by(frame, granularity, column=column, **options)),
        "by_segment": None
        if segment is None
        else table_records(durations_by(frame, segment, column=column, **options)),
    }


def _churn(
    frame: FeedbackFrame,
    labels: Labels,
    segment: str | tuple[str, ...] | None,
    granularity: str,
    confidence: float,
) -> Record:
    churned = customers_of(frame).churned
    n = int((~np.isnan(churned)).sum())
    k = int(np.nansum(churned))
    low, high = wilson_interval(k, n, confidence)
    return {
        "overall": {
            "n_customers": n,
            "churned": k,
            "churn_rate": k / n if n else None,
            "churn_low": float(low) if n else None,
            "churn_high": float(high) if n else None,
        },
        "by_theme": labelled_records(
            _largest_first(churn_lift(frame, confidence=confidence), "lift"), labels
        ),
        "by_period": table_records(churn_by_segment(frame, granularity, confidence=confidence)),
        "by_segment": None
        if segment is None
        else table_records(churn_by_segment(frame, segment, confidence=confidence)),
    }


def outcome_overview(
    frame: FeedbackFrame,
    labels: Labels,
    *,
    by: str | None = None,
    granularity: str = "week",
    currency: str = DEFAULT_CURRENCY,
    confidence: float = 0.95,
    fdr: float = 0.05,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Record:
    """Every outcome insight of ``frame`` (module docstring).

    Args:
        frame: The feedback (already filtered).
        labels: Theme display labels.
        by: One or two segment attributes (``plan`` or ``plan,region``) for the per-segment
            rows; ``None``: none.
        granularity: ``day``, ``week`` or ``month`` of the per-period rows.
        currency: ISO-4217 code of the revenue figures (the workspace's).
        confidence: Confidence level of every interval.
        fdr: False discovery rate at which ``significant`` is set (BH q-values).
        n_resamples: Bootstrap resamples of the duration intervals.
        seed: Bootstrap seed.

    Returns:
        ``{"available", "fields" ({kind: bool}), "currency", "confidence", "fdr",
        "bootstrap" ({"method", "n_resamples", "seed"}), "n_items", "resolution",
        "first_response" ({"by_theme", "effect", "by_period", "by_segment"} or None),
        "churn" ({"overall", "by_theme", "by_period", "by_segment"} or None), "revenue"
        ({"total_at_risk", "customers_at_risk", "customers_without_revenue", "by_theme"} or
        None)}``; theme rows carry ``label`` and, where tested, ``significant``; effects,
        lifts and revenue are listed largest first.
    """
    fields = outcome_availability(frame)
    segment = _segment_key(frame, by)
    options: Record = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed}
    answer: Record = {
        "available": any(fields.values()),
        "fields": fields,
        "currency": currency,
        "confidence": confidence,
        "fdr": fdr,
        "bootstrap": {"method": "percentile", "n_resamples": n_resamples, "seed": seed},
        "n_items": frame.n_items,
        "resolution": None,
        "first_response": None,
        "churn": None,
        "revenue": None,
    }
    for kind, column in (
        ("resolution", "resolution_minutes"),
        ("first_response", "first_response_minutes"),
    ):
        if fields[kind]:
            answer[kind] = _durations(frame, column, labels, segment, granularity, options)
            _flag(answer[kind]["effect"], fdr)
    if fields["churn"]:
        answer["churn"] = _churn(frame, labels, segment, granularity, confidence)
        _flag(answer["churn"]["by_theme"], fdr)
    if fields["revenue"]:
        total, at_risk, unknown = total_revenue_at_risk(frame)
        table = revenue_at_risk(frame).sort_values(
            ["revenue_at_risk", "theme_id"], ascending=[False, True], kind="stable"
        )
        answer["revenue"] = {
            "total_at_risk": total,
            "customers_at_risk": at_risk,
            "customers_without_revenue": unknown,
            "by_theme": labelled_records(table.reset_index(drop=True), labels),
        }
    return answer


def _flag(rows: list[Record], fdr: float) -> None:
    for row in rows:
        q = row.get("q_value")
        row["significant"] = q is not None and q <= fdr


def ranked_issue_rows(
    frame: FeedbackFrame,
    labels: Labels,
    rank_by: str = "nps_impact",
    *,
    limit: int = 10,
    n_quotes: int = 3,
    min_detractors: int = 3,
    confidence: float = 0.95,
    exclude: Collection[str] = (),
) -> list[Record]:
    """:func:`~feedback_nlp.analytics.ranking.ranked_issues` as labelled JSON-ready rows.

    ``nps_impact`` gives the rows of :func:`~feedback_nlp.analytics.impact.top_detractor_issues`
    (impact in NPS points with ``impact_low``/``impact_high``, shares 0-1, ``quotes`` as
    ``{"item_id", "text"}``); each row carries the theme's ``label``.
    """
    table = ranked_issues(
        frame,
        rank_by,
        limit=limit,
        n_quotes=n_quotes,
        min_detractors=min_detractors,
        confidence=confidence,
        exclude=exclude,
    )
    return labelled_records(table, labels)
