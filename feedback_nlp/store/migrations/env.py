"""Alembic environment: runs on the connection that :func:`.engine.upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from feedback_nlp.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "feedback_nlp migrations run through feedback_nlp.store.engine.upgrade(engine) "
        "(or `feedback-nlp db upgrade`), which passes the connection to use."
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
