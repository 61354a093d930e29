"""Settings, read from the environment (prefix ``FEEDBACK_NLP_``, nested groups joined by ``__``).

No instance is created at import: the CLI's ``main()`` and the API's ``create_app()`` call
:func:`load_settings` once and pass the result down.

Examples:
    ``FEEDBACK_NLP_DATABASE__URL=postgresql+psycopg://u:p@db/feedback``
    ``FEEDBACK_NLP_MODELS__EMBEDDER=minilm-l6-en``
    ``FEEDBACK_NLP_API__PORT=9000``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from feedback_nlp.alerts.targets import parse_allow_entry

DEFAULT_VAR_DIR = Path("var")


class DatabaseSettings(BaseModel):
    """Where feedback, themes and jobs are stored."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        default=f"sqlite:///{DEFAULT_VAR_DIR / 'feedback_nlp.sqlite3'}",
        description="SQLAlchemy URL: an SQLite file (embedded default) or PostgreSQL.",
    )

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+")):
            raise ValueError(
                f"database URL must start with 'sqlite' or 'postgresql'. Got {value!r} instead."
            )
        return value


class ModelSettings(BaseModel):
    """Which registered models the pipeline uses (names from ``feedback-nlp models list``)."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = Field(default="e5-small-multilingual", description="Accurate embedder.")
    fast_embedder: str = Field(
        default="e5-small-static", description="Fast (static) embedder for high-volume runs."
    )
    language_identifier: str = Field(default="lingua", description="Language identifier.")


class ApiSettings(BaseModel):
    """The HTTP service."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_batch_items: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    embedded_worker: bool = Field(
        default=True, description="Run mining jobs in a background thread of the API process."
    )
    rate_limit_per_minute: int = Field(
        default=1200,
        ge=0,
        description="Requests a minute per API key (per client address without one); 0: no limit.",
    )
    rate_limit_burst: int | None = Field(
        default=None, ge=1, description="Requests allowed at once; default: rate_limit_per_minute."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info", description="Log level of `feedback-nlp serve` (uvicorn and feedback_nlp)."
    )
    display_lang: str | None = Field(
        default=None,
        min_length=2,
        max_length=16,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="Language of the theme titles when a request names none (`lang`): a theme "
        "with a label in it shows that label, any other its own main language's. Default: each "
        "workspace's most frequent language.",
    )


class LimitSettings(BaseModel):
    """Guards on input sizes and work per call."""

    model_config = ConfigDict(extra="forbid")

    max_text_chars: int = Field(default=20_000, ge=1, description="Longer texts are truncated.")
    embed_batch_size: int = Field(default=64, ge=1)


class JobSettings(BaseModel):
    """The job worker: how long a claim on a running job lasts, how often it is renewed.

    Any number of workers (servers, ``feedback-nlp mine``) may share one database. A worker that
    claims a job holds it for ``lease_s`` seconds and renews the lease every ``heartbeat_s``
    seconds while it runs the job; once a lease has ended unrenewed (its worker was killed or
    hangs), another worker takes the job over. Every ``reap_s`` seconds between its jobs a worker
    also re-queues the jobs of worker processes of its own host that are gone.
    """

    model_config = ConfigDict(extra="forbid")

    lease_s: float = Field(
        default=120.0,
        gt=0,
        description="Seconds a claim on a running job lasts without a heartbeat.",
    )
    heartbeat_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between the heartbeats that renew a running job's lease.",
    )
    reap_s: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Seconds between a worker's looks for jobs of dead worker processes of its own host "
            "(re-queued at once, before their leases end)."
        ),
    )

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> JobSettings:
        if self.heartbeat_s * 2 > self.lease_s:
            raise ValueError(
                "jobs.heartbeat_s must be at most half of jobs.lease_s, so that one late "
                f"heartbeat does not lose the lease. Got heartbeat_s={self.heartbeat_s} and "
                f"lease_s={self.lease_s}."
            )
        return self


class AlertSettings(BaseModel):
    """Alert evaluation and webhook delivery (:mod:`feedback_nlp.alerts`).

    Ingest and mining mark a workspace's alerts due; the server's alert worker (or
    ``feedback-nlp alerts run``) evaluates a due workspace at most once per ``debounce_s`` and
    sends the webhook outbox. A failed delivery is retried after ``retry_base_s``, doubling up to
    ``retry_max_s``, until ``max_attempts`` tries.
    """

    model_config = ConfigDict(extra="forbid")

    embedded_worker: bool = Field(
        default=True, description="Evaluate rules and send webhooks in a thread of the API process."
    )
    poll_s: float = Field(default=1.0, gt=0, description="Seconds between the worker's looks.")
    debounce_s: float = Field(
        default=10.0, ge=0, description="Seconds at least between two evaluations of a workspace."
    )
    retry_base_s: float = Field(default=5.0, gt=0, description="Wait after a first failure.")
    retry_max_s: float = Field(default=300.0, gt=0, description="Longest wait between tries.")
    max_attempts: int = Field(default=30, ge=1, description="Tries before a delivery fails.")
    timeout_s: float = Field(default=10.0, gt=0, description="Seconds a receiver may take.")
    lease_s: float = Field(
        default=60.0, gt=0, description="Seconds a deliverer holds a delivery it is sending."
    )
    webhook_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Webhook targets allowed although not public: host names ('hooks.corp.example', "
            "'*.corp.example') and addresses or CIDRs ('10.0.0.0/8', '127.0.0.1'). Every other "
            "target must resolve to public addresses only (loopback, link-local, private, "
            "multicast and reserved ones are refused)."
        ),
    )
    webhook_public: bool = Field(
        default=True,
        description="Whether webhooks may reach public addresses not in webhook_allow.",
    )

    @field_validator("webhook_allow", mode="before")
    @classmethod
    def _split_allow_list(cls, value: object) -> object:
        if isinstance(value, str):  # FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW=10.0.0.0/8,hooks.corp
            if value.strip().startswith("["):  # or a JSON list
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_allow")
    @classmethod
    def _known_targets(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_allow_entry(entry)  # raises ValueError naming the bad entry
        return value

    @model_validator(mode="after")
    def _timeout_within_lease(self) -> AlertSettings:
        if self.timeout_s >= self.lease_s:
            raise ValueError(
                "alerts.timeout_s must be less than alerts.lease_s, so that no other deliverer "
                f"sends a delivery still in flight. Got timeout_s={self.timeout_s} and "
                f"lease_s={self.lease_s}."
            )
        if self.retry_base_s > self.retry_max_s:
            raise ValueError(
                "alerts.retry_base_s must be at most alerts.retry_max_s. Got "
                f"retry_base_s={self.retry_base_s} and retry_max_s={self.retry_max_s}."
            )
        return self


class Settings(BaseSettings):
    """All settings of a feedback_nlp process."""

    model_config = SettingsConfigDict(
        env_prefix="FEEDBACK_NLP_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    var_dir: Path = Field(default=DEFAULT_VAR_DIR, description="Working files: DB, caches.")
    database: DatabaseSettings = DatabaseSettings()
    models: ModelSettings = ModelSettings()
    api: ApiSettings = ApiSettings()
    limits: LimitSettings = LimitSettings()
    jobs: JobSettings = JobSettings()
    alerts: AlertSettings = AlertSettings()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with keyword overrides taking precedence.

    Args:
        **overrides: top-level fields to set explicitly (e.g. ``var_dir=Path("/tmp/x")``).

    Returns:
        Validated settings; invalid values raise pydantic's ``ValidationError`` at once.
    """
    return Settings(**overrides)  # type: ignore[arg-type]
