"""Alerts: per-workspace rules, their firings, a durable outbox of webhook deliveries.

``alert_rules`` holds each workspace's rules (kind, checked parameters, webhook URL and signing
secret). ``alert_firings`` keeps one row per rule and ``dedup_key`` (a theme or group and a
period), so a spike fires once however many ingest batches see it. ``alert_deliveries`` is the
outbox: a firing of a rule with a webhook gets its delivery in the same transaction, sent until
a receiver answers 2xx (``lease_until`` keeps two deliverers from sending it at once);
``alert_attempts`` logs every try. ``alert_schedule`` marks a workspace whose data changed since
its rules were last evaluated (:mod:`feedback_nlp.alerts`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# SQLite only aliases the rowid (and so autoincrements) for a column declared INTEGER.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace(table: str) -> sa.Column[int]:
    return sa.Column(
        "workspace_id",
        sa.Integer(),
        sa.ForeignKey(
            "workspaces.id", ondelete="CASCADE", name=f"fk_{table}_workspace_id_workspaces"
        ),
        nullable=False,
    )


def upgrade() -> None:
    """Create the rule, firing, delivery, attempt and schedule tables."""
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), autoincrement=True),
        _workspace("alert_rules"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(128), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rules"),
    )
    op.create_index("ix_alert_rules_workspace_id_id", "alert_rules", ["workspace_id", "id"])
    op.create_table(
        "alert_firings",
        sa.Column("id", _BIG_ID, autoincrement=True),
        _workspace("alert_firings"),
        sa.Column(
            "rule_id",
            sa.Integer(),
            sa.ForeignKey(
                "alert_rules.id", ondelete="CASCADE", name="fk_alert_firings_rule_id_alert_rules"
            ),
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("period", sa.String(32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_firings"),
        sa.UniqueConstraint("rule_id", "dedup_key", name="uq_alert_firings_rule_id_dedup_key"),
    )
    op.create_index(
        "ix_alert_firings_workspace_id_fired_at", "alert_firings", ["workspace_id", "fired_at"]
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(36)),
        _workspace("alert_deliveries"),
        sa.Column(
            "firing_id",
            _BIG_ID,
            sa.ForeignKey(
                "alert_firings.id",
                ondelete="CASCADE",
                name="fk_alert_deliveries_firing_id_alert_firings",
            ),
            nullable=False,
        ),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_deliveries"),
    )
    op.create_index(
        "ix_alert_deliveries_status_next_attempt_at",
        "alert_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_alert_deliveries_workspace_id_created_at",
        "alert_deliveries",
        ["workspace_id", "created_at"],
    )
    op.create_table(
        "alert_attempts",
        sa.Column("id", _BIG_ID, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.String(36),
            sa.ForeignKey(
                "alert_deliveries.id",
                ondelete="CASCADE",
                name="fk_alert_attempts_delivery_id_alert_deliveries",
            ),
            nullable=False,
        ),
        _workspace("alert_attempts"),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_attempts"),
    )
    op.create_index("ix_alert_attempts_delivery_id", "alert_attempts", ["delivery_id"])
    op.create_table(
        "alert_schedule",
        sa.Column(
            "workspace_id",
            sa.Integer(),
            sa.ForeignKey(
                "workspaces.id",
                ondelete="CASCADE",
                name="fk_alert_schedule_workspace_id_workspaces",
            ),
        ),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_alert_schedule"),
    )


def downgrade() -> None:
    """Drop the alert tables (rules, firings and the delivery log are lost)."""
    for table in (
        "alert_schedule",
        "alert_attempts",
        "alert_deliveries",
        "alert_firings",
        "alert_rules",
    ):
        op.drop_table(table)
