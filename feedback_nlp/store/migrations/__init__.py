"""Alembic migrations of the store, run by :func:`feedback_nlp.store.engine.upgrade`."""
