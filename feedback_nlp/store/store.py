"""The store: the only way the API and the jobs touch the database.

:class:`Store` gathers the parts, one module each: workspaces and API keys
(:mod:`.workspaces`), feedback upserts (:mod:`.feedback`) and reads (:mod:`.listing`), jobs
(:mod:`.jobs`), themes (:mod:`.themes`), mining runs with the theme registry (:mod:`.mining`),
the analysts' taxonomy edits (:mod:`.taxonomy`), the rows behind the analytics
(:mod:`.analytics`), the alerts (:mod:`.alerts`: rules, firings, the webhook outbox) and new
feedback assigned between mining runs (:mod:`.assignment`).
Every per-workspace method takes ``workspace_id`` and filters on it.
"""

from __future__ import annotations

from sqlalchemy import Engine

from feedback_nlp.store.alerts import AlertStore
from feedback_nlp.store.analytics import AnalyticsReader
from feedback_nlp.store.assignment import AssignmentStore
from feedback_nlp.store.engine import make_engine, upgrade
from feedback_nlp.store.feedback import FeedbackWriter
from feedback_nlp.store.jobs import JobStore
from feedback_nlp.store.listing import FeedbackReader
from feedback_nlp.store.mining import MiningWriter
from feedback_nlp.store.taxonomy import TaxonomyStore
from feedback_nlp.store.themes import ThemeStore
from feedback_nlp.store.vectors import SqlVectorCache
from feedback_nlp.store.workspaces import WorkspaceStore

__all__ = ["Store", "open_store"]


class Store(
    WorkspaceStore,
    FeedbackWriter,
    FeedbackReader,
    JobStore,
    ThemeStore,
    MiningWriter,
    TaxonomyStore,
    AnalyticsReader,
    AlertStore,
    AssignmentStore,
):
    """Workspaces, keys, feedback, units, themes and jobs in one SQL database.

    Args:
        engine: From :func:`~feedback_nlp.store.engine.make_engine`, migrated to head.
    """

    def vector_cache(self, workspace_id: int) -> SqlVectorCache:
        """The workspace's embeddings cache."""
        return SqlVectorCache(self.engine, workspace_id)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Make an engine for ``url``, migrate it to head (unless told not to) and wrap it.

    Args:
        url: An SQLite or PostgreSQL SQLAlchemy URL (``settings.database.url``).
        migrate: Run the migrations first.
    """
    engine: Engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Store(engine)
