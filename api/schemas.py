"""Request and response bodies: ``XCreate`` (what a client sends), ``XUpdate``, ``XPublic``.

These are API shapes only; table models live in :mod:`feedback_nlp.store`, domain records in
:mod:`feedback_nlp.domain`. Feedback items are validated row by row by
:func:`feedback_nlp.ingest.validate.validate_rows`, not here, so that one bad item never rejects
the whole batch: :class:`FeedbackBatchCreate` accepts any JSON objects and documents the fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from api.constraint_fields import bounds
from api.public import RecordPublic, public_model
from feedback_nlp.domain import FeedbackRecord
from feedback_nlp.filters import ALIASES_REMOVED_IN
from feedback_nlp.ingest.outcomes import MINUTES, REVENUE
from feedback_nlp.jobs.params import N_RESAMPLES, SEED
from feedback_nlp.scales import CES, CSAT, NPS
from feedback_nlp.themes.cluster import MIN_THEME_SIZE

Source = Literal["survey", "review", "ticket", "social"]
SentimentLabel = Literal["negative", "neutral", "positive"]


class FeedbackItemCreate(BaseModel):
    """One feedback item as a client sends it (documentation of the accepted fields)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Your id of the item; resending an id updates the item.")
    text: str = Field(description="The free text, any language; PII is redacted before storing.")
    source: Source | None = None
    created_at: datetime | None = Field(
        default=None, description="ISO 8601; naive means UTC; default: the time it arrived."
    )
    nps: Annotated[int | None, bounds(NPS)] = Field(
        default=None, description="Likelihood to recommend."
    )
    csat: Annotated[int | None, bounds(CSAT)] = Field(
        default=None, description="Satisfaction, 1-5."
    )
    ces: Annotated[float | None, bounds(CES)] = Field(
        default=None, description="Customer effort, 1-7."
    )
    segments: dict[str, str] | None = Field(
        default=None, description='Flat segment attributes, e.g. {"plan": "enterprise"}.'
    )
    customer_id: str | None = Field(
        default=None,
        description="Your id of the customer; stored only as a keyed pseudonym (c_ + 16 hex).",
    )
    first_response_at: datetime | None = Field(
        default=None, description="When the customer first got an answer (needs created_at)."
    )
    first_response_minutes: Annotated[float | None, bounds(MINUTES)] = Field(
        default=None, description="Or: minutes from created_at to the first answer."
    )
    resolved_at: datetime | None = Field(
        default=None, description="When the issue was resolved (needs created_at)."
    )
    resolution_minutes: Annotated[float | None, bounds(MINUTES)] = Field(
        default=None, description="Or: minutes from created_at to the resolution."
    )
    churned: bool | None = Field(default=None, description="Whether the customer left.")
    churned_at: datetime | None = Field(
        default=None, description="When the customer left (only with churned: true)."
    )
    revenue: Annotated[float | None, bounds(REVENUE)] = Field(
        default=None,
        description="Revenue or lifetime value at stake, in the workspace's currency.",
    )
    currency: str | None = Field(
        default=None,
        description="ISO 4217 code of revenue; must be the workspace's currency if given.",
    )


_ITEMS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": FeedbackItemCreate.model_json_schema(),
    "description": "Up to FEEDBACK_NLP_API__MAX_BATCH_ITEMS items; each is checked on its own.",
}


class FeedbackBatchCreate(BaseModel):
    """The body of ``POST /v1/feedback``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "t-1001",
                            "text": "The parcel arrived a week late. Call me on +1 415 555 0100.",
                            "source": "ticket",
                            "created_at": "2026-05-01T08:20:19Z",
                            "nps": 4,
                            "segments": {"plan": "enterprise", "region": "europe"},
                        }
                    ]
                }
            ]
        },
    )

    items: Annotated[list[Any], WithJsonSchema(_ITEMS_SCHEMA)]


class RowErrorPublic(BaseModel):
    """Why one item of a batch was rejected."""

    index: int = Field(description="Position of the item in the batch, from 0.")
    field: str = Field(description="The offending field ('row' when the row as a whole is).")
    reason: str = Field(description="A coded message: what came in and how to fix it.")


class FeedbackBatchPublic(BaseModel):
    """What ``POST /v1/feedback`` did with a batch."""

    received: int
    created: int = Field(description="New ids stored.")
    updated: int = Field(description="Known ids whose content changed.")
    unchanged: int = Field(description="Known ids resent with the same content.")
    superseded: int = Field(
        description=(
            "Items whose id comes again later in the same batch: only the last of them is "
            "stored. received = created + updated + unchanged + superseded + rejected."
        )
    )
    rejected: int = Field(description="Items not stored; see 'errors'.")
    errors: list[RowErrorPublic]


if TYPE_CHECKING:  # a view made at run time: type checkers see its base
    FeedbackPublic = RecordPublic
else:
    FeedbackPublic = public_model(
        FeedbackRecord,
        name="FeedbackPublic",
        doc="A stored feedback item (text as stored: PII redacted).",
        module=__name__,
        rename={"external_id": "id"},
        descriptions={
            "customer_id": "The customer's pseudonym (c_ + 16 hex), never the id sent.",
        },
    )


class FeedbackPagePublic(BaseModel):
    """One page of ``GET /v1/feedback``; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[FeedbackPublic]
    next_cursor: str | None


class FeedbackFiltersCreate(BaseModel):
    """Which items a mining job reads (all of the workspace's items when empty).

    ``from``/``to`` or ``period`` as on every filtered route (:mod:`feedback_nlp.filters`);
    ``created_from``/``created_to`` are their deprecated aliases (a 422 when given with them).
    """

    model_config = ConfigDict(extra="forbid")

    source: Source | None = None
    segments: dict[str, str] = Field(default_factory=dict)
    period: str | None = Field(
        default=None, description="Calendar window (UTC): 2026, 2026-09, 2026-W38 or 2026-09-21."
    )
    start: datetime | None = Field(
        default=None, alias="from", description="Items created at or after this instant."
    )
    end: datetime | None = Field(
        default=None, alias="to", description="Items created before this instant."
    )
    created_from: datetime | None = Field(
        default=None,
        description=f"Deprecated alias of 'from' (removed in {ALIASES_REMOVED_IN}).",
        json_schema_extra={"deprecated": True},
    )
    created_to: datetime | None = Field(
        default=None,
        description=f"Deprecated alias of 'to' (removed in {ALIASES_REMOVED_IN}).",
        json_schema_extra={"deprecated": True},
    )


class JobCreate(BaseModel):
    """The body of ``POST /v1/jobs``: what to mine and how (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["mine"] = "mine"
    filters: FeedbackFiltersCreate = Field(default_factory=FeedbackFiltersCreate)
    seed: Annotated[int, bounds(SEED)] = Field(default=0, description="Seed of every random step.")
    min_theme_size: Annotated[int | None, bounds(MIN_THEME_SIZE)] = Field(
        default=None, description="Smallest theme in units (null: automatic)."
    )
    n_resamples: Annotated[int, bounds(N_RESAMPLES)] = Field(
        default=3, description="Resampled runs behind each theme's confidence."
    )
    mode: Literal["accurate", "fast"] = Field(
        default="accurate",
        description="accurate: the default embedder, with unit sentiment; fast: static "
        "embeddings for very large corpora, no unit sentiment.",
    )


class JobPublic(BaseModel):
    """A job and how far it got."""

    id: str
    kind: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = Field(ge=0.0, le=1.0)
    stage: str | None
    error: str | None
    attempts: int
    cancel_requested: bool
    params: dict[str, Any]
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ThemePublic(BaseModel):
    """A theme as listed by ``GET /v1/themes``."""

    id: str = Field(description="Stable across mining runs.")
    level: int = Field(description="0: a theme; 1: a parent group of related themes.")
    label: str = Field(
        description="Display label: the custom label if renamed, else the generated label in the "
        "display language (`lang`; default: the workspace's most frequent language) where the "
        "theme has one, else that of the theme's most frequent language, else the id."
    )
    labels: dict[str, str] = Field(description="Generated label per language.")
    custom_label: str | None
    keyphrases: dict[str, list[str]] = Field(description="Ranked keyphrases per language.")
    languages: dict[str, int] = Field(description="Member units per language.")
    parent_id: str | None
    size: int = Field(description="Member units in the latest run that found the theme.")
    confidence: float | None = Field(description="Stability across resampled runs.")
    active: bool = Field(description="Whether the latest mining run found it.")
    origin: str = Field(default="mined", description="mined, or made by an edit: seeded, split.")
    ignored: bool = Field(default=False, description="Hidden from the insights by an analyst.")
    general: bool = Field(
        default=False,
        description="In the general-sentiment pool: its units carry sentiment or courtesy but "
        "name no topic ('I expected better.'); left out of the issue rankings by default.",
    )
    retired_by_op: int | None = Field(
        default=None, description="The taxonomy operation that emptied it (merged away, split)."
    )


class QuotePublic(BaseModel):
    """A representative quote of a theme (PII redacted)."""

    text: str
    lang: str | None = None
    item_id: str | None = None


class ThemeDetailPublic(ThemePublic):
    """A theme with its quotes and the analytics of its respondents."""

    quotes: list[QuotePublic]
    n_units: int = Field(description="Units assigned to it now.")
    n_items: int = Field(description="Distinct items with at least one such unit.")
    sentiment: dict[str, int] = Field(description="Units per sentiment label.")
    sentiment_mean: float | None
    nps: float | None = Field(description="NPS (-100..100) of its items that carry an answer.")
    n_nps: int = Field(description="Items with an NPS answer.")
    segments: dict[str, dict[str, int]] = Field(description="Items per segment value.")
    children: list[str] = Field(description="Theme ids of a parent group.")


class ThemeUpdate(BaseModel):
    """The body of ``PATCH /v1/themes/{id}``: a custom display label."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(
        max_length=200, description="The new label; null goes back to the generated one."
    )


class HealthPublic(BaseModel):
    """The answer of ``GET /v1/health``."""

    status: str
    version: str
