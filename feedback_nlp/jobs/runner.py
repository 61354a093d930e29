"""The mining job: a workspace's stored (redacted) items in, themes with stable ids out.

Stages, each reported through :class:`~feedback_nlp.jobs.context.JobContext` (which is also
where a cancel or a shutdown stops the job, between stages and between embedding batches):

=========  ========  ==================================================================
stage      progress  work
=========  ========  ==================================================================
load       0.02      the items that match the job's filters
split      0.10      opinion units (:class:`~feedback_nlp.text.units.OpinionUnitSplitter`)
embed      0.15-0.6  unit vectors through a :class:`~feedback_nlp.embed.cache.CachedEmbedder`
                     over the workspace's DB cache: unchanged units are never re-embedded
sentiment  0.62      unit sentiment, when a sentiment head for this embedder is installed
mine       0.65      :class:`~feedback_nlp.themes.miner.ThemeMiner`
register   0.90      stable ids from the workspace's :class:`ThemeRegistry` (kept in the DB)
save       0.95      one transaction: run row, units with theme ids, themes, history, registry,
                     then the analysts' taxonomy edits replayed on the new run
                     (:class:`~feedback_nlp.taxonomy.remine.RemineReplay`); the
                     workspace's alerts are then marked due (:mod:`feedback_nlp.alerts`)
=========  ========  ==================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from feedback_nlp.domain import JobRecord, MiningItem, MiningOutcome
from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.embed.cache import CachedEmbedder
from feedback_nlp.engines import Engine, EngineEmbedder, LocalEngine
from feedback_nlp.errors import FeedbackNLPError, InvalidInputError
from feedback_nlp.jobs.context import JobContext
from feedback_nlp.jobs.outcome import mined_themes, mined_units
from feedback_nlp.jobs.params import MineParams
from feedback_nlp.jobs.trust import small_corpus_warning
from feedback_nlp.memory import return_free_memory
from feedback_nlp.models import FINETUNED_SENTIMENT, MODEL_SPECS, ModelKind, load_model
from feedback_nlp.sentiment.cached import CachedSentimentEncoder
from feedback_nlp.sentiment.classifier import FloatArray, label_probs, scores_of
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.taxonomy.remine import RemineReplay
from feedback_nlp.taxonomy.vectors import KeyedVectors, phrase_embedder
from feedback_nlp.text.units import OpinionUnit, OpinionUnitSplitter
from feedback_nlp.themes.cluster import ThemeClusterer
from feedback_nlp.themes.content import content_texts
from feedback_nlp.themes.miner import ThemeMiner
from feedback_nlp.themes.registry import ThemeRegistry

__all__ = [
    "EMBED_BATCH",
    "EmbeddedUnits",
    "SentimentHead",
    "embed_units",
    "find_sentiment_head",
    "run_mine_job",
    "split_items",
]

logger = logging.getLogger(__name__)

EMBED_BATCH = 512
"""Units per embedding call; progress and stop checks happen between calls."""


@dataclass(frozen=True, slots=True)
class SentimentHead:
    """A loaded sentiment model and its name."""

    name: str
    model: Any  # a SentimentClassifier (vectors in) or a FineTunedSentiment (a branch, texts in)


def find_sentiment_head(embedder_name: str, dim: int) -> SentimentHead | None:
    """Load the registered sentiment head trained on ``embedder_name``, if one is installed.

    Returns ``None`` (and logs why) when there is none or it cannot be loaded: sentiment is
    optional, themes are not.
    """
    specs = [spec for spec in MODEL_SPECS.values() if spec.kind == ModelKind.SENTIMENT]
    # The fine-tuned branch models first: they are the more accurate (see their model cards).
    specs.sort(key=lambda spec: spec.name != FINETUNED_SENTIMENT)
    for spec in specs:
        try:
            head = load_model(spec.name)
        except FeedbackNLPError as error:
            logger.warning("sentiment head %s not used: %s", spec.name, error)
            continue
        if getattr(head, "embedder", None) == embedder_name and getattr(head, "dim", None) == dim:
            return SentimentHead(name=spec.name, model=head)
    return None


def _embed(
    embedder: CachedEmbedder,
    texts: list[str],
    context: JobContext,
    start: float,
    end: float,
    chunk: int = EMBED_BATCH,
) -> FloatMatrix:
    parts: list[FloatMatrix] = []
    for first in range(0, len(texts), chunk):
        parts.append(embedder.encode(texts[first : first + chunk]))
        done = min(len(texts), first + chunk) / len(texts)
        context.stage(start + (end - start) * done, "embed")
    return np.vstack(parts) if parts else np.empty((0, embedder.dim), dtype=np.float32)


def _branches(head: SentimentHead, model: Any) -> bool:
    """Whether ``head`` runs as a branch of ``model`` in the embedding pass."""
    return hasattr(head.model, "encode_and_predict") and (
        getattr(model, "trunk_layers", None) == head.model.branch.from_layer
        and model.name == head.model.embedder
    )


def _embed_with_sentiment(
    encoder: CachedSentimentEncoder,
    texts: list[str],
    context: JobContext,
    start: float,
    end: float,
    chunk: int = EMBED_BATCH,
) -> tuple[FloatMatrix, FloatArray]:
    vectors: list[FloatMatrix] = []
    probs: list[FloatArray] = []
    for first in range(0, len(texts), chunk):
        part_vectors, part_probs = encoder.encode(texts[first : first + chunk])
        vectors.append(part_vectors)
        probs.append(part_probs)
        done = min(len(texts), first + chunk) / len(texts)
        context.stage(start + (end - start) * done, "embed + sentiment")
    if not vectors:
        return np.empty((0, encoder.cached.dim), dtype=np.float32), np.empty((0, 3))
    return np.vstack(vectors), np.vstack(probs)


@dataclass(frozen=True, slots=True)
class EmbeddedUnits:
    """Opinion units of some items with their vectors and, when a head ran, their sentiment.

    Attributes:
        texts: Each unit's text.
        langs: Each unit's language (its item's).
        vectors: Unit-norm vectors, one row per unit.
        predicted: Sentiment labels and scores (``None``: no sentiment head).
        cached: The cached embedder used (its ``hits`` and ``misses``).
    """

    texts: list[str]
    langs: list[str]
    vectors: FloatMatrix
    predicted: tuple[list[str], Any] | None
    cached: CachedEmbedder


def split_items(items: Sequence[MiningItem]) -> list[OpinionUnit]:
    """The opinion units of ``items`` (the mining run's splitter)."""
    return OpinionUnitSplitter().split_many([i.text for i in items], [i.lang for i in items])


def embed_units(
    store: Store,
    workspace_id: int,
    items: Sequence[MiningItem],
    units: Sequence[OpinionUnit],
    model: Embedder,
    head: SentimentHead | None,
    context: JobContext,
    chunk: int = EMBED_BATCH,
) -> EmbeddedUnits:
    """Embed units (through the workspace's cache) and score their sentiment with ``head``.

    The text path of a mining run (stages ``embed`` 0.15-0.6 and ``sentiment`` 0.62), also
    what assigns new feedback between runs (:mod:`feedback_nlp.jobs.assign`).
    """
    texts = [unit.text for unit in units]
    langs = [items[unit.item_index].lang for unit in units]
    cached = CachedEmbedder(model, store.vector_cache(workspace_id))
    content = content_texts(texts)
    probs: FloatArray | None = None
    if head is not None and _branches(head, model):
        encoder = CachedSentimentEncoder(cached, head.model)
        vectors, probs = _embed_with_sentiment(encoder, content, context, 0.15, 0.6, chunk)
    else:
        vectors = _embed(cached, content, context, 0.15, 0.6, chunk)
    predicted: tuple[list[str], Any] | None = None
    if head is not None:
        context.stage(0.62, "sentiment")
        if probs is None:
            probs = (
                head.model.predict_proba_texts(content)  # a branch, but the embedder is remote
                if hasattr(head.model, "predict_proba_texts")
                else head.model.predict_proba(vectors)
            )
        predicted = (label_probs(probs), np.asarray(scores_of(probs), dtype=np.float64))
    return EmbeddedUnits(texts, langs, vectors, predicted, cached)


def run_mine_job(
    store: Store,
    job: JobRecord,
    settings: Settings,
    context: JobContext | None = None,
    *,
    embedder: Embedder | None = None,
    sentiment: SentimentHead | bool | None = True,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Run a claimed ``mine`` job to the end; returns the job's result.

    Args:
        store: The store the job lives in.
        job: The claimed (running) job; its params are read with :meth:`MineParams.from_json`.
        settings: Where the embedder names come from (``settings.models.embedder``, or
            ``settings.models.fast_embedder`` for a job in ``fast`` mode).
        context: Progress and stop checks (default: a fresh one for ``job``).
        embedder: An already loaded embedder, run in this process when it is the one the job's
            mode asks for (otherwise: embed with the mode's embedder on ``engine``).
        sentiment: A loaded head, ``True`` to look one up, ``False``/``None`` to skip sentiment.
        engine: Where embedding (cache misses only) and mining run (default: this process).

    Returns:
        ``run_id``, counts of items, units, themes and unassigned units, cache hits and misses,
        the sentiment head used (``None``: unit sentiment left empty), and ``warning``: why
        the themes cannot be trusted yet (too few items, :mod:`feedback_nlp.jobs.trust`), or
        ``None``; ``taxonomy``: how the recorded taxonomy edits fared on the new run (counts,
        and ``not_applied``: each edit skipped or partly applied, with the reason).

    Raises:
        InvalidInputError: If the parameters are wrong or no item matches them.
        JobCancelled: If the job was cancelled between stages.
        JobInterrupted: If the worker is stopping.
        JobLost: If another worker took the job over (nothing of this run is saved).
    """
    context = context or JobContext(store, job)
    params = MineParams.from_json(job.params)
    started = utcnow()

    context.stage(0.02, "load")
    items = store.mining_items(job.workspace_id, params.filters)
    if not items:
        raise InvalidInputError(
            "No feedback matches this mine job's filters. Ingest feedback first, or widen the "
            "filters."
        )

    context.stage(0.10, "split")
    units = split_items(items)
    if not units:
        raise InvalidInputError("The matching feedback has no text to mine (no opinion units).")

    context.stage(0.15, "embed")
    engine = engine or LocalEngine()
    wanted = settings.models.fast_embedder if params.mode == "fast" else settings.models.embedder
    if embedder is not None and embedder.name != wanted:
        embedder = None  # the worker's loaded model is the other mode's
    model = embedder if embedder is not None else EngineEmbedder(engine, wanted)
    chunk = EMBED_BATCH if embedder is not None else engine.chunk_size
    head = find_sentiment_head(model.name, model.dim) if sentiment is True else sentiment or None
    embedded = embed_units(store, job.workspace_id, items, units, model, head, context, chunk)
    texts, langs, vectors = embedded.texts, embedded.langs, embedded.vectors
    cached, predicted = embedded.cached, embedded.predicted

    return_free_memory()  # what embedding freed, before clustering allocates (feedback_nlp.memory)
    context.stage(0.65, "mine")
    clusterer = ThemeClusterer(min_theme_size=params.min_theme_size)
    miner = ThemeMiner(
        clusterer=clusterer,
        n_resamples=params.n_resamples,
        seed=params.seed,
        unit_items=[unit.item_index for unit in units],
    )
    result = engine.mine(miner, vectors, texts, langs)

    context.stage(0.90, "register")
    registry = store.load_registry(job.workspace_id) or ThemeRegistry()
    keys = [f"{items[u.item_index].item_id}:{u.unit_index}" for u in units]
    ids = registry.update(result, vectors, keys, langs, space=model.name)
    unit_themes = [ids[t] if t >= 0 else None for t in result.assignments.tolist()]

    context.stage(0.95, "save")
    taxonomy = RemineReplay(
        store,
        job.workspace_id,
        vectors=KeyedVectors(keys, vectors),
        embed_phrases=phrase_embedder(model),
    )

    def hold(connection: Any) -> None:
        context.hold(connection)  # a worker whose job was taken over saves nothing
        taxonomy.lock(connection)  # before any unit row is written (no lock-order deadlock)

    run_id = store.save_mining(
        job.workspace_id,
        MiningOutcome(
            job_id=job.id,
            embedder=model.name,
            started_at=started,
            item_ids=[item.item_id for item in items],
            units=mined_units(units, items, unit_themes, predicted),
            themes=mined_themes(result, ids, units, items, registry.id_prefix),
            registry=registry,
            n_unassigned=result.n_unassigned,
            config={
                "params": params.to_json(),
                "miner": result.config,
                # The general-sentiment pool (no migration needed): these themes carry
                # sentiment or courtesy but no topic and are not issues to rank.
                "general_theme_ids": [ids[t.index] for t in result.themes if t.general],
                "display_lang": result.display_lang,
            },
        ),
        guard=hold,
        then=taxonomy,  # the edits replayed in the run's own transaction
    )
    store.mark_alerts_due(job.workspace_id)  # new themes: the alert worker evaluates them
    return {
        "run_id": run_id,
        "n_items": len(items),
        "n_units": len(units),
        "n_themes": len(result.themes),
        "n_unassigned": result.n_unassigned,
        "embedded": cached.misses,
        "cache_hits": cached.hits,
        "embedder": model.name,
        "engine": engine.name,
        "sentiment": None if head is None else head.name,
        "warning": small_corpus_warning(len(items)),  # None from MIN_TRUSTED_ITEMS items on
        "taxonomy": taxonomy.report,  # how the recorded edits fared on this run
    }
