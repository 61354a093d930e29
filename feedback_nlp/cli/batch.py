"""The batch commands behind ``feedback-nlp ingest`` and ``feedback-nlp mine``: Rich output only.

The work is done by :func:`feedback_nlp.ingest.batch.ingest_file` and
:func:`feedback_nlp.jobs.foreground.run_in_foreground`; this module draws their progress bars and
tables and turns their outcome into an exit code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from feedback_nlp.domain import JobRecord, ThemeRecord
from feedback_nlp.engines import Engine
from feedback_nlp.errors import NotFoundError
from feedback_nlp.filters import ALIASES_REMOVED_IN, parse_segment_or_alias
from feedback_nlp.ingest.batch import IngestOptions, IngestSummary, ingest_file
from feedback_nlp.ingest.mapping import ColumnMapping
from feedback_nlp.ingest.readers import detect_format
from feedback_nlp.jobs.params import MineParams
from feedback_nlp.memory import collection_relaxed
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.themes.display import display_label, workspace_language

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "mine_params",
    "run_ingest",
    "run_mine",
    "summary_table",
    "themes_table",
]

EXIT_FAILED = 1
"""Exit code of ``mine`` when the job failed."""

EXIT_CANCELLED = 130
"""Exit code of ``mine`` when the job was cancelled (Ctrl-C)."""


def _ingest_progress(console: Console, unit: str) -> Progress:
    amount = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    speed = [TransferSpeedColumn()] if unit == "bytes" else []
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        amount,
        *speed,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def run_ingest(
    console: Console,
    store: Store,
    settings: Settings,
    path: Path,
    workspace: str,
    mapping: ColumnMapping,
    options: IngestOptions,
    *,
    as_json: bool = False,
) -> IngestSummary:
    """Ingest ``path`` with a progress bar, then print the summary table.

    Raises:
        FeedbackNLPError: If nothing could be read (missing file, unknown format, bad mapping).
    """
    options = IngestOptions(
        format=options.format,
        delimiter=options.delimiter,
        rejects_path=options.rejects_path,
        chunk_size=options.chunk_size,
        max_text_chars=settings.limits.max_text_chars,
        max_row_bytes=options.max_row_bytes,
    )
    unit = (
        "rows" if path.is_file() and detect_format(path, options.format) == "parquet" else "bytes"
    )
    with _ingest_progress(console, unit) as progress:
        task = progress.add_task(f"ingest {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with collection_relaxed():  # millions of short-lived rows, no cycles (memory.py)
            summary = ingest_file(store, workspace, path, mapping, advance, options=options)
    console.print(summary_table(summary))
    if summary.ignored_columns:
        console.print(f"Columns not used: {', '.join(summary.ignored_columns)}")
    note = "see" if summary.rejected else "none rejected;"
    console.print(f"Rejected rows: {summary.rejected:,} ({note} {summary.rejects_path})")
    if as_json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))  # noqa: T201
    return summary


def summary_table(summary: IngestSummary) -> Table:
    """The counts and timings of an ingest run."""
    table = Table(title=f"{summary.path.name} -> workspace '{summary.workspace}'")
    names = ("rows read", "created", "updated", "unchanged", "superseded", "rejected")
    for name in (*names, "seconds", "rows/s"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{summary.rows_read:,}",
        f"{summary.created:,}",
        f"{summary.updated:,}",
        f"{summary.unchanged:,}",
        f"{summary.superseded:,}",
        f"{summary.rejected:,}",
        f"{summary.seconds:.1f}",
        f"{summary.rows_per_second:,.0f}",
    )
    stages = ", ".join(f"{name} {secs:.1f}s" for name, secs in summary.stage_seconds.items())
    table.caption = f"stages: {stages}" if stages else None
    return table


def mine_params(
    *,
    source: str | None,
    segments: list[str],
    seed: int,
    min_theme_size: int | None,
    n_resamples: int,
    mode: str = "accurate",
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The JSON parameters of a mine job from command-line values (checked by MineParams).

    Args:
        source: Only items of this source.
        segments: ``key:value`` filters (or the deprecated ``key=value``).
        seed: Seed of the run.
        min_theme_size: Smallest theme in units (``None``: automatic).
        n_resamples: Resamples behind the confidences.
        mode: ``accurate`` or ``fast``.
        period: A calendar window (:mod:`feedback_nlp.filters`).
        start: The ``from`` ISO-8601 instant.
        end: The ``to`` ISO-8601 instant.
        warn: Called with a message for each deprecated ``key=value`` segment.

    Raises:
        InvalidInputError: If a segment is not ``key:value`` (or ``key=value``) or a value is
            out of range.
    """
    pairs: dict[str, str] = {}
    for segment in segments:
        (key, value), deprecated = parse_segment_or_alias(segment)
        if deprecated and warn is not None:
            warn(
                f"--segment {segment!r} uses the deprecated key=value spelling; write "
                f"'{key}:{value}' (key=value is refused from release {ALIASES_REMOVED_IN})."
            )
        pairs[key] = value
    params: dict[str, Any] = {
        "seed": seed,
        "n_resamples": n_resamples,
        "segments": pairs,
        "mode": mode,
    }
    window = {"period": period, "from": start, "to": end}
    params |= {name: value for name, value in window.items() if value is not None}
    if source is not None:
        params["source"] = source
    if min_theme_size is not None:
        params["min_theme_size"] = min_theme_size
    MineParams.from_json(params)
    return params


def run_mine(
    console: Console,
    store: Store,
    settings: Settings,
    workspace: str,
    params: Mapping[str, Any],
    *,
    wait: bool = True,
    top: int = 20,
    as_json: bool = False,
    engine: Engine | None = None,
) -> tuple[JobRecord, int]:
    """Queue a mine job; with ``wait``, run it here with a progress bar and print its themes.

    Returns:
        The job as it ended (or as queued) and the exit code: 0, :data:`EXIT_FAILED` or
        :data:`EXIT_CANCELLED`.

    Raises:
        NotFoundError: If the workspace does not exist.
    """
    from feedback_nlp.jobs.foreground import run_in_foreground

    found = store.get_workspace_by_name(workspace)
    if found is None:
        raise NotFoundError(
            f"No workspace is named {workspace!r}. Ingest feedback first: "
            f"feedback-nlp ingest FILE --workspace {workspace}"
        )
    job = store.create_job(found.id, "mine", dict(params))
    if not wait:
        console.print(f"Queued mine job {job.id} in workspace '{workspace}'.")
        if as_json:
            print(json.dumps({"job_id": job.id, "state": job.state}))  # noqa: T201
        return job, 0
    progress = Progress(
        TextColumn("[bold]mine[/bold] {task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("queued", total=1.0)

        def update(current: JobRecord) -> None:
            progress.update(task, completed=current.progress, description=current.stage or "queued")

        def cancelled() -> None:
            console.print("Cancelling the job: it stops at the end of its current stage...")

        job = run_in_foreground(store, settings, job, update, on_cancel=cancelled, engine=engine)
        update(job)
    code = {"succeeded": 0, "cancelled": EXIT_CANCELLED}.get(job.state, EXIT_FAILED)
    if job.state == "succeeded":
        console.print(themes_table(store.list_themes(found.id), top=top, result=job.result))
        warning = (job.result or {}).get("warning")
        if warning:
            console.print(f"[yellow]Warning:[/yellow] {escape(str(warning))}")
    else:
        console.print(f"[red]Mine job {job.id} ended {job.state}[/red]: {job.error or ''}")
    if as_json:
        payload = {"job_id": job.id, "state": job.state, "error": job.error, "result": job.result}
        print(json.dumps(payload, ensure_ascii=False))  # noqa: T201
    return job, code


def themes_table(
    themes: list[ThemeRecord], *, top: int = 20, result: Mapping[str, Any] | None = None
) -> Table:
    """The largest themes (level 0): id, units, confidence, languages, label.

    The label is in the workspace's display language (its most frequent one), as the report's.
    """
    level0 = [theme for theme in themes if theme.level == 0]
    display = workspace_language(themes)
    title = f"{len(level0)} themes"
    if result:
        title += (
            f" from {result.get('n_items', 0):,} items, {result.get('n_units', 0):,} units "
            f"({result.get('n_unassigned', 0):,} unassigned; embedder {result.get('embedder')})"
        )
    table = Table("id", "units", "conf.", "languages", "label", title=title)
    for theme in level0[:top]:
        langs = " ".join(
            f"{lang}:{n}" for lang, n in sorted(theme.languages.items(), key=lambda kv: -kv[1])[:4]
        )
        confidence = "-" if theme.confidence is None else f"{theme.confidence:.2f}"
        label = display_label(theme, display)
        table.add_row(theme.theme_id, f"{theme.size:,}", confidence, langs, label)
    if len(level0) > top:
        table.caption = f"... and {len(level0) - top} more (--top N shows more)"
    return table
