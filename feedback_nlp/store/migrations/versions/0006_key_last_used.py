"""API keys get a name, an admin flag and the time of their last use.

``feedback-nlp keys list`` and ``GET /v1/admin/keys`` show each key by its id (the
``fnlp_<key_id>_`` prefix of the key), its name and when it was last used; an admin key (created
with ``keys create --admin``) may list and revoke the keys of every workspace over HTTP. Keys
created before this revision have no name, are not admin keys and show "never" used until their
next request.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``api_keys.name``, ``api_keys.admin`` (false for existing keys), ``last_used_at``."""
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("name", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("admin")
        batch.drop_column("name")
