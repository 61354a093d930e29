"""Opening a named workspace for a command-line report (tables, JSON or HTML)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from feedback_nlp.errors import NotFoundError

if TYPE_CHECKING:
    from feedback_nlp.settings import Settings
    from feedback_nlp.store import Store

__all__ = ["open_named_workspace"]


@contextmanager
def open_named_workspace(settings: Settings, workspace: str) -> Iterator[tuple[Store, int]]:
    """Open the store of ``settings.database.url`` and find the workspace called ``workspace``.

    Yields:
        The store (closed on exit) and the workspace's id.

    Raises:
        NotFoundError: If there is no such workspace.
    """
    from feedback_nlp.store import open_store

    store = open_store(settings.database.url)
    try:
        found = store.get_workspace_by_name(workspace)
        if found is None:
            raise NotFoundError(
                f"No workspace is called {workspace!r}. Create it by ingesting feedback or with "
                "'feedback-nlp keys create --workspace NAME'."
            )
        yield store, found.id
    finally:
        store.close()
