"""Analysts steer the themes: recorded taxonomy edits, kept across re-mines.

``taxonomy_operations`` holds every edit of a workspace's themes (merge, split, move, ignore,
seed, rename) in order, with who made it and when, what its latest application did and whether it
was undone. A unit keeps the theme the mining run gave it (``opinion_units.mined_theme_id``) beside
the theme after the edits (``theme_id``), so an undo or a re-mine replays the edits from the mined
assignment (:mod:`feedback_nlp.taxonomy`). Themes get where they come from (``origin``: mined,
seeded, split), an ``ignored`` flag (hidden from the insights, units kept), the operations that
created or emptied them, and the quotes the run chose (``mined_quotes``). Existing units and
themes start unedited: their mined theme is their theme, their mined quotes their quotes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# SQLite only aliases the rowid (and so autoincrements) for a column declared INTEGER.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``taxonomy_operations``; add the unit and theme columns and fill them."""
    op.create_table(
        "taxonomy_operations",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey(
                "workspaces.id",
                ondelete="CASCADE",
                name="fk_taxonomy_operations_workspace_id_workspaces",
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("effect", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_taxonomy_operations"),
        sa.UniqueConstraint("workspace_id", "seq", name="uq_taxonomy_operations_workspace_id_seq"),
    )
    with op.batch_alter_table("opinion_units") as batch:
        batch.add_column(sa.Column("mined_theme_id", sa.String(32), nullable=True))
    with op.batch_alter_table("themes") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="mined"))
        batch.add_column(
            sa.Column("ignored", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("created_by_op", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retired_by_op", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mined_quotes", sa.JSON(), nullable=True))
    op.execute("UPDATE opinion_units SET mined_theme_id = theme_id")
    op.execute("UPDATE themes SET mined_quotes = quotes")


def downgrade() -> None:
    """Drop the columns and the table (the recorded edits are lost; themes stay as edited)."""
    with op.batch_alter_table("themes") as batch:
        batch.drop_column("mined_quotes")
        batch.drop_column("retired_by_op")
        batch.drop_column("created_by_op")
        batch.drop_column("ignored")
        batch.drop_column("origin")
    with op.batch_alter_table("opinion_units") as batch:
        batch.drop_column("mined_theme_id")
    op.drop_table("taxonomy_operations")
