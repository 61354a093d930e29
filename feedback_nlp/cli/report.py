"""``feedback-nlp report``: the CX report of a workspace as tables, JSON, HTML or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feedback_nlp.analytics.ranking import RankBy
from feedback_nlp.cli._edge import JsonFlag, console, edge

__all__ = ["report"]


def report(
    ctx: typer.Context,
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    segment: Annotated[
        list[str] | None, typer.Option(help="Filter 'key:value' (repeatable): plan:enterprise.")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Window: 2026, 2026-09, 2026-W38 or 2026-09-21 (UTC).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this ISO instant.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Before this ISO instant.")] = None,
    granularity: Annotated[str, typer.Option(help="Trend period: day, week or month.")] = "week",
    as_json: JsonFlag = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write a self-contained HTML report to this file instead."),
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the theme table as CSV (safe for Excel) to this file instead."
        ),
    ] = None,
    include_inactive: Annotated[
        bool,
        typer.Option(
            "--include-inactive",
            help="Also list themes the latest mining run no longer found (and, with filters, "
            "themes nobody in the filtered data mentions).",
        ),
    ] = False,
    rank_by: Annotated[
        RankBy,
        typer.Option(
            "--rank-by",
            help="Order of the top issues: nps_impact, churn_lift (themes whose customers "
            "churn more) or revenue_at_risk (revenue of detractors or churned customers).",
        ),
    ] = "nps_impact",
) -> None:
    """CX report of a workspace: NPS/CSAT/CES with CIs, detractor issues, segments, trends."""
    from feedback_nlp.report.tables import run_report

    settings = edge(ctx).settings
    if csv_path is not None:
        from feedback_nlp.report.csv_tables import export_theme_csv

        rows = export_theme_csv(settings, workspace, csv_path, include_inactive=include_inactive)
        console.print(f"{rows} themes written to {csv_path}")
        return
    if html is not None:
        from feedback_nlp.report.html import export_report

        export_report(
            settings,
            workspace,
            html,
            segment=segment or (),
            period=period,
            start=start,
            end=end,
            granularity=granularity,
            include_inactive=include_inactive,
            rank_by=rank_by,
        )
        console.print(f"HTML report written to {html}")
        return
    run_report(
        settings,
        workspace,
        segment=segment or (),
        period=period,
        start=start,
        end=end,
        granularity=granularity,
        as_json=as_json,
        console=console,
        include_inactive=include_inactive,
        rank_by=rank_by,
    )
