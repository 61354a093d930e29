"""``/v1/feedback``: ingest batches (idempotent on the item id), list and export stored items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.analytics_deps import FrameCacheDep
from api.constraint_fields import bounds
from api.csv_response import CsvResponse, csv_download, csv_responses
from api.deps import IngestStagesDep, MetricsDep, SettingsDep, StoreDep, WorkspaceDep
from api.filter_deps import ListingFiltersDep, deprecation_headers
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
from feedback_nlp.store.listing import MAX_PAGE, PAGE_LIMIT
from feedback_nlp.store.store import Store

router = APIRouter(
    prefix="/v1/feedback", tags=["feedback"], responses=problem_responses(401, 422, 429)
)


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
    filters: ListingFiltersDep,
    source: Annotated[Source | None, Query(description="Only items of this source.")] = None,
    theme: Annotated[str | None, Query(description="Only items with a unit in this theme.")] = None,
    sentiment: Annotated[
        SentimentLabel | None,
        Query(description="Only items with a unit of this sentiment."),
    ] = None,
) -> FeedbackFilter:
    """The item filters of ``GET /v1/feedback`` and its CSV export.

    ``segment``, ``period``, ``from`` and ``to`` (or the deprecated ``created_from`` and
    ``created_to``) are those of every filtered route (:mod:`api.filter_deps`).
    """
    return filters.feedback_filter(source=source, theme_id=theme, sentiment=sentiment)


FeedbackFilterDep = Annotated[FeedbackFilter, Depends(get_feedback_filter)]


@router.get("")
def list_feedback(
    workspace: WorkspaceDep,
    store: StoreDep,
    filters: FeedbackFilterDep,
    cursor: Annotated[str | None, Query(description="'next_cursor' of the previous page.")] = None,
    limit: Annotated[int, Query(description="Items per page."), bounds(PAGE_LIMIT)] = 100,
) -> FeedbackPagePublic:
    """List stored items, oldest first, one page at a time."""
    page = store.list_feedback(workspace.id, filters, cursor=cursor, limit=limit)
    return FeedbackPagePublic(
        items=[FeedbackPublic.of(record) for record in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/export.csv",
    response_class=CsvResponse,
    responses=csv_responses("The items as CSV, oldest first: " + ", ".join(FEEDBACK_COLUMNS)),
)
def export_feedback_csv(
    request: Request,
    workspace: WorkspaceDep,
    store: StoreDep,
    cache: FrameCacheDep,
    filters: FeedbackFilterDep,
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
    response = csv_download(lines, "feedback.csv")
    response.headers.update(deprecation_headers(request))
    return response


def _all_pages(
    store: Store, workspace_id: int, filters: FeedbackFilter, page: Page[FeedbackRecord]
) -> Iterator[FeedbackRecord]:
    while True:
        yield from page.items
        if page.next_cursor is None:
            return
        page = store.list_feedback(workspace_id, filters, cursor=page.next_cursor, limit=MAX_PAGE)
