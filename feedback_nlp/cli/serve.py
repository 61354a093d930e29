"""``feedback-nlp db``, ``serve`` and ``demo``: the database, the HTTP server and the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from feedback_nlp.cli._edge import console, edge
from feedback_nlp.settings import Settings

__all__ = ["db_app", "demo", "serve"]

db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database named by FEEDBACK_NLP_DATABASE__URL to the newest schema."""
    from feedback_nlp.store.engine import current_revision, upgrade

    with edge(ctx).engine() as engine:
        upgrade(engine)
        console.print(f"database at revision {current_revision(engine)}")


def demo(
    ctx: typer.Context,
    serve_api: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Store the demo corpus, create a key, mine themes, then serve the API.",
        ),
    ] = False,
) -> None:
    """Run the pipeline over the bundled demo corpus (with --serve: and serve the API)."""
    settings = edge(ctx).settings
    if not serve_api:
        from feedback_nlp.demo import run_demo

        run_demo(settings, console=console)
        return
    from feedback_nlp.demo_service import prepare_demo_workspace

    with edge(ctx).store() as store:
        ready = prepare_demo_workspace(store, settings, console=console)
    url = f"http://{settings.api.host}:{settings.api.port}"
    console.print(f"Demo API key (workspace '{ready.workspace.name}'): [bold]{ready.key}[/bold]")
    console.print(f"Dashboard: {url}/ui  (sign in with the key)")
    console.print(f"API docs: {url}/docs  (Authorize with the key; Ctrl-C stops the server)")
    _serve(settings, settings.api.host, settings.api.port)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default: api.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: api.port).")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) until interrupted."""
    settings = edge(ctx).settings
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
