"""The tables (SQLAlchemy Core). Migrations in :mod:`feedback_nlp.store.migrations` create them.

Every per-workspace table carries ``workspace_id``, and every query of
:class:`~feedback_nlp.store.store.Store` filters on it. Instants are stored in UTC
(:class:`UtcDateTime`); vectors are float32 bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "alert_attempts",
    "alert_deliveries",
    "alert_firings",
    "alert_rules",
    "alert_schedule",
    "api_keys",
    "embeddings_cache",
    "feedback_items",
    "feedback_segments",
    "jobs",
    "metadata",
    "mining_runs",
    "opinion_units",
    "registry_states",
    "taxonomy_operations",
    "theme_history",
    "themes",
    "workspaces",
]

# SQLite only aliases the rowid (and so autoincrements) for a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: bound values are converted to UTC, read values come back UTC-aware.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text, which sorts correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive values are taken as UTC); naive for SQLite."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: Any,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        """Return a UTC-aware datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _workspace_fk() -> Column[int]:
    return Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    )


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    # revision 0009: the ISO 4217 code of its revenue figures, and the key of its customer
    # pseudonyms (64 hex characters; feedback_nlp.ingest.pseudonym)
    Column("currency", String(3), nullable=False, server_default="USD"),
    Column("customer_key", String(64), nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    _workspace_fk(),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("name", String(64), nullable=True),  # revision 0006
    Column("admin", Boolean, nullable=False, default=False),
    Column("last_used_at", UtcDateTime, nullable=True),  # to LAST_USED_RESOLUTION
)

feedback_items = Table(
    "feedback_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("external_id", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("lang_confidence", Float, nullable=False),
    Column("pii_kinds", JSON, nullable=False),
    Column("truncated", Boolean, nullable=False),
    Column("source", String(16), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("nps", SmallInteger, nullable=True),
    Column("csat", SmallInteger, nullable=True),
    Column("ces", Float, nullable=True),
    Column("segments", JSON, nullable=False),
    Column("ingested_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # revision 0009: outcomes (minutes from created_at; customer_id is the keyed pseudonym)
    Column("customer_id", String(18), nullable=True),
    Column("first_response_minutes", Float, nullable=True),
    Column("resolution_minutes", Float, nullable=True),
    Column("churned", Boolean, nullable=True),
    Column("churned_at", UtcDateTime, nullable=True),
    Column("revenue", Float, nullable=True),
    UniqueConstraint("workspace_id", "external_id"),
    Index(None, "workspace_id", "created_at", "id"),
    Index(None, "workspace_id", "source"),
    Index(None, "workspace_id", "updated_at"),  # the analytics state's delta reads
)

feedback_segments = Table(
    "feedback_segments",
    metadata,
    Column("item_id", BigId, ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False),
    _workspace_fk(),
    Column("key", String(64), nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("item_id", "key"),
    Index(None, "workspace_id", "key", "value"),
)

opinion_units = Table(
    "opinion_units",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", BigId, ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False),
    _workspace_fk(),
    Column("unit_index", Integer, nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(16), nullable=False),
    Column("theme_id", String(32), nullable=True),
    Column("sentiment_label", String(16), nullable=True),
    Column("sentiment_score", Float, nullable=True),
    Column("text_hash", String(64), nullable=False),  # the item's text_hash when split
    Column("run_id", Integer, nullable=True),  # the mining run that wrote the unit
    # revision 0007: the theme the run gave the unit, before the analysts' taxonomy edits
    # (``theme_id`` is the theme after them; feedback_nlp.taxonomy replays the edits from here).
    Column("mined_theme_id", String(32), nullable=True),
    UniqueConstraint("item_id", "unit_index"),
    Index(None, "workspace_id", "theme_id"),
)

embeddings_cache = Table(
    "embeddings_cache",
    metadata,
    _workspace_fk(),
    Column("key", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    PrimaryKeyConstraint("workspace_id", "key"),
)

mining_runs = Table(
    "mining_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("job_id", String(36), nullable=True),
    Column("embedder", String(64), nullable=False),
    Column("n_items", Integer, nullable=False),
    Column("n_units", Integer, nullable=False),
    Column("n_themes", Integer, nullable=False),
    Column("n_unassigned", Integer, nullable=False),
    Column("config", JSON, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "id"),
)

themes = Table(
    "themes",
    metadata,
    _workspace_fk(),
    Column("theme_id", String(32), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("label", JSON, nullable=False),
    Column("custom_label", String(200), nullable=True),
    Column("keyphrases", JSON, nullable=False),
    Column("quotes", JSON, nullable=False),
    Column("languages", JSON, nullable=False),
    Column("parent_id", String(32), nullable=True),
    Column("size", Integer, nullable=False),
    Column("confidence", Float, nullable=True),
    # ThemeRegistry state (level 0 only): centroid, acceptance bars, member unit keys.
    Column("centroid", LargeBinary, nullable=True),
    Column("accept_similarity", Float, nullable=True),
    Column("typical_similarity", Float, nullable=True),
    Column("members", JSON, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("first_seen_run", Integer, nullable=True),
    Column("last_seen_run", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    # revision 0007, taxonomy edits (feedback_nlp.taxonomy): "mined", "seeded" or "split"; hidden
    # from the insights; the operation (seq) that created it / emptied it (merged away, split);
    # the quotes the mining run chose (``quotes`` then keeps those still in the theme).
    Column("origin", String(16), nullable=False, default="mined"),
    Column("ignored", Boolean, nullable=False, default=False),
    Column("created_by_op", Integer, nullable=True),
    Column("retired_by_op", Integer, nullable=True),
    Column("mined_quotes", JSON, nullable=True),
    PrimaryKeyConstraint("workspace_id", "theme_id"),
    Index(None, "workspace_id", "updated_at"),  # the marks (revision 0010): no row is read
)

theme_history = Table(
    "theme_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("theme_id", String(32), nullable=False),
    Column("run_id", Integer, nullable=True),
    Column("event", String(16), nullable=False),
    Column("size", Integer, nullable=True),
    Column("label", JSON, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "theme_id"),
)

taxonomy_operations = Table(
    "taxonomy_operations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("seq", Integer, nullable=False),  # 1, 2, ... per workspace: the order of the edits
    Column("kind", String(16), nullable=False),  # merge, split, move, ignore, seed, rename
    Column("params", JSON, nullable=False),  # what the analyst asked for
    Column("effect", JSON, nullable=True),  # what its latest application did
    Column("status", String(16), nullable=False),  # applied, partial, skipped, undone
    Column("note", Text, nullable=True),  # why it was (partly) not applied
    Column("run_id", Integer, nullable=True),  # the mining run it was last applied to
    Column("actor", String(64), nullable=True),  # the API key's name, or the CLI's user
    Column("created_at", UtcDateTime, nullable=False),
    Column("undone_at", UtcDateTime, nullable=True),
    Column("undone_by", String(64), nullable=True),
    UniqueConstraint("workspace_id", "seq"),
)

registry_states = Table(
    "registry_states",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("next_id", Integer, nullable=False),
    Column("config", JSON, nullable=False),
    Column("dim", Integer, nullable=False),
    Column("pool_keys", JSON, nullable=False),
    Column("pool_langs", JSON, nullable=False),
    Column("pool_vectors", LargeBinary, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    _workspace_fk(),
    Column("kind", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("stage", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("result", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("heartbeat_at", UtcDateTime, nullable=True),
    Column("worker", String(200), nullable=True),  # host:pid:start of the claiming process
    Column("lease_expires_at", UtcDateTime, nullable=True),  # a running job's claim ends here
    Index(None, "state", "created_at"),
    Index(None, "workspace_id", "created_at"),
)

# --- revision 0008: alerts (feedback_nlp.alerts) ------------------------------------------------

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),  # theme_spike, emerging_group, segment_nps_drop
    Column("params", JSON, nullable=False),  # checked, defaults filled in
    Column("webhook_url", Text, nullable=True),
    Column("secret", String(128), nullable=True),  # the HMAC key (a receiver needs the same one)
    Column("enabled", Boolean, nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "workspace_id", "id"),
)

alert_firings = Table(
    "alert_firings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace_fk(),
    Column("rule_id", Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
    Column("dedup_key", String(300), nullable=False),  # one firing per rule and key
    Column("subject", String(200), nullable=False),
    Column("period", String(32), nullable=True),
    Column("message", Text, nullable=False),
    Column("details", JSON, nullable=False),  # the numbers behind it
    Column("fired_at", UtcDateTime, nullable=False),
    UniqueConstraint("rule_id", "dedup_key"),
    Index(None, "workspace_id", "fired_at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),  # the X-FeedbackNLP-Delivery header
    _workspace_fk(),
    Column("firing_id", BigId, ForeignKey("alert_firings.id", ondelete="CASCADE"), nullable=False),
    Column("rule_id", Integer, nullable=False),
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),  # the exact JSON sent (and signed) at every attempt
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime, nullable=True),  # a deliverer is sending it until then
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Index(None, "status", "next_attempt_at"),
    Index(None, "workspace_id", "created_at"),
)

alert_attempts = Table(
    "alert_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(36),
        ForeignKey("alert_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _workspace_fk(),
    Column("attempt", Integer, nullable=False),  # 1, 2, ... per delivery
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),  # None: no answer (refused, timed out)
    Column("error", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
    Index(None, "delivery_id"),
)

alert_schedule = Table(
    "alert_schedule",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("marked_at", UtcDateTime, nullable=True),  # the latest write the rules have not seen
    Column("evaluated_at", UtcDateTime, nullable=True),  # when the latest evaluation started
)
