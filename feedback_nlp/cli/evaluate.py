"""``feedback-nlp eval``: measure the pipeline on labelled data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from feedback_nlp.cli._edge import JsonFlag, console, edge

__all__ = ["eval_app"]

eval_app = typer.Typer(help="Measure the pipeline on labelled data.", no_args_is_help=True)


@eval_app.command("themes")
def eval_themes(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV with columns text,label[,lang].")],
    embedder: Annotated[str | None, typer.Option(help="Registered embedder name.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the mining run.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Mine the texts of PATH (one unit per row) and score the themes against the labels."""
    from feedback_nlp.eval.themes import format_theme_eval, run_theme_eval

    settings = edge(ctx).settings
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
