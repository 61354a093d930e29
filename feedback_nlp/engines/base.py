"""The engine contract: where the two heavy steps of a mining job (embed, mine) run.

A mining job loads, splits, caches and saves in the calling process; an :class:`Engine` does the
work in between. :class:`~feedback_nlp.engines.local.LocalEngine` runs both steps in this
process; :class:`~feedback_nlp.engines.ray.RayEngine` runs them on a Ray cluster. Both take and
return the same arrays, so a job's themes do not depend on the engine it ran on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.models import get_spec
from feedback_nlp.themes.miner import MiningResult, ThemeMiner

__all__ = ["Engine", "EngineEmbedder"]


@runtime_checkable
class Engine(Protocol):
    """Runs the embedding and mining steps of a job.

    Attributes:
        name: ``"local"`` or ``"ray"``.
        chunk_size: Texts a job hands to :meth:`embed` per call; progress and cancel checks
            happen between calls.
    """

    name: str
    chunk_size: int

    def embed(self, texts: Sequence[str], embedder: str) -> FloatMatrix:
        """Embed ``texts`` with the registered model ``embedder``.

        Returns:
            A float32 array of shape ``(len(texts), dim)`` whose row ``i`` is ``texts[i]``'s
            L2-normalised vector.
        """
        ...

    def mine(
        self,
        miner: ThemeMiner,
        embeddings: FloatMatrix,
        texts: Sequence[str],
        langs: Sequence[str],
    ) -> MiningResult:
        """Return ``miner.fit(embeddings, texts, langs)``, computed where the engine runs."""
        ...

    def close(self) -> None:
        """Release what the engine started (a local Ray instance); idempotent."""
        ...


class EngineEmbedder:
    """An :class:`~feedback_nlp.embed.base.Embedder` whose ``encode`` runs on an engine.

    Lets a :class:`~feedback_nlp.embed.cache.CachedEmbedder` send only its cache misses to the
    engine. The dimension comes from the model registry, so the model is never loaded here.

    Args:
        engine: Where texts are embedded.
        name: A registered embedder (``feedback-nlp models list``).

    Raises:
        NotFoundError: If ``name`` is not registered.
    """

    def __init__(self, engine: Engine, name: str) -> None:
        spec = get_spec(name)
        self.engine = engine
        self.name = spec.name
        self.dim = spec.dim or 0
        if not self.dim:
            self.dim = int(engine.embed(["dimension probe"], name).shape[1])

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts`` on the engine; rows are L2-normalised."""
        return self.engine.embed(texts, self.name)
