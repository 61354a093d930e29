"""CES by theme: the mean effort score of the respondents who mention each theme.

Each theme's estimate is the ``ces`` of :func:`~feedback_nlp.analytics.breakdown.scores_by_theme`
(mean of the 1-7 answers, Student-t interval clipped to the scale, as every CES of the project);
a respondent who mentions two themes counts in both, one without a CES answer counts in
``n_missing`` only. Themes without a CES answer are left out; the hardest first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import BaseModel, Field

from feedback_nlp.analytics.breakdown import scores_by_theme
from feedback_nlp.report.csv_export import Cell
from feedback_nlp.report.estimate_schema import EstimatePublic
from feedback_nlp.report.insight import Insight, InsightInput
from feedback_nlp.report.sections import overall_scores, score_rows

__all__ = ["CES_BY_THEME", "CesByTheme", "ThemeCes", "ces_by_theme"]


class ThemeCes(BaseModel):
    """The mean effort score (1-7) of the respondents who mention one theme."""

    theme_id: str
    label: str
    n_items: int = Field(description="Respondents mentioning the theme.")
    ces: EstimatePublic = Field(description="Mean effort score, 1-7 (higher: more effort).")


class CesByTheme(BaseModel):
    """Mean CES per theme, hardest first, with the overall CES for comparison."""

    overall: EstimatePublic = Field(description="CES of every respondent.")
    themes: list[ThemeCes]


def ces_by_theme(source: InsightInput) -> CesByTheme:
    """The CES of each theme with at least one answer, highest mean first (then by theme id)."""
    table = scores_by_theme(source.frame, confidence=source.confidence)
    rows = [
        ThemeCes(
            theme_id=row["group"],
            label=source.labels.get(row["group"], row["group"]),
            n_items=row["n_items"],
            ces=EstimatePublic.model_validate(row["ces"]),
        )
        for row in score_rows(table, confidence=source.confidence)
        if row["ces"]["n"] > 0
    ]
    rows.sort(key=lambda row: (-(row.ces.value or 0.0), row.theme_id))
    overall = overall_scores(source.frame, confidence=source.confidence)["ces"]
    return CesByTheme(overall=EstimatePublic.model_validate(overall), themes=rows)


def _csv_rows(result: CesByTheme) -> Iterator[Sequence[Cell]]:
    for row in result.themes:
        ces = row.ces
        yield (row.theme_id, row.label, row.n_items, ces.value, ces.ci_low, ces.ci_high, ces.n)


CES_BY_THEME = Insight(
    name="ces-by-theme",
    title="Effort by theme (CES)",
    description=(
        "Mean Customer Effort Score (1-7, higher is more effort) of the respondents who mention "
        "each theme, with a Student-t interval clipped to the scale (as every CES), hardest "
        "first. A respondent mentioning two themes counts in both; themes without a CES answer "
        "are left out. `overall` is the CES of everyone, for comparison."
    ),
    result_type=CesByTheme,
    compute=ces_by_theme,
    template="insight_ces_by_theme.html",
    csv_columns=("theme_id", "label", "n_items", "ces", "ces_low", "ces_high", "ces_n"),
    csv_rows=_csv_rows,
)
