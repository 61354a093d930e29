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
* :meth:`IngestService.pipeline` does the same for a stream of chunks, in three background
  threads, one chunk each: one chunk is redacted and its language identified (both in the
  identifier's child process when it runs in one), the chunk before is made into prepared
  items (segment values redacted, customer ids pseudonymised), the one before that is stored,
  and the caller reads and validates the next.
  SQLite's statement steps then overlap with the Python work, and so does language
  identification when the identifier runs in a child process
  (:class:`~feedback_nlp.text.langid_process.LanguageIdProcess`, as in the CLI and the server:
  lingua keeps the GIL while it detects). At most four chunks are held at once, so memory
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
from typing import Any, TypeVar

from feedback_nlp.domain import FeedbackIn, PreparedFeedback, RowError, UpsertResult
from feedback_nlp.ingest.prepare import build_items, prepare_items, redact_and_identify
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifying
from feedback_nlp.text.langid_process import RedactedGuess
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
        """Redact, identify and store chunks of validated items in three background threads.

        While one thread has a chunk redacted and identified (by the identifier's child
        process, when it is a :class:`~feedback_nlp.text.langid_process.LanguageIdProcess`: the
        thread waits without the GIL), the next builds the prepared items of the chunk before,
        the third upserts the chunk before that (SQLite releases the GIL too), and the caller
        reads the next: the four overlap. Chunks are stored in the order they are submitted,
        each in its own transaction; each thread works on one chunk at a time. Leaving the
        block waits for every chunk; an error in a stage is raised there (or at a later
        submit).

        Args:
            workspace_id: The workspace the items go to.
            on_result: Called (in the caller's thread) with the counts of each stored chunk.

        Yields:
            The pipeline; call :meth:`ChunkPipeline.submit` with each chunk.
        """
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-identify") as identifying,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-build") as building,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-store") as writer,
        ):
            chunks = ChunkPipeline(self, workspace_id, (identifying, building, writer), on_result)
            try:
                yield chunks
            except BaseException:
                chunks.abandon()
                raise
            chunks.drain()


class ChunkPipeline:
    """Chunks on their way to the store (see :meth:`IngestService.pipeline`).

    The stages (redact + identify, build, store) form a bucket brigade: each :meth:`submit`
    waits for every stage to finish its chunk, hands each result to the next stage, and starts
    the new chunk in the first.
    """

    def __init__(
        self,
        service: IngestService,
        workspace_id: int,
        executors: tuple[ThreadPoolExecutor, ThreadPoolExecutor, ThreadPoolExecutor],
        on_result: Callable[[UpsertResult], None],
    ) -> None:
        self._service = service
        self._workspace_id = workspace_id
        self._executors = executors
        self._stages: tuple[Callable[[Any], Any], ...] = (self._identify, self._build, self._store)
        self._on_result = on_result
        self._in_flight: list[Future[Any] | None] = [None] * len(executors)
        self._busy = [0.0] * len(executors)  # each stage's own thread adds to its entry
        self._waited = 0.0

    @property
    def seconds(self) -> dict[str, float]:
        """Busy time of the background threads and the caller's wait for them.

        ``prepare`` is redaction, language id and building together, ``store`` the upserts,
        ``wait`` the caller's time spent waiting; read them after the pipeline block.
        """
        identify, build, store = self._busy
        return {"prepare": identify + build, "store": store, "wait": self._waited}

    def submit(self, items: Sequence[FeedbackIn]) -> None:
        """Queue a chunk, after handing each chunk in flight on to its next stage.

        Args:
            items: Validated items; the list is copied, so the caller may reuse it.
        """
        self._hand_on()
        chunk = list(items)
        if chunk:
            self._in_flight[0] = self._executors[0].submit(self._stages[0], chunk)

    def drain(self) -> None:
        """Wait until every submitted chunk is stored."""
        for _ in self._in_flight:
            self._hand_on()

    def abandon(self) -> None:
        """Wait for the background threads, ignoring their outcome (the caller is failing)."""
        for future in self._in_flight:
            if future is not None:
                future.exception()
        self._in_flight = [None] * len(self._in_flight)

    def _identify(self, items: list[FeedbackIn]) -> tuple[list[FeedbackIn], list[RedactedGuess]]:
        tick = time.perf_counter()
        service = self._service
        texts = redact_and_identify(
            [item.text for item in items], service.redactor, service.identifier
        )
        self._busy[0] += time.perf_counter() - tick
        return items, texts

    def _build(
        self, identified: tuple[list[FeedbackIn], list[RedactedGuess]]
    ) -> list[PreparedFeedback]:
        tick = time.perf_counter()
        service = self._service
        items, texts = identified
        prepared = build_items(
            items,
            texts,
            service.redactor,
            customer_key=service.customer_key(self._workspace_id, items),
        )
        self._busy[1] += time.perf_counter() - tick
        return prepared

    def _store(self, prepared: list[PreparedFeedback]) -> UpsertResult:
        tick = time.perf_counter()
        result = self._service.store.upsert_feedback(self._workspace_id, prepared)
        _mark_alerts(self._service.store, self._workspace_id, result)
        self._busy[2] += time.perf_counter() - tick
        return result

    def _hand_on(self) -> None:
        """Collect the stored chunk, then move every other chunk one stage on (last first)."""
        in_flight = self._in_flight
        last = len(in_flight) - 1
        stored, in_flight[last] = in_flight[last], None
        if stored is not None:
            self._on_result(self._result(stored))
        for stage in range(last - 1, -1, -1):
            done, in_flight[stage] = in_flight[stage], None
            if done is not None:
                following = stage + 1
                in_flight[following] = self._executors[following].submit(
                    self._stages[following], self._result(done)
                )

    def _result(self, future: Future[R]) -> R:
        tick = time.perf_counter()
        try:
            return future.result()
        finally:
            self._waited += time.perf_counter() - tick
