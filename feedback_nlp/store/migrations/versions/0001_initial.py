"""Initial schema: workspaces, API keys, feedback, units, embeddings cache, themes, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _workspace(table: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return (
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=f"fk_{table}_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
    )


def _item(table: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return (
        sa.Column("item_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["feedback_items.id"],
            name=f"fk_{table}_item_id_feedback_items",
            ondelete="CASCADE",
        ),
    )


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("name", name="uq_workspaces_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(32), nullable=False),
        *_workspace("api_keys"),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        _when("created_at"),
        _when("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_keys"),
    )
    op.create_table(
        "feedback_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        *_workspace("feedback_items"),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("lang_confidence", sa.Float(), nullable=False),
        sa.Column("pii_kinds", sa.JSON(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(16), nullable=True),
        _when("created_at"),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=True),
        sa.Column("ces", sa.Float(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        _when("ingested_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_items"),
        sa.UniqueConstraint(
            "workspace_id", "external_id", name="uq_feedback_items_workspace_id_external_id"
        ),
    )
    op.create_index(
        "ix_feedback_items_workspace_id_created_at_id",
        "feedback_items",
        ["workspace_id", "created_at", "id"],
    )
    op.create_index(
        "ix_feedback_items_workspace_id_source", "feedback_items", ["workspace_id", "source"]
    )
    op.create_table(
        "feedback_segments",
        *_item("feedback_segments"),
        *_workspace("feedback_segments"),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("item_id", "key", name="pk_feedback_segments"),
    )
    op.create_index(
        "ix_feedback_segments_workspace_id_key_value",
        "feedback_segments",
        ["workspace_id", "key", "value"],
    )
    op.create_table(
        "opinion_units",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        *_item("opinion_units"),
        *_workspace("opinion_units"),
        sa.Column("unit_index", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("theme_id", sa.String(32), nullable=True),
        sa.Column("sentiment_label", sa.String(16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_opinion_units"),
        sa.UniqueConstraint("item_id", "unit_index", name="uq_opinion_units_item_id_unit_index"),
    )
    op.create_index(
        "ix_opinion_units_workspace_id_theme_id", "opinion_units", ["workspace_id", "theme_id"]
    )
    op.create_table(
        "embeddings_cache",
        *_workspace("embeddings_cache"),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "key", name="pk_embeddings_cache"),
    )
    op.create_table(
        "mining_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_workspace("mining_runs"),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("embedder", sa.String(64), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("n_units", sa.Integer(), nullable=False),
        sa.Column("n_themes", sa.Integer(), nullable=False),
        sa.Column("n_unassigned", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        _when("started_at"),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("id", name="pk_mining_runs"),
    )
    op.create_index("ix_mining_runs_workspace_id_id", "mining_runs", ["workspace_id", "id"])
    op.create_table(
        "themes",
        *_workspace("themes"),
        sa.Column("theme_id", sa.String(32), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("custom_label", sa.String(200), nullable=True),
        sa.Column("keyphrases", sa.JSON(), nullable=False),
        sa.Column("quotes", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("accept_similarity", sa.Float(), nullable=True),
        sa.Column("typical_similarity", sa.Float(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("first_seen_run", sa.Integer(), nullable=True),
        sa.Column("last_seen_run", sa.Integer(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", "theme_id", name="pk_themes"),
    )
    op.create_table(
        "theme_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        *_workspace("theme_history"),
        sa.Column("theme_id", sa.String(32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("label", sa.JSON(), nullable=True),
        _when("at"),
        sa.PrimaryKeyConstraint("id", name="pk_theme_history"),
    )
    op.create_index(
        "ix_theme_history_workspace_id_theme_id", "theme_history", ["workspace_id", "theme_id"]
    )
    op.create_table(
        "registry_states",
        *_workspace("registry_states"),
        sa.Column("next_id", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("pool_keys", sa.JSON(), nullable=False),
        sa.Column("pool_langs", sa.JSON(), nullable=False),
        sa.Column("pool_vectors", sa.LargeBinary(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_registry_states"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        *_workspace("jobs"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        _when("created_at"),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        _when("heartbeat_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_state_created_at", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_workspace_id_created_at", "jobs", ["workspace_id", "created_at"])


def downgrade() -> None:
    """Drop every table, dependants first."""
    for table in (
        "jobs",
        "registry_states",
        "theme_history",
        "themes",
        "mining_runs",
        "embeddings_cache",
        "opinion_units",
        "feedback_segments",
        "feedback_items",
        "api_keys",
        "workspaces",
    ):
        op.drop_table(table)
