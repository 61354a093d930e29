"""Themes are indexed by their last write, so the marks read no theme row.

Every analytics refresh and every ``GET /v1/themes`` asks for the newest ``updated_at`` and the
number of a workspace's themes (the marks that tell a theme write apart). A theme row holds its
members, quotes and centroid (megabytes at a million items), so without this index the query read
every row: 10.4 ms at 198 themes and 1M items, 0.36 ms from the index alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_themes_workspace_id_updated_at"


def upgrade() -> None:
    """Add the index ``(workspace_id, updated_at)`` of ``themes``."""
    op.create_index(INDEX, "themes", ["workspace_id", "updated_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(INDEX, table_name="themes")
