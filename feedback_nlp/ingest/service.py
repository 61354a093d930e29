"""The one road from raw rows to stored items: validate, prepare (PII + language), bulk upsert.

``POST /v1/feedback``, ``feedback-nlp ingest`` (:mod:`feedback_nlp.ingest.batch`) and the demo
(:mod:`feedback_nlp.demo_service`) all store feedback through :class:`IngestService`, so the fast
path is the only path:

* :meth:`IngestService.ingest` takes a batch of raw rows (parsed JSON objects), validates them
  (:func:`~feedback_nlp.ingest.validate.validate_rows`: a bad row becomes a
  :class:`~feedback_nlp.domain.RowError`, never an exception), prepares the good ones
  (:func:`~feedback_nlp.ingest.prepare.prepare_items`: PII redaction, then language id on the
  redacted text) and upserts them in one transaction; it answers the counts of the batch.
* :meth:`IngestService.store` prepares and upserts items validated elsewhere (a file reader
  validates row by row as it streams, to write its rejects file as it goes).
* :meth:`IngestService.pipeline` does the same for a stream of chunks: one chunk is prepared
  in a background thread while another thread stores the chunk before it and the caller reads
  and validates the next. SQLite's statement steps then overlap with the Python work, and so
  does language identification when the identifier runs in a child process
  (:class:`~feedback_nlp.text.langid_process.LanguageIdProcess`, as in the CLI and the server:
  lingua keeps the GIL while it detects). At most three chunks are held at once, so memory
  stays flat.

After each stored batch or chunk that created or changed items, the workspace's alerts are
marked due (:meth:`~feedback_nlp.store.alerts.AlertStore.mark_alerts_due`: one ``UPDATE``, a
no-op without rules); the alert worker evaluates them later, debounced (:mod:`feedback_nlp.alerts`).
In a mined workspace an ``assign`` job is queued too, unless one waits already
(:meth:`~feedback_nlp.store.assignment.AssignmentStore.queue_assignment`): the job worker gives
the new items' units the latest run's themes, edits included (:mod:`feedback_nlp.jobs.assign`).

Idempotency lives in the store: an external id already stored with the same content is
``unchanged``; the last item of an id repeated in one batch wins and the others are
``superseded``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from feedback_nlp.domain import FeedbackIn, PreparedFeedback, RowError, UpsertResult
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifying
from feedback_nlp.text.pii import PiiRedactor

__all__ = ["BatchOutcome", "ChunkPipeline", "IngestService"]

_NOTHING = UpsertResult(created=0, updated=0, unchanged=0)
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What :meth:`IngestService.ingest` did with one batch of raw rows.

    ``received = created + updated + unchanged + superseded + rejected``.

    Attributes:
        received: Rows in the batch.
        created: New external ids stored.
        updated: Known ids whose content changed.
        unchanged: Known ids resent with the same content.
        superseded: Rows whose id comes again later in the batch (the last one is stored).
        rejected: Rows not stored (each has at least one entry in ``errors``).
        truncated: Stored rows whose text was cut to ``max_text_chars``.
        errors: One entry per problem found, in row order.
    """

    received: int
    created: int
    updated: int
    unchanged: int
    superseded: int
    rejected: int
    truncated: int
    errors: list[RowError] = field(default_factory=list)


def _mark_alerts(store: Store, workspace_id: int, result: UpsertResult) -> None:
    """Tell the alert worker the workspace changed, and queue the new items' theme assignment.

    Both are cheap writes; the rules are evaluated and the items assigned later, in the
    background (:mod:`feedback_nlp.alerts`, :mod:`feedback_nlp.jobs.assign`).
    """
    if result.created or result.updated:
        store.mark_alerts_due(workspace_id)
        store.queue_assignment(workspace_id)


class IngestService:
    """Validates, prepares and stores feedback for one store.

    Args:
        store: A migrated store.
        redactor: The PII stage.
        identifier: The language identifier (run on the redacted texts).
        max_text_chars: Longer texts are truncated (and flagged) by validation.
    """

    def __init__(
        self,
        store: Store,
        redactor: PiiRedactor,
        identifier: LanguageIdentifying,
        *,
        max_text_chars: int,
    ) -> None:
        self.store = store
        self.redactor = redactor
        self.identifier = identifier
        self.max_text_chars = max_text_chars
        self._keys: dict[int, bytes] = {}
        self._currencies: dict[int, str] = {}

    def currency(self, workspace_id: int) -> str:
        """The workspace's currency (read once per service)."""
        found = self._currencies.get(workspace_id)
        if found is None:
            found = self._currencies[workspace_id] = self.store.workspace_currency(workspace_id)
        return found

    def customer_key(self, workspace_id: int, items: Sequence[FeedbackIn]) -> bytes | None:
        """The workspace's pseudonym key when an item has a customer id (read once), else None."""
        if all(item.customer_id is None for item in items):
            return None
        found = self._keys.get(workspace_id)
        if found is None:
            found = self._keys[workspace_id] = self.store.customer_key(workspace_id)
        return found

    def ingest(
        self,
        workspace_id: int,
        rows: Sequence[object],
        *,
        row_numbers: Sequence[int] | None = None,
    ) -> BatchOutcome:
        """Validate a batch of raw rows and store the good ones in one transaction.

        Args:
            workspace_id: The workspace the items go to.
            rows: Raw rows, each normally a mapping of field name to JSON value.
            row_numbers: The number that names each row in errors; default: its index.

        Returns:
            The counts of the batch and its row errors.
        """
        good, errors = validate_rows(
            rows,
            max_text_chars=self.max_text_chars,
            row_numbers=row_numbers,
            currency=self.currency(workspace_id),
        )
        items = [item for _, item in good]
        result = self.store_items(workspace_id, items)
        return BatchOutcome(
            received=len(rows),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            superseded=result.superseded,
            rejected=len({error.index for error in errors}),
            truncated=sum(item.truncated for item in items),
            errors=errors,
        )

    def store_items(self, workspace_id: int, items: Sequence[FeedbackIn]) -> UpsertResult:
        """Redact, identify the language of, and upsert validated items in one transaction.

        Args:
            workspace_id: The workspace the items go to.
            items: Validated items (texts as the caller sent them).

        Returns:
            The upsert counts (all zero for no items; nothing is written then).
        """
        if not items:
            return _NOTHING
        prepared = prepare_items(
            items,
            self.redactor,
            self.identifier,
            customer_key=self.customer_key(workspace_id, items),
        )
        result = self.store.upsert_feedback(workspace_id, prepared)
        _mark_alerts(self.store, workspace_id, result)
        return result

    @contextmanager
    def pipeline(
        self, workspace_id: int, on_result: Callable[[UpsertResult], None]
    ) -> Iterator[ChunkPipeline]:
        """Prepare and store chunks of validated items in two background threads.

        One thread prepares a chunk (PII redaction, language id) while the other upserts the
        chunk before it, and the caller reads the next: SQLite and a child-process language
        identifier release the GIL, so the three overlap. Chunks are stored in the order they
        are submitted, each in its own transaction; at most one chunk is being prepared and
        one stored at a time. Leaving the block waits for every chunk; an error in preparing
        or storing one is raised there (or at a later submit).

        Args:
            workspace_id: The workspace the items go to.
            on_result: Called (in the caller's thread) with the counts of each stored chunk.

        Yields:
            The pipeline; call :meth:`ChunkPipeline.submit` with each chunk.
        """
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-prepare") as preparer,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-store") as writer,
        ):
            chunks = ChunkPipeline(self, workspace_id, preparer, writer, on_result)
            try:
                yield chunks
            except BaseException:
                chunks.abandon()
                raise
            chunks.drain()


class ChunkPipeline:
    """Chunks on their way to the store (see :meth:`IngestService.pipeline`)."""

    def __init__(
        self,
        service: IngestService,
        workspace_id: int,
        preparer: ThreadPoolExecutor,
        writer: ThreadPoolExecutor,
        on_result: Callable[[UpsertResult], None],
    ) -> None:
        self._service = service
        self._workspace_id = workspace_id
        self._preparer = preparer
        self._writer = writer
        self._on_result = on_result
        self._preparing: Future[list[PreparedFeedback]] | None = None
        self._storing: Future[UpsertResult] | None = None
        self.seconds: dict[str, float] = {"prepare": 0.0, "store": 0.0, "wait": 0.0}
        """Busy time of the background threads (``prepare``, ``store``) and the caller's time
        spent waiting for them (``wait``); read them after the pipeline block."""

    def submit(self, items: Sequence[FeedbackIn]) -> None:
        """Queue a chunk, after handing the chunk before it on to the store thread.

        Args:
            items: Validated items; the list is copied, so the caller may reuse it.
        """
        self._hand_on()
        chunk = list(items)
        if chunk:
            self._preparing = self._preparer.submit(self._prepare, chunk)

    def drain(self) -> None:
        """Wait until every submitted chunk is stored."""
        self._hand_on()
        self._collect()

    def abandon(self) -> None:
        """Wait for the background threads, ignoring their outcome (the caller is failing)."""
        for future in (self._preparing, self._storing):
            if future is not None:
                future.exception()
        self._preparing = self._storing = None

    def _prepare(self, items: list[FeedbackIn]) -> list[PreparedFeedback]:
        service = self._service
        tick = time.perf_counter()
        prepared = prepare_items(
            items,
            service.redactor,
            service.identifier,
            customer_key=service.customer_key(self._workspace_id, items),
        )
        self.seconds["prepare"] += time.perf_counter() - tick
        return prepared

    def _store(self, prepared: list[PreparedFeedback]) -> UpsertResult:
        tick = time.perf_counter()
        result = self._service.store.upsert_feedback(self._workspace_id, prepared)
        _mark_alerts(self._service.store, self._workspace_id, result)
        self.seconds["store"] += time.perf_counter() - tick
        return result

    def _hand_on(self) -> None:
        """Move the prepared chunk to the store thread (after the one it is storing)."""
        preparing, self._preparing = self._preparing, None
        if preparing is None:
            return
        prepared = self._result(preparing)
        self._collect()
        self._storing = self._writer.submit(self._store, prepared)

    def _collect(self) -> None:
        storing, self._storing = self._storing, None
        if storing is not None:
            self._on_result(self._result(storing))

    def _result(self, future: Future[R]) -> R:
        tick = time.perf_counter()
        try:
            return future.result()
        finally:
            self.seconds["wait"] += time.perf_counter() - tick
