"""The ``feedback-nlp`` command line: a thin Typer app over the library, at the edge by ``api``.

One module per command group (``models``, ``eval``, ``keys``, ``db``, ``taxonomy``, ``alerts``,
``workspaces``) and per batch command (``ingest``, ``mine``, ``report``; ``demo`` and ``serve``
live with ``db``). The settings are read once per command line, by
:class:`~feedback_nlp.cli._edge.CliEdge`.
"""

from __future__ import annotations

import inspect

import typer
from rich.markup import escape

from feedback_nlp import __version__
from feedback_nlp.cli import ingest, mine, report, serve
from feedback_nlp.cli._edge import CliEdge, console
from feedback_nlp.cli.alerts import alerts_app
from feedback_nlp.cli.evaluate import eval_app
from feedback_nlp.cli.keys import keys_app
from feedback_nlp.cli.models import models_app
from feedback_nlp.cli.serve import db_app
from feedback_nlp.cli.taxonomy import taxonomy_app
from feedback_nlp.cli.workspaces import workspaces_app
from feedback_nlp.errors import FeedbackNLPError

__all__ = ["app", "escape_help_markup", "main"]

app = typer.Typer(
    help="Turn free-text customer feedback into recurring complaint themes.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _edge(ctx: typer.Context) -> None:
    ctx.obj = CliEdge()


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(__version__)


app.command("demo")(serve.demo)
app.command("report")(report.report)
app.command("ingest")(ingest.ingest)
app.command("mine")(mine.mine)
app.command("serve")(serve.serve)
for name, group in (
    ("models", models_app),
    ("eval", eval_app),
    ("keys", keys_app),
    ("db", db_app),
    ("taxonomy", taxonomy_app),
    ("alerts", alerts_app),
    ("workspaces", workspaces_app),
):
    app.add_typer(group, name=name)


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
        console.print(f"[red]{error.title}:[/red] {escape(str(error))}")
        raise SystemExit(2) from None
