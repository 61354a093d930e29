"""Outcomes of feedback items (customer, response and resolution times, churn, revenue).

``feedback_items`` gains ``customer_id`` (a keyed pseudonym, never the id in clear),
``first_response_minutes`` and ``resolution_minutes`` (minutes from ``created_at``), ``churned``,
``churned_at`` and ``revenue``; all nullable, so existing items have no outcomes. ``workspaces``
gains ``currency`` (ISO 4217; "USD" for existing ones) and ``customer_key``, the secret of its
pseudonyms, made here for every existing workspace.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ITEM_COLUMNS = (
    "customer_id",
    "first_response_minutes",
    "resolution_minutes",
    "churned",
    "churned_at",
    "revenue",
)


def upgrade() -> None:
    """Add the outcome columns, the workspace currency and a pseudonym key per workspace."""
    op.add_column("feedback_items", sa.Column("customer_id", sa.String(18), nullable=True))
    op.add_column("feedback_items", sa.Column("first_response_minutes", sa.Float(), nullable=True))
    op.add_column("feedback_items", sa.Column("resolution_minutes", sa.Float(), nullable=True))
    op.add_column("feedback_items", sa.Column("churned", sa.Boolean(), nullable=True))
    op.add_column(
        "feedback_items", sa.Column("churned_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("feedback_items", sa.Column("revenue", sa.Float(), nullable=True))
    op.add_column(
        "workspaces",
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
    )
    op.add_column("workspaces", sa.Column("customer_key", sa.String(64), nullable=True))
    connection = op.get_bind()
    table = sa.table("workspaces", sa.column("id", sa.Integer()), sa.column("customer_key"))
    for (workspace_id,) in connection.execute(sa.select(table.c.id)).all():
        connection.execute(
            sa.update(table)
            .where(table.c.id == workspace_id)
            .values(customer_key=secrets.token_hex(32))
        )


def downgrade() -> None:
    """Drop the columns (outcomes, currencies and pseudonym keys are lost)."""
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("customer_key")
        batch.drop_column("currency")
    with op.batch_alter_table("feedback_items") as batch:
        for name in reversed(_ITEM_COLUMNS):
            batch.drop_column(name)
