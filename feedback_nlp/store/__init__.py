"""Storage: SQLAlchemy 2 tables, Alembic migrations, and the :class:`Store` over them."""

from feedback_nlp.store.engine import make_engine, upgrade
from feedback_nlp.store.store import Store, open_store
from feedback_nlp.store.vectors import SqlVectorCache

__all__ = ["SqlVectorCache", "Store", "make_engine", "open_store", "upgrade"]
