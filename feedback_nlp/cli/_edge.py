"""What every command shares: one console, and the settings read once per command line.

The app's callback makes one :class:`CliEdge` per invocation (``ctx.obj``); commands reach it
with :func:`edge` from their ``ctx: typer.Context`` argument. It reads the settings the first
time a command asks for them (so ``version`` and ``--help`` work with broken settings, as
before) and opens the store they name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from feedback_nlp.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from feedback_nlp.domain import Workspace
    from feedback_nlp.errors import FeedbackNLPError
    from feedback_nlp.store import Store

__all__ = ["CliEdge", "JsonFlag", "console", "edge", "ingested_workspace", "print_json", "refuse"]

console = Console()

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]


class CliEdge:
    """The settings of one command line, read once, and the store and engine they name."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The settings from the environment, read on first use."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store of ``settings.database.url`` (migrated to head), closed afterwards."""
        from feedback_nlp.store import open_store

        store = open_store(self.settings.database.url)
        try:
            yield store
        finally:
            store.close()

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """A database engine of ``settings.database.url`` (not migrated), disposed afterwards."""
        from feedback_nlp.store.engine import make_engine

        engine = make_engine(self.settings.database.url)
        try:
            yield engine
        finally:
            engine.dispose()


def edge(ctx: typer.Context) -> CliEdge:
    """The invocation's :class:`CliEdge` (made here when a group runs on its own)."""
    return ctx.ensure_object(CliEdge)


def refuse(error: FeedbackNLPError, code: int = 2) -> NoReturn:
    """Print a library error as one red line and end the command with exit code ``code``."""
    console.print(f"[red]{error.title}:[/red] {escape(str(error))}")
    raise typer.Exit(code=code) from None


def ingested_workspace(store: Store, name: str) -> Workspace:
    """The workspace called ``name``.

    Raises:
        NotFoundError: No workspace has that name (nothing was ingested into it yet).
    """
    from feedback_nlp.errors import NotFoundError

    found = store.get_workspace_by_name(name)
    if found is None:
        raise NotFoundError(
            f"No workspace is called {name!r}. Ingest into it first "
            "(feedback-nlp ingest --workspace NAME ...)."
        )
    return found


def print_json(value: Any) -> None:
    """Print ``value`` as one line of JSON (non-ASCII kept; dates and other values as strings)."""
    print(json.dumps(value, ensure_ascii=False, default=str))  # noqa: T201
