"""``feedback-nlp ingest``: stream a file into a workspace (the work is in :mod:`.batch`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feedback_nlp.cli._edge import JsonFlag, console, edge, refuse
from feedback_nlp.errors import FeedbackNLPError

__all__ = ["ingest"]


ColumnOption = Annotated[str | None, typer.Option(help="Column of this field.")]


def ingest(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet file.")],
    workspace: Annotated[str, typer.Option(help="Workspace the rows go to (created if new).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, jsonl or parquet (default: extension).")
    ] = None,
    id_col: Annotated[str, typer.Option(help="Column of the item id.")] = "id",
    text_col: Annotated[str, typer.Option(help="Column of the feedback text.")] = "text",
    time_col: ColumnOption = None,
    source_col: ColumnOption = None,
    nps_col: ColumnOption = None,
    csat_col: ColumnOption = None,
    ces_col: ColumnOption = None,
    segment_cols: Annotated[
        str, typer.Option(help="Comma-separated columns stored as segments: plan,region.")
    ] = "",
    source: Annotated[
        str | None, typer.Option(help="Source of rows without one: survey/review/ticket/social.")
    ] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Rejected rows (JSONL); default FILE.rejects.jsonl.")
    ] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default , or tab).")] = None,
    max_row_bytes: Annotated[
        int, typer.Option(help="Longer lines/records are rejected.", min=1024)
    ] = 16 * 1024 * 1024,
    chunk_size: Annotated[
        int | None, typer.Option(help="Rows per transaction (default 4,000).", min=1)
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Stream a file into a workspace: validate, redact PII, identify languages, upsert.

    Optional columns default to a column of the field's name (created_at, source, nps, csat,
    ces) when the file has one. Exit code 0 when the file was read (rejected rows are listed in
    the rejects file), 2 when it could not be read at all.
    """
    from feedback_nlp.cli.batch import run_ingest
    from feedback_nlp.ingest.batch import DEFAULT_CHUNK_SIZE, IngestOptions
    from feedback_nlp.ingest.mapping import ColumnMapping

    mapping = ColumnMapping(
        id_col=id_col,
        text_col=text_col,
        time_col=time_col,
        source_col=source_col,
        nps_col=nps_col,
        csat_col=csat_col,
        ces_col=ces_col,
        segment_cols=tuple(c.strip() for c in segment_cols.split(",") if c.strip()),
        default_source=source,
    )
    options = IngestOptions(
        format=fmt,
        delimiter=delimiter,
        rejects_path=rejects,
        chunk_size=DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size,
        max_row_bytes=max_row_bytes,
    )
    cli = edge(ctx)
    try:
        with cli.store() as store:
            run_ingest(
                console, store, cli.settings, path, workspace, mapping, options, as_json=as_json
            )
    except FeedbackNLPError as error:
        refuse(error)
