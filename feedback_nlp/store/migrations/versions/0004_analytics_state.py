"""Items are indexed by their last write, so the analytics state reads only what changed.

The analytics state (:mod:`feedback_nlp.analytics.state`) asks for the newest ``updated_at`` of a
workspace's items and for the items updated after its watermark; with this index both are index
range reads instead of scans of every item.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ix_feedback_items_workspace_id_updated_at"


def upgrade() -> None:
    """Add the index ``(workspace_id, updated_at)`` of ``feedback_items``."""
    op.create_index(INDEX, "feedback_items", ["workspace_id", "updated_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(INDEX, table_name="feedback_items")
