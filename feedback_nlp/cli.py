"""The ``feedback-nlp`` command line: a thin Typer app over the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from feedback_nlp import __version__
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.models import MODEL_SPECS, check_model
from feedback_nlp.settings import load_settings

app = typer.Typer(
    help="Turn free-text customer feedback into recurring complaint themes.",
    no_args_is_help=True,
    add_completion=False,
)
models_app = typer.Typer(help="List and check the models the pipeline uses.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the pipeline on labelled data.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(eval_app, name="eval")

console = Console()

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(__version__)


@models_app.command("list")
def models_list() -> None:
    """List every registered model with its package and provenance."""
    table = Table("name", "kind", "package", "original", "languages", "licence")
    for spec in MODEL_SPECS.values():
        table.add_row(
            spec.name, spec.kind, spec.requirement, spec.original, spec.languages, spec.licence
        )
    console.print(table)


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
    from feedback_nlp.eval_themes import format_theme_eval, run_theme_eval

    settings = load_settings()
    result = run_theme_eval(path, embedder_name=embedder or settings.models.embedder, seed=seed)
    console.print(format_theme_eval(result))
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))  # noqa: T201


@app.command()
def demo() -> None:
    """Run the text pipeline over the bundled demo corpus and print a summary."""
    from feedback_nlp.demo import run_demo

    run_demo(load_settings(), console=console)


def main() -> None:
    """Entry point of the ``feedback-nlp`` script: render library errors as one clear line."""
    try:
        app()
    except FeedbackNLPError as error:
        console.print(f"[red]{error.title}:[/red] {error}")
        raise SystemExit(2) from None
