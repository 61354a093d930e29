"""The report bundle as Rich tables: the body of ``feedback-nlp report``.

:func:`run_report` opens the database of ``settings.database.url``, builds the
:class:`~feedback_nlp.report.bundle.ReportBundle` once and hands it to the renderers:
:func:`render_tables` (always) and, with ``as_json``, one JSON line printed last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from feedback_nlp.report.bundle import ReportBundle, build_report_bundle
from feedback_nlp.report.csv_export import Cell
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.insight import Insight
from feedback_nlp.report.insights import INSIGHTS
from feedback_nlp.report.section_types import ScoreRow
from feedback_nlp.report.sections import describe_spike_rule
from feedback_nlp.report.workspace import open_named_workspace
from feedback_nlp.settings import Settings

__all__ = ["format_estimate", "insight_table", "render_tables", "run_report"]


def _fmt(value: object, digits: int = 1) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _q(value: float | None) -> str:
    """A q-value with two significant digits (``"-"`` when undefined)."""
    return "-" if value is None else f"{value:.2g}"


def _numbers_table(title: str, columns: Sequence[str]) -> Table:
    """A table whose first column (the row's name) is left-aligned and the others right."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column == columns[0] else "right")
    return table


def format_estimate(est: Mapping[str, Any], digits: int = 1) -> str:
    """``"12.5 [3.1, 20.0]"`` (``"-"`` when undefined)."""
    if est["value"] is None:
        return "-"
    low, high = _fmt(est["ci_low"], digits), _fmt(est["ci_high"], digits)
    return f"{_fmt(est['value'], digits)} [{low}, {high}]"


def _scores_table(title: str, rows: Sequence[ScoreRow], first: str) -> Table:
    table = _numbers_table(
        title, (first, "items", "NPS [95% CI]", "n", "CSAT % [CI]", "CES [CI]", "sentiment")
    )
    for row in rows:
        table.add_row(
            row["label"] or row["group"],
            str(row["n_items"]),
            format_estimate(row["nps"]),
            str(row["nps"]["n"]),
            format_estimate(row["csat"]),
            format_estimate(row["ces"], 2),
            _fmt(row["sentiment"]["value"], 2),
        )
    return table


#: The rows of the overall table: their name and the estimate of the bundle's ``overall``.
_OVERALL_ROWS: tuple[tuple[str, Literal["nps", "csat", "csat_mean", "ces", "sentiment"]], ...] = (
    ("NPS", "nps"),
    ("CSAT % (4-5)", "csat"),
    ("CSAT mean", "csat_mean"),
    ("CES mean", "ces"),
    ("sentiment", "sentiment"),
)


def render_tables(bundle: ReportBundle, console: Console) -> None:
    """Print the bundle: overall scores, issues, outcomes, segments, trends, declared insights."""
    counts = bundle.counts
    filters = bundle.filters
    scope = ", ".join(f"{k}={v}" for k, v in filters["segment"].items())
    window = filters["period"] or (
        f"{filters['from'] or '…'} to {filters['to'] or '…'}"
        if filters["from"] or filters["to"]
        else "all time"
    )
    console.print(
        f"[bold]Workspace {bundle.workspace}[/bold]: {counts['items']:,} of "
        f"{counts['items_total']:,} items ({scope or 'all segments'}; {window}), "
        f"{counts['units']:,} units ({counts['units_unassigned']:,} unassigned), "
        f"{counts['themes']} themes"
    )
    overall = bundle.overall
    table = Table(title="Overall scores (95% confidence intervals)")
    for column in ("score", "value", "CI low", "CI high", "n", "missing", "method"):
        table.add_column(column, justify="left" if column in ("score", "method") else "right")
    for name, key in _OVERALL_ROWS:
        est = overall[key]
        table.add_row(
            name,
            _fmt(est["value"], 2),
            _fmt(est["ci_low"], 2),
            _fmt(est["ci_high"], 2),
            str(est["n"]),
            str(est["n_missing"]),
            est["method"],
        )
    console.print(table)

    extra = _RANKED_BY.get(bundle.rank_by)
    title = "Top detractor issues (impact = NPS points the theme costs)"
    if extra:
        title = f"Top issues by {extra[0]} (impact = NPS points the theme costs)"
    issues = Table(title=title)
    columns: tuple[str, ...] = ("#", "theme", "impact [CI]", "mentioning", "of detractors", "quote")
    if extra:
        columns = (*columns[:2], extra[0], *columns[2:])
    for column in columns:
        issues.add_column(column, justify="right" if column in ("#", "mentioning") else "left")
    for issue in bundle.top_detractor_issues:
        quote = issue["quotes"][0]["text"] if issue["quotes"] else ""
        impact = {
            "value": issue["impact"],
            "ci_low": issue["impact_low"],
            "ci_high": issue["impact_high"],
        }
        ranked = [extra[1](issue)] if extra else []
        issues.add_row(
            str(issue["rank"]),
            issue["label"],
            *ranked,
            format_estimate(impact),
            str(issue["n_mentioning"]),
            f"{100 * (issue['share_of_detractors'] or 0):.0f}%",
            f"“{quote}”" if quote else "",
        )
    if not bundle.top_detractor_issues:
        issues.caption = "No theme has a negative impact mentioned by enough detractors."
    console.print(issues)
    _outcome_tables(bundle, console)

    for attribute, overview in bundle.segments.items():
        console.print(_scores_table(f"Scores by {attribute}", overview["scores"], attribute))
        cells = overview["over_index"]
        if cells:
            over = Table(title=f"Themes over/under-indexed by {attribute} (BH q ≤ FDR)")
            for column in (attribute, "theme", "direction", "share in", "share rest", "lift", "q"):
                over.add_column(column)
            for cell in cells:
                over.add_row(
                    cell["segment"],
                    cell["label"],
                    cell["direction"],
                    f"{100 * (cell['share_segment'] or 0):.1f}%",
                    f"{100 * (cell['share_rest'] or 0):.1f}%",
                    _fmt(cell["lift"], 2),
                    _q(cell["q_value"]),
                )
            console.print(over)
        else:
            console.print(
                f"[dim]No theme is significantly over/under-indexed by {attribute}.[/dim]"
            )

    trends = bundle.trends
    spikes = Table(title=f"Spikes ({trends['period']})")
    rule = describe_spike_rule(trends.get("spike_rule"))
    for column in ("period", "theme", "mentions", "share", "baseline", "z", "q"):
        spikes.add_column(column)
    for spike in trends["spikes"]:
        spikes.add_row(
            spike["period"],
            spike["label"] + (" (theme group)" if spike.get("level") == 1 else ""),
            str(spike["mentions"]),
            f"{100 * (spike['share'] or 0):.1f}%",
            f"{100 * (spike['baseline'] or 0):.1f}%",
            _fmt(spike["z"], 1),
            _q(spike.get("q_value")),
        )
    spikes.caption = ("No spike. " if not trends["spikes"] else "") + (
        f"A spike: {rule}." if rule else ""
    )
    console.print(spikes)
    emerging = Table(title=f"Unassigned feedback, last periods vs before ({trends['period']})")
    for column in ("group", "units", "recent items", "recent share", "before", "growth", "q"):
        emerging.add_column(column)
    for row in trends["emerging"]:
        emerging.add_row(
            row["candidate"] + (" [bold](emerging)[/bold]" if row["emerging"] else ""),
            str(row["n_units"]),
            str(row["recent_count"]),
            f"{100 * (row['recent_share'] or 0):.1f}%",
            f"{100 * (row['before_share'] or 0):.1f}%",
            _fmt(row["growth"], 2),
            _q(row["q_value"]),
        )
    console.print(emerging)
    for insight in INSIGHTS:
        console.print(insight_table(insight, bundle.insights[insight.key]))


def _cell(value: Cell) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def insight_table(insight: Insight[Any], result: BaseModel) -> Table:
    """A declared insight's CSV rows as a Rich table (its title, its CSV columns).

    Text columns are left-aligned, number columns right-aligned.
    """
    rows = [tuple(row) for row in insight.csv_rows(result)]
    table = Table(title=insight.title, caption=None if rows else "No rows.")
    for k, column in enumerate(insight.csv_columns):
        text = any(isinstance(row[k], str) for row in rows)
        table.add_column(column, justify="left" if text else "right")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


def _lift(issue: dict[str, Any]) -> str:
    interval = f"{_fmt(issue['churn_lift_low'], 2)}, {_fmt(issue['churn_lift_high'], 2)}"
    return f"{_fmt(issue['churn_lift'], 2)} [{interval}] q {_q(issue['churn_q_value'])}"


def _revenue(issue: dict[str, Any]) -> str:
    share = 100 * (issue["share_of_revenue_at_risk"] or 0)
    return f"{_fmt(issue['revenue_at_risk'], 0)} ({share:.0f}%)"


#: The extra column of an outcome ranking: its heading and its cell.
_RANKED_BY: dict[str, tuple[str, Any]] = {
    "churn_lift": ("churn lift [CI]", _lift),
    "revenue_at_risk": ("revenue at risk", _revenue),
}


def _outcome_tables(bundle: ReportBundle, console: Console, top: int = 5) -> None:
    """What the themes cost (resolution time, churn, revenue), when the data has outcomes."""
    outcomes = bundle.outcomes
    if not outcomes or not outcomes["available"]:
        return
    resolution = outcomes["resolution"]
    if resolution:
        table = _numbers_table(
            "Resolution time: themes that take longer (median minutes, BH q)",
            ("theme", "items", "median", "others", "effect [CI]", "q"),
        )
        for row in resolution["effect"][:top]:
            table.add_row(
                row["label"],
                str(row["n_mentioning"]),
                _fmt(row["median_mentioning"], 0),
                _fmt(row["median_other"], 0),
                f"{_fmt(row['effect'], 0)} [{_fmt(row['effect_low'], 0)}, "
                f"{_fmt(row['effect_high'], 0)}]",
                _q(row["q_value"]),
            )
        console.print(table)
    churn = outcomes["churn"]
    if churn:
        table = _numbers_table(
            "Churn by theme (customers; lift = churn rate vs the others, BH q)",
            ("theme", "customers", "churn %", "others %", "lift [CI]", "q"),
        )
        for row in churn["by_theme"][:top]:
            table.add_row(
                row["label"],
                str(row["n_customers"]),
                f"{100 * (row['churn_rate'] or 0):.1f}",
                f"{100 * (row['churn_rate_other'] or 0):.1f}",
                f"{_fmt(row['lift'], 2)} [{_fmt(row['lift_low'], 2)}, {_fmt(row['lift_high'], 2)}]",
                _q(row["q_value"]),
            )
        console.print(table)
    revenue = outcomes["revenue"]
    if revenue:
        table = _numbers_table(
            f"Revenue at risk ({outcomes['currency']}; detractors or churned customers)",
            ("theme", "customers", "revenue", "share"),
        )
        for row in revenue["by_theme"][:top]:
            table.add_row(
                row["label"],
                str(row["customers_at_risk"]),
                _fmt(row["revenue_at_risk"], 0),
                f"{100 * (row['share_of_revenue_at_risk'] or 0):.0f}%",
            )
        console.print(table)


def run_report(
    settings: Settings,
    workspace: str,
    *,
    segment: Sequence[str] = (),
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    granularity: str = "week",
    as_json: bool = False,
    console: Console | None = None,
    include_inactive: bool = False,
    rank_by: str = "nps_impact",
) -> ReportBundle:
    """Build the bundle of ``workspace`` from ``settings.database.url`` and print it.

    ``rank_by``: order of the top issues (``nps_impact``, ``churn_lift``, ``revenue_at_risk``).

    Raises:
        NotFoundError: If there is no such workspace.
        InvalidInputError: If a filter does not parse or names an unknown segment attribute.
    """
    console = console or Console()
    filters = ReportFilters.parse(segment=segment, period=period, start=start, end=end)
    with open_named_workspace(settings, workspace) as (store, workspace_id):
        bundle = build_report_bundle(
            store,
            workspace_id,
            filters,
            granularity=granularity,
            include_inactive=include_inactive,
            rank_by=rank_by,
        )
    render_tables(bundle, console)
    if as_json:
        print(json.dumps(bundle.to_json(), ensure_ascii=False))  # noqa: T201
    return bundle
