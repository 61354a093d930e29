"""``/v1/feedback``: ingest batches (idempotent on the item id), list and export stored items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.analytics_deps import FrameCacheDep
from api.csv_response import CsvResponse, csv_download, csv_responses
from api.deps import IngestStagesDep, MetricsDep, SettingsDep, StoreDep, WorkspaceDep
from api.problems import TooManyItemsError, problem_responses
from api.schemas import (
    FeedbackBatchCreate,
    FeedbackBatchPublic,
    FeedbackPagePublic,
    FeedbackPublic,
    RowErrorPublic,
    SentimentLabel,
    Source,
)
from feedback_nlp.domain import FeedbackFilter, FeedbackRecord, Page
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.report.bundle import theme_labels
from feedback_nlp.report.csv_export import csv_lines
from feedback_nlp.report.csv_tables import FEEDBACK_COLUMNS, feedback_rows, item_sentiments
from feedback_nlp.segments import parse_segment
from feedback_nlp.store.store import Store

router = APIRouter(
    prefix="/v1/feedback", tags=["feedback"], responses=problem_responses(401, 422, 429)
)

MAX_PAGE = 1000


@router.post("", responses=problem_responses(413))
def ingest_feedback(
    batch: FeedbackBatchCreate,
    workspace: WorkspaceDep,
    store: StoreDep,
    settings: SettingsDep,
    stages: IngestStagesDep,
    metrics: MetricsDep,
) -> FeedbackBatchPublic:
    """Store a batch of feedback items; invalid items are reported, valid ones kept.

    Items are validated one by one; PII is redacted and the language identified before anything
    is stored. Resending an id updates that item (or leaves it unchanged when nothing differs);
    an id repeated inside the batch stores its last item and counts the others as superseded.
    """
    limit = settings.api.max_batch_items
    if len(batch.items) > limit:
        raise TooManyItemsError(
            f"The batch has {len(batch.items)} items; the limit is {limit} "
            "(FEEDBACK_NLP_API__MAX_BATCH_ITEMS). Split it into smaller batches."
        )
    service = IngestService(
        store, stages.redactor, stages.identifier, max_text_chars=settings.limits.max_text_chars
    )
    outcome = service.ingest(workspace.id, batch.items)
    metrics.items.labels(result="created").inc(outcome.created)
    metrics.items.labels(result="updated").inc(outcome.updated)
    metrics.items.labels(result="unchanged").inc(outcome.unchanged)
    metrics.items.labels(result="rejected").inc(outcome.rejected)
    return FeedbackBatchPublic(
        received=outcome.received,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        superseded=outcome.superseded,
        rejected=outcome.rejected,
        errors=[
            RowErrorPublic(index=e.index, field=e.field, reason=e.reason) for e in outcome.errors
        ],
    )


def get_feedback_filter(
    source: Annotated[Source | None, Query(description="Only items of this source.")] = None,
    segment: Annotated[
        list[str] | None,
        Query(description="'key:value', repeatable; every pair must match (plan:enterprise)."),
    ] = None,
    created_from: Annotated[
        datetime | None, Query(description="Only items created at or after this instant.")
    ] = None,
    created_to: Annotated[
        datetime | None, Query(description="Only items created before this instant.")
    ] = None,
    theme: Annotated[str | None, Query(description="Only items with a unit in this theme.")] = None,
    sentiment: Annotated[
        SentimentLabel | None,
        Query(description="Only items with a unit of this sentiment."),
    ] = None,
) -> FeedbackFilter:
    """The item filters of ``GET /v1/feedback`` and its CSV export."""
    return FeedbackFilter(
        source=source,
        segments=tuple(parse_segment(value) for value in segment or ()),
        created_from=created_from,
        created_to=created_to,
        theme_id=theme,
        sentiment=sentiment,
    )


FeedbackFilterDep = Annotated[FeedbackFilter, Depends(get_feedback_filter)]


@router.get("")
def list_feedback(
    workspace: WorkspaceDep,
    store: StoreDep,
    filters: FeedbackFilterDep,
    cursor: Annotated[str | None, Query(description="'next_cursor' of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 100,
) -> FeedbackPagePublic:
    """List stored items, oldest first, one page at a time."""
    page = store.list_feedback(workspace.id, filters, cursor=cursor, limit=limit)
    return FeedbackPagePublic(
        items=[_public(record) for record in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/export.csv",
    response_class=CsvResponse,
    responses=csv_responses("The items as CSV, oldest first: " + ", ".join(FEEDBACK_COLUMNS)),
)
def export_feedback_csv(
    workspace: WorkspaceDep, store: StoreDep, cache: FrameCacheDep, filters: FeedbackFilterDep
) -> CsvResponse:
    """Every item the filters select as a CSV download (streamed; opens safely in Excel).

    Columns: id, created_at, source, lang, nps, csat, ces, segments (a JSON object), theme_ids
    and theme_labels of its units (joined by '; '), sentiment (-1..1, the mean of its units'),
    the outcomes customer_id (pseudonym), first_response_minutes, resolution_minutes, churned
    (true/false), churned_at, revenue (empty when unknown), text (PII redacted). Text cells
    that start with =, +, -, @, tab or CR get a leading ' so a spreadsheet never runs them as
    formulas; numbers stay numbers. UTF-8 with a byte-order mark.
    """
    first = store.list_feedback(workspace.id, filters, limit=MAX_PAGE)  # bad filters: 422 here
    labels, _ = theme_labels(store, workspace.id)
    sentiments = item_sentiments(cache.get(store, workspace.id).frame)
    records = _all_pages(store, workspace.id, filters, first)
    lines = csv_lines(FEEDBACK_COLUMNS, feedback_rows(records, labels, sentiments))
    return csv_download(lines, "feedback.csv")


def _all_pages(
    store: Store, workspace_id: int, filters: FeedbackFilter, page: Page[FeedbackRecord]
) -> Iterator[FeedbackRecord]:
    while True:
        yield from page.items
        if page.next_cursor is None:
            return
        page = store.list_feedback(workspace_id, filters, cursor=page.next_cursor, limit=MAX_PAGE)


def _public(record: FeedbackRecord) -> FeedbackPublic:
    return FeedbackPublic(
        id=record.external_id,
        text=record.text,
        lang=record.lang,
        lang_confidence=record.lang_confidence,
        pii_kinds=list(record.pii_kinds),
        truncated=record.truncated,
        source=record.source,
        created_at=record.created_at,
        nps=record.nps,
        csat=record.csat,
        ces=record.ces,
        segments=dict(record.segments),
        theme_ids=list(record.theme_ids),
        ingested_at=record.ingested_at,
        updated_at=record.updated_at,
        customer_id=record.customer_id,
        first_response_minutes=record.first_response_minutes,
        resolution_minutes=record.resolution_minutes,
        churned=record.churned,
        churned_at=record.churned_at,
        revenue=record.revenue,
    )
