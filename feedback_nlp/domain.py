"""Values shared by ingest, the store, the jobs and the API: frozen dataclasses, no behaviour.

Data flows one way: raw rows are validated into :class:`FeedbackIn` (bad rows become
:class:`RowError` values), redacted and language-identified into :class:`PreparedFeedback` (the
only form the store accepts, so unredacted text cannot be stored), and read back as
:class:`FeedbackRecord`. Jobs, themes and pages of results are plain records too; those of a
mining run (:class:`MiningOutcome` and its parts) live in :mod:`feedback_nlp.mining_records` and
are re-exported here. Each record is defined here once, below the store; the store maps its rows
by a record's fields and the API's ``XPublic`` views are checked against them. The records of
alerting and of taxonomy edits sit beside this module, as low: :mod:`feedback_nlp.alert_records`
and :mod:`feedback_nlp.taxonomy_records`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from feedback_nlp.mining_records import MinedTheme, MinedUnit, MiningItem, MiningOutcome

__all__ = [
    "JOB_KINDS",
    "JOB_STATES",
    "PSEUDONYM",
    "SENTIMENT_LABELS",
    "SOURCES",
    "TERMINAL_JOB_STATES",
    "AnalyticsRecords",
    "CustomerOutcome",
    "FeedbackFilter",
    "FeedbackIn",
    "FeedbackRecord",
    "JobRecord",
    "JobState",
    "MinedTheme",
    "MinedUnit",
    "MiningItem",
    "MiningOutcome",
    "Page",
    "PreparedFeedback",
    "RowError",
    "ThemeDetail",
    "ThemeEvent",
    "ThemeRecord",
    "UnitRecord",
    "UpsertResult",
    "Workspace",
    "choose_label",
    "is_pseudonym",
]

SOURCES: tuple[str, ...] = ("survey", "review", "ticket", "social")
"""Where a feedback item came from."""

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
"""The sentiment labels a unit can carry."""

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATES: tuple[JobState, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL_JOB_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
JOB_KINDS: tuple[str, ...] = ("mine", "assign")
"""The kinds of job the worker knows how to run (``assign``: new feedback between mining runs,
queued by ingest; :mod:`feedback_nlp.jobs.assign`)."""

T = TypeVar("T")


PSEUDONYM = re.compile(r"c_[0-9a-f]{16}")
"""The shape of every stored customer id (:mod:`feedback_nlp.ingest.pseudonym` makes them)."""


def is_pseudonym(value: object) -> bool:
    """Whether ``value`` has the shape of a pseudonym (``c_`` + 16 lowercase hex characters)."""
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one input row was rejected (a value, never an exception).

    Attributes:
        index: Position of the row in its batch, from 0.
        field: The offending field (``"row"`` when the row as a whole is wrong).
        reason: A coded message that says what came in and how to fix it.
    """

    index: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerOutcome:
    """What became of the customer behind a feedback item: the optional outcome fields.

    Both the item as sent (:class:`FeedbackIn`) and as stored (:class:`FeedbackRecord`) carry
    them, as keyword-only fields after their own.

    Attributes:
        customer_id: Who gave it: the customer's pseudonym (``c_`` + 16 hex characters,
            :mod:`feedback_nlp.ingest.pseudonym`), never the id sent; :class:`FeedbackIn` holds
            the id as sent until :func:`~feedback_nlp.ingest.prepare.prepare_items` replaces it.
        first_response_minutes: Minutes from ``created_at`` to the first answer (>= 0).
        resolution_minutes: Minutes from ``created_at`` to the resolution (>= 0).
        churned: Whether the customer left (``None``: unknown).
        churned_at: When the customer left (only with ``churned``).
        revenue: Revenue or lifetime value at stake (>= 0), in the workspace's currency.
    """

    customer_id: str | None = None
    first_response_minutes: float | None = None
    resolution_minutes: float | None = None
    churned: bool | None = None
    churned_at: datetime | None = None
    revenue: float | None = None


@dataclass(frozen=True, slots=True)
class FeedbackIn(CustomerOutcome):
    """One validated feedback item, as the caller sent it (text not yet redacted).

    The outcome fields (``customer_id``, ``churned``, ``revenue``...) are those of
    :class:`CustomerOutcome`.

    Attributes:
        external_id: The caller's id, unique within a workspace.
        text: The feedback text (stripped, at most ``max_text_chars`` long).
        source: One of :data:`SOURCES`, or ``None``.
        created_at: When the feedback was given (timezone-aware, UTC); ``None`` when the row
            had none: the store then uses the time of first ingest and keeps it on re-posts.
        nps: Net Promoter answer 0..10.
        csat: Satisfaction answer 1..5.
        ces: Customer Effort answer 1..7.
        segments: Flat ``key -> value`` attributes (values stringified).
        truncated: Whether the text was cut to ``max_text_chars``.
    """

    external_id: str
    text: str
    created_at: datetime | None = None
    source: str | None = None
    nps: int | None = None
    csat: int | None = None
    ces: float | None = None
    segments: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class PreparedFeedback:
    """A feedback item after PII redaction and language identification: what the store keeps.

    Attributes:
        item: The validated item, its ``text`` replaced by the redacted text.
        lang: ISO 639-1 code of the redacted text, or ``"unknown"``.
        lang_confidence: The identifier's confidence in ``lang``.
        pii_kinds: Kinds of PII that were replaced (``("email", "phone")``).
    """

    item: FeedbackIn
    lang: str
    lang_confidence: float
    pii_kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Counts of one upsert batch.

    ``created + updated + unchanged`` is the number of distinct external ids; ``superseded``
    counts the items whose id came again later in the same batch (the last one is stored), so
    the four add up to the number of items sent.
    """

    created: int
    updated: int
    unchanged: int
    superseded: int = 0


@dataclass(frozen=True, slots=True)
class Workspace:
    """A tenant: every item, theme and job belongs to exactly one.

    Attributes:
        currency: ISO 4217 code of its revenue figures (default ``"USD"``).
    """

    id: int
    name: str
    created_at: datetime
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class FeedbackFilter:
    """Which items a listing or a mining job covers; ``None`` fields do not filter.

    Built from the filter model (:meth:`feedback_nlp.filters.Filters.feedback_filter`).

    Attributes:
        source: Only items of this source.
        segments: Only items whose segment ``key`` equals ``value``, for every pair.
        start: Only items created at or after this instant (the ``from`` field).
        end: Only items created before this instant (the ``to`` field).
        theme_id: Only items with at least one unit in this theme.
        sentiment: Only items with at least one unit of this sentiment label.
    """

    source: str | None = None
    segments: tuple[tuple[str, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    theme_id: str | None = None
    sentiment: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackRecord(CustomerOutcome):
    """A stored feedback item.

    The outcome fields are those of :class:`CustomerOutcome`.

    Attributes:
        external_id: The caller's id, unique within a workspace.
        text: The text as stored: PII redacted.
        lang: ISO 639-1 code of the text, or ``"unknown"``.
        lang_confidence: The language identifier's confidence in ``lang``.
        pii_kinds: Kinds of PII that were replaced (``email``, ``phone``...).
        truncated: Whether the text was cut to the longest text kept.
        source: ``survey``, ``review``, ``ticket`` or ``social``, or ``None``.
        created_at: When the feedback was given (UTC; the first ingest time when not sent).
        nps: Net Promoter answer 0..10.
        csat: Satisfaction answer 1..5.
        ces: Customer Effort answer 1..7.
        segments: Flat ``key -> value`` attributes.
        ingested_at: When it was first stored.
        updated_at: When its content last changed.
        theme_ids: Themes of its opinion units (after a mining job).
    """

    external_id: str
    text: str
    lang: str
    lang_confidence: float
    pii_kinds: tuple[str, ...]
    truncated: bool
    source: str | None
    created_at: datetime
    nps: int | None
    csat: int | None
    ces: float | None
    segments: dict[str, str]
    ingested_at: datetime
    updated_at: datetime
    theme_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A stored opinion unit."""

    external_id: str
    unit_index: int
    start: int
    end: int
    text: str
    lang: str
    theme_id: str | None
    sentiment_label: str | None
    sentiment_score: float | None


@dataclass(frozen=True, slots=True)
class ThemeEvent:
    """One entry of a theme's history: created, matched (re-found), deactivated, renamed."""

    theme_id: str
    event: str
    run_id: int | None
    size: int | None
    label: dict[str, str] | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next (``None``: last page)."""

    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job and where it stands.

    Attributes:
        progress: 0..1, updated as stages finish.
        stage: Name of the stage last started (``"embed"``).
        error: Why the job failed (``None`` unless ``state == "failed"``).
        attempts: How many times a worker has claimed it.
        cancel_requested: A cancel was asked for while it ran; the runner stops at the next stage.
        result: What a finished job produced (e.g. the mining run's id and theme count).
        worker: The process that claimed it last (``host:pid:start``; see
            :mod:`feedback_nlp.jobs.liveness`), ``None`` before its first claim.
        lease_expires_at: While it runs: when its worker's claim ends unless renewed (after
            that another worker may take the job over); ``None`` otherwise.
    """

    id: str
    workspace_id: int
    kind: str
    params: dict[str, Any]
    state: JobState
    progress: float
    stage: str | None
    error: str | None
    attempts: int
    cancel_requested: bool
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    worker: str | None = None
    lease_expires_at: datetime | None = None


def choose_label(label: Mapping[str, str], languages: Mapping[str, int], display: str) -> str:
    """The generated label in ``display``, else in the theme's most frequent language with one.

    Args:
        label: generated label per language (``lang -> label``).
        languages: member units per language.
        display: the display language (``""``: none, the theme's own language decides).

    Returns:
        The chosen label; any non-empty label (alphabetical by language) when no language of
        ``languages`` has one; ``""`` when every label is empty.
    """
    if display and label.get(display):
        return label[display]
    for lang, _ in sorted(languages.items(), key=lambda item: (-item[1], item[0])):
        if label.get(lang):
            return label[lang]
    return next((text for _, text in sorted(label.items()) if text), "")


@dataclass(frozen=True, slots=True)
class ThemeRecord:
    """A theme of a workspace, with a stable id across mining runs.

    Attributes:
        theme_id: Stable id (``"t_000001"``; parent groups ``"p_000001"``).
        level: 0 for a theme, 1 for a parent group of related themes.
        label: Generated label per language.
        custom_label: A name given by a person (rename), shown instead of ``label``.
        keyphrases: Ranked keyphrases per language.
        quotes: Representative units: ``{"text", "lang", "external_id"}``.
        languages: Member units per language.
        parent_id: The parent group's id, or ``None``.
        size: Member units in the latest run that saw the theme.
        confidence: Stability across resampled runs (``None``: not measured).
        active: Whether the latest mining run found it.
        first_seen_run: Id of the mining run that created it.
        last_seen_run: Id of the latest mining run that found it.
        origin: ``"mined"``, or made by a taxonomy edit: ``"seeded"``, ``"split"``.
        ignored: Hidden from the insights by a taxonomy edit (its units stay assigned to it).
        created_by_op: The taxonomy operation (``seq``) that made a seeded or split theme.
        retired_by_op: The taxonomy operation that emptied it (merged into another, split).
        general: The latest mining run put it in the general-sentiment pool: its units carry
            sentiment or courtesy ("I expected better.", "Thanks!") but name no topic
            (:mod:`feedback_nlp.themes.general`). Such a theme is no issue to fix, so the
            rankings of issues leave it out by default.
    """

    theme_id: str
    level: int
    label: dict[str, str]
    custom_label: str | None
    keyphrases: dict[str, list[str]]
    quotes: list[dict[str, str]]
    languages: dict[str, int]
    parent_id: str | None
    size: int
    confidence: float | None
    active: bool
    first_seen_run: int | None
    last_seen_run: int | None
    origin: str = "mined"
    ignored: bool = False
    created_by_op: int | None = None
    retired_by_op: int | None = None
    general: bool = False

    @property
    def display_label(self) -> str:
        """The custom label, else :func:`choose_label` without a display language, else ``""``.

        With a display language (a workspace's, a request's) use
        :func:`feedback_nlp.themes.display.display_label` instead.
        """
        return self.custom_label or choose_label(self.label, self.languages, "")


@dataclass(frozen=True, slots=True)
class ThemeDetail:
    """A theme with statistics of its members and their respondents.

    Attributes:
        theme: The theme.
        n_units: Units currently assigned to it (children's units for a parent group).
        n_items: Distinct feedback items with at least one such unit.
        sentiment: Units per sentiment label (empty when no sentiment was computed).
        sentiment_mean: Mean sentiment score of its units (``None`` when none was computed).
        nps: Net Promoter Score (-100..100) of its items that carry an NPS answer.
        n_nps: How many of its items carry an NPS answer.
        segments: Items per segment value: ``{key: {value: count}}``.
        children: Ids of the themes of a parent group.
    """

    theme: ThemeRecord
    n_units: int
    n_items: int
    sentiment: dict[str, int]
    sentiment_mean: float | None
    nps: float | None
    n_nps: int
    segments: dict[str, dict[str, int]]
    children: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnalyticsRecords:
    """A workspace's feedback as the analytics read it: column lists, one entry per row.

    Attributes:
        version: Identifies the data it was read from (counts, newest ids and timestamps, latest
            mining run); equal versions mean equal data, so a frame built from it can be reused.
        items: Item columns ``item_id`` (external id), ``created_at`` (datetime or ISO text),
            ``nps``, ``csat``,
            ``ces``, ``source`` and ``segments`` (one ``{key: value}`` dict per item), and the
            outcome columns ``customer_id`` (pseudonym), ``first_response_minutes``,
            ``resolution_minutes``, ``churned`` (bool) and ``revenue`` (``None``: missing);
            sources may leave the outcome columns out (all missing).
        units: Unit columns ``item_id`` (external id of the unit's item), ``theme_id``
            (``None``: unassigned), ``sentiment`` (score), ``label`` (sentiment label), ``text``.
        theme_ids: Ids of the workspace's level-0 themes, active or not.
    """

    version: tuple[Any, ...]
    items: dict[str, list[Any]]
    units: dict[str, list[Any]]
    theme_ids: tuple[str, ...]
