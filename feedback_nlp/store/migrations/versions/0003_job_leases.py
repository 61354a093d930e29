"""A running job holds a lease that its worker renews; once it ends, another worker takes over.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``jobs.lease_expires_at`` (empty for jobs claimed before: recovered as before)."""
    op.add_column("jobs", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop ``jobs.lease_expires_at``."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_expires_at")
