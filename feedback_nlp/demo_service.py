"""The demo behind ``make run``: the demo corpus in the store, a key, a finished mine job.

``feedback-nlp demo --serve`` calls :func:`prepare_demo_workspace` and then serves the API: the
demo workspace is ready to browse at ``/docs`` with the printed key. Ingesting is idempotent (a
second run finds every item unchanged) and the embedding cache lives in the database, so later
runs re-mine in seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from feedback_nlp.demo import read_demo_items
from feedback_nlp.domain import TERMINAL_JOB_STATES, JobRecord, UpsertResult, Workspace
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

DEMO_WORKSPACE = "demo"


class DemoJobError(FeedbackNLPError, RuntimeError):
    """The demo's mine job did not succeed."""

    code = "E500"
    status = 500
    title = "Demo mine job failed"


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    """What :func:`prepare_demo_workspace` left in the store."""

    workspace: Workspace
    key: str
    ingested: UpsertResult
    job: JobRecord


def prepare_demo_workspace(
    store: Store, settings: Settings, *, console: Console, poll_s: float = 0.5
) -> DemoWorkspace:
    """Ingest the demo corpus, create a key, and mine themes to completion.

    Args:
        store: A migrated store (``open_store(settings.database.url)``).
        settings: Limits and models of the run.
        console: Where progress and the theme table go.
        poll_s: How often the job's progress is read.

    Returns:
        The workspace, its new key (shown once), the ingest counts and the finished job.

    Raises:
        DemoJobError: If the mine job fails or is cancelled.
    """
    from feedback_nlp.jobs.worker import JobWorker

    key = store.create_api_key(DEMO_WORKSPACE)
    workspace = store.get_workspace_by_name(DEMO_WORKSPACE)
    assert workspace is not None  # create_api_key creates it
    with console.status("Ingesting the demo corpus (PII redaction, language id)..."):
        service = IngestService(
            store,
            PiiRedactor(),
            LanguageIdentifier(),
            max_text_chars=settings.limits.max_text_chars,
        )
        outcome = service.ingest(workspace.id, read_demo_items())
    ingested = UpsertResult(
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        superseded=outcome.superseded,
    )
    stored = outcome.received - outcome.rejected
    console.print(
        f"Demo corpus: {stored} items stored ({ingested.created} new, {ingested.updated} "
        f"updated, {ingested.unchanged} unchanged), {len(outcome.errors)} row errors."
    )

    job = store.create_job(workspace.id, "mine", {})
    worker = JobWorker(store, settings)
    worker.start()
    try:
        with console.status("Mining themes...") as status:
            while job.state not in TERMINAL_JOB_STATES:
                time.sleep(poll_s)
                job = store.get_job(workspace.id, job.id)
                status.update(f"Mining themes: {job.stage or 'queued'} {job.progress:.0%}")
    finally:
        worker.stop()
    if job.state != "succeeded":
        raise DemoJobError(f"The demo mine job ended '{job.state}': {job.error}.")
    console.print(_themes_table(store, workspace))
    return DemoWorkspace(workspace=workspace, key=key, ingested=ingested, job=job)


def _themes_table(store: Store, workspace: Workspace, top: int = 12) -> Table:
    themes = [theme for theme in store.list_themes(workspace.id) if theme.level == 0]
    table = Table("id", "units", "label", title=f"{len(themes)} themes in the demo workspace")
    for theme in themes[:top]:
        table.add_row(theme.theme_id, str(theme.size), theme.display_label)
    return table
