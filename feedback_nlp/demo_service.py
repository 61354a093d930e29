"""The demo behind ``make run``: the demo corpus in the store, a key, a finished mine job.

``feedback-nlp demo --serve`` calls :func:`prepare_demo_workspace` and then serves the API: the
demo workspace is ready to browse at ``/docs`` with the printed key. Ingesting is idempotent (a
second run finds every item unchanged) and the embedding cache lives in the database, so later
runs re-mine in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from feedback_nlp.demo import read_demo_items
from feedback_nlp.domain import (
    TERMINAL_JOB_STATES,
    JobRecord,
    ThemeRecord,
    UpsertResult,
    Workspace,
)
from feedback_nlp.error_codes import DEMO_JOB
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.themes.display import display_label, workspace_language

DEMO_WORKSPACE = "demo"
DEMO_KEY_NAME = "demo-run"
"""The name of the key each run mints; the keys of earlier runs are revoked (see ``keys list``)."""
TOP_THEMES = 12


class DemoJobError(FeedbackNLPError, RuntimeError):
    """The demo's mine job did not succeed."""

    error = DEMO_JOB


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
        The workspace, its new key (shown once), the ingest counts and the finished job. The
        keys earlier runs minted (named :data:`DEMO_KEY_NAME`) are revoked first: one demo key
        works at a time.

    Raises:
        DemoJobError: If the mine job fails or is cancelled.
    """
    from feedback_nlp.jobs.worker import JobWorker

    revoked = revoke_earlier_demo_keys(store)
    key = store.create_api_key(DEMO_WORKSPACE, name=DEMO_KEY_NAME)
    if revoked:
        console.print(
            f"Revoked {revoked} demo {'key' if revoked == 1 else 'keys'} of earlier runs "
            "('feedback-nlp keys list' shows every key)."
        )
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
    console.print(themes_table(store.list_themes(workspace.id)))
    return DemoWorkspace(workspace=workspace, key=key, ingested=ingested, job=job)


def revoke_earlier_demo_keys(store: Store) -> int:
    """Revoke the active keys that earlier demo runs minted; return how many."""
    if store.get_workspace_by_name(DEMO_WORKSPACE) is None:
        return 0
    earlier = [k for k in store.list_api_keys(DEMO_WORKSPACE) if k.name == DEMO_KEY_NAME]
    return sum(store.revoke_api_key(k.key_id) for k in earlier)


def themes_table(themes: Sequence[ThemeRecord], top: int = TOP_THEMES) -> Table:
    """The largest ``top`` active themes (not parent groups), titled "showing K of N".

    Themes of the general-sentiment pool (sentiment without a topic) are marked.

    Args:
        themes: The workspace's themes, largest first (``Store.list_themes``).
        top: How many rows.
    """
    listed = [theme for theme in themes if theme.level == 0 and theme.active]
    shown = listed[:top]
    title = f"{len(listed)} themes in the demo workspace"
    if len(shown) < len(listed):
        title += f": showing {len(shown)} of {len(listed)}, largest first"
    # wide enough for the title on one line
    table = Table("id", "units", "label", title=title, min_width=len(title) + 4)
    display = workspace_language(themes)  # the titles the dashboard shows
    for theme in shown:
        label = escape(display_label(theme, display))
        if theme.general:
            label += " [dim](general sentiment)[/dim]"
        table.add_row(theme.theme_id, str(theme.size), label)
    if len(shown) < len(listed):
        table.caption = "every theme: the dashboard (/ui) or GET /v1/themes"
    return table
