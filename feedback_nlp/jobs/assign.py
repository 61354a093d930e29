"""The ``assign`` job: feedback ingested since the latest mining run joins its themes.

Ingest queues one (:meth:`~feedback_nlp.store.assignment.AssignmentStore.queue_assignment`,
coalesced: at most one waits per workspace) and the job worker runs it like a mining job, under
a lease, never beside a mining run of the same workspace. The job takes the text path of a
mining run (:func:`~feedback_nlp.jobs.runner.split_items`, :func:`~feedback_nlp.jobs.runner.
embed_units`: the run's unit splitter, its embedder through the embeddings cache, its sentiment
head), gives each unit the theme the run's registry would (:meth:`~feedback_nlp.themes.registry.
ThemeRegistry.assign`: the nearest theme of the run when at or above that theme's acceptance bar,
the 5% quantile of its members' similarities to its centroid; else unassigned), and writes the
units with the analysts' edits replayed on them (:func:`~feedback_nlp.taxonomy.between.
assign_between_mines`). The workspace's alerts are then marked due.

=========  ========  ==================================================================
stage      progress  work
=========  ========  ==================================================================
load       0.02      the latest run, and the items of its filters written since it began
                     that have no units
split      0.10      opinion units
embed      0.15-0.6  unit vectors (cache first), with sentiment when a head is installed
assign     0.80      the registry's nearest theme per unit
save       0.90      one transaction: units, the edits replayed, the seeds widened
=========  ========  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from feedback_nlp.domain import JobRecord
from feedback_nlp.embed.base import Embedder
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.jobs.context import JobContext
from feedback_nlp.jobs.outcome import mined_units
from feedback_nlp.jobs.params import MineParams
from feedback_nlp.jobs.runner import SentimentHead, embed_units, find_sentiment_head, split_items
from feedback_nlp.store import Store
from feedback_nlp.taxonomy.between import assign_between_mines
from feedback_nlp.taxonomy.vectors import EmbeddedVectors, KeyedVectors, phrase_embedder
from feedback_nlp.taxonomy_records import unit_key
from feedback_nlp.themes.registry import ThemeRegistry

__all__ = ["run_assign_job"]

Loader = Callable[[str], Embedder]
HeadFinder = Callable[[Embedder], SentimentHead | None]


def _find_head(model: Embedder) -> SentimentHead | None:
    return find_sentiment_head(model.name, model.dim)


def _load_model(name: str) -> Embedder:
    from feedback_nlp.models import load_model  # the model stack, only when a model is needed

    model: Embedder = load_model(name)
    return model


def _nothing(run_id: int | None, n_items: int = 0) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "n_items": n_items,
        "n_units": 0,
        "n_assigned": 0,
        "n_unassigned": 0,
        "n_hidden": 0,
        "claimed_by_seeds": {},
        "taxonomy": {},
    }


def run_assign_job(
    store: Store,
    job: JobRecord,
    context: JobContext | None = None,
    *,
    embedder: Embedder | None = None,
    load: Loader | None = None,
    head_of: HeadFinder | None = None,
    sentiment: bool = True,
) -> dict[str, Any]:
    """Run a claimed ``assign`` job to the end; returns the job's result.

    Args:
        store: The store the job lives in.
        job: The claimed (running) job (no parameters).
        context: Progress and stop checks (default: a fresh one for ``job``).
        embedder: A loaded embedder, used when it is the one the latest run used.
        load: Loads the run's embedder otherwise (default: :func:`feedback_nlp.models.load_model`).
        head_of: The sentiment head of an embedder (default: looked up each time,
            :func:`~feedback_nlp.jobs.runner.find_sentiment_head`).
        sentiment: Whether to score the units' sentiment (as the mining run does).

    Returns:
        ``run_id`` (``None``: never mined, or a newer run was saved meanwhile), counts of items
        and units written, of units assigned, unassigned and hidden (in ignored themes), the
        units each seed claimed, and ``taxonomy``: how the edits fared.

    Raises:
        InvalidInputError: If the job has parameters (it takes none).
    """
    if job.params:
        raise InvalidInputError(
            f"An assign job takes no parameters. Got {sorted(job.params)}. Queue it with {{}}."
        )
    context = context or JobContext(store, job)
    context.stage(0.02, "load")
    run = store.latest_mining_run(job.workspace_id)
    if run is None:
        return _nothing(None)
    filters = MineParams.from_json(run.config.get("params") or {}).filters
    items = store.assignment_items(job.workspace_id, run, filters)
    context.stage(0.10, "split")
    units = split_items(items)
    if not units:
        return _nothing(run.run_id, len(items))

    context.stage(0.15, "embed")
    model = embedder if embedder is not None and embedder.name == run.embedder else None
    model = model or (load or _load_model)(run.embedder)
    head = (head_of or _find_head)(model) if sentiment else None
    embedded = embed_units(store, job.workspace_id, items, units, model, head, context)

    context.stage(0.80, "assign")
    registry = store.load_registry(job.workspace_id) or ThemeRegistry()
    found = store.run_theme_ids(job.workspace_id, run.run_id)  # merged away: stored inactive
    registry.themes_ = [replace(t, active=t.id in found) for t in registry.themes_]
    mined = registry.assign(embedded.vectors)  # as the run would have: nearest theme, its bar
    rows = mined_units(units, items, mined, embedded.predicted)
    keys = [unit_key(row.item_id, row.unit_index) for row in rows]

    context.stage(0.90, "save")
    written = assign_between_mines(
        store,
        job.workspace_id,
        run.run_id,
        rows,
        KeyedVectors(keys, embedded.vectors),
        embed_phrases=phrase_embedder(model),
        cached=EmbeddedVectors(model, store.vector_cache(job.workspace_id)),
        guard=context.hold,
    )
    if written.themes:
        store.mark_alerts_due(job.workspace_id)  # theme shares changed: the alerts look again
    assigned = sum(theme is not None for theme in written.themes.values())
    return {
        "run_id": written.run_id,
        "n_items": len({key.split(":")[0] for key in written.themes}),
        "n_units": len(written.themes),
        "n_assigned": assigned,
        "n_unassigned": len(written.themes) - assigned,
        "n_hidden": written.hidden,
        "claimed_by_seeds": written.claimed_by_seeds,
        "embedder": model.name,
        "sentiment": None if head is None else head.name,
        "taxonomy": written.report,
    }
