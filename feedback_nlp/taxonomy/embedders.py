"""The workspace's embedder for splits and seeds, loaded once per process and name.

Splits and seeds compare units in the space of the embedder the workspace's latest mining run
used (``mining_runs.embedder``; before any run, the configured default). :class:`EmbedderPool`
loads each embedder once (``feedback_nlp.models.load_model`` by default) and hands out a lazy
source per workspace, so an edit that needs no vectors (a merge, a move) never loads a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from feedback_nlp.embed.base import Embedder

if TYPE_CHECKING:
    from feedback_nlp.store import Store

__all__ = ["EmbedderPool"]

Loader = Callable[[str], Embedder]


def _load_model(name: str) -> Embedder:
    from feedback_nlp.models import load_model  # the model stack, only when a model is needed

    model: Embedder = load_model(name)
    return model


class EmbedderPool:
    """Embedders by name, each loaded on first use.

    Args:
        default: The embedder of a workspace that was never mined.
        loader: Loads an embedder by its registered name (default:
            :func:`feedback_nlp.models.load_model`).
    """

    def __init__(self, default: str, *, loader: Loader | None = None) -> None:
        self.default = default
        self._loader = loader or _load_model
        self._loaded: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Embedder:
        """The embedder ``name`` (loaded once; concurrent callers wait for the one load)."""
        with self._lock:
            found = self._loaded.get(name)
            if found is None:
                found = self._loaded[name] = self._loader(name)
            return found

    def for_workspace(self, store: Store, workspace_id: int) -> Callable[[], Embedder]:
        """A source of the workspace's embedder (its latest run's), resolved on first call."""

        def source() -> Embedder:
            return self.get(store.workspace_embedder(workspace_id) or self.default)

        return source
