"""Jobs record which worker process claimed them, so recovery can tell a live one from a dead one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.worker`` (``host:pid:start`` of the claiming process; empty for old jobs)."""
    op.add_column("jobs", sa.Column("worker", sa.String(200), nullable=True))


def downgrade() -> None:
    """Drop ``jobs.worker``."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("worker")
