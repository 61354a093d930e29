"""The Ray engine: embedding as a Ray Data job, mining as a Ray task, on a Ray cluster.

Embedding: the texts become a dataset of ``(index, text)`` rows, split into blocks of
``batch_size``; ``map_batches`` runs them through a pool of actors (``concurrency`` of them), each
of which loads the model once, in its constructor, and then embeds every batch it is given. The
vectors come back with their index, and are put back in input order, so the result is the
matrix :class:`~feedback_nlp.engines.local.LocalEngine` would return.

Mining: :meth:`ThemeMiner.fit` runs as one Ray task (``mine_cpus`` CPUs) on whichever node has
room; the embeddings travel through the object store.

Ray is imported only when a :class:`RayEngine` is made (``feedback-nlp mine --engine ray``).
Every node needs this package and its model packages installed; model files are read from the
nodes' own installations, never downloaded.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.errors import EngineNotInstalledError
from feedback_nlp.models import get_spec, load_model
from feedback_nlp.themes.miner import MiningResult, ThemeMiner

__all__ = ["RAY_REQUIREMENT", "RayEngine", "import_ray"]

RAY_REQUIREMENT = "feedback-nlp[ray]"
"""What ``pip install`` needs for this engine."""


def import_ray() -> Any:
    """Import and return the ``ray`` module, with usage statistics off.

    Raises:
        EngineNotInstalledError: If Ray (with Ray Data) is not installed.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray = importlib.import_module("ray")
        importlib.import_module("ray.data")
    except ImportError as error:
        raise EngineNotInstalledError("ray", RAY_REQUIREMENT, str(error)) from None
    return ray


class _EmbedBatch:
    """The per-actor embedding step: the model is loaded once, when the actor starts."""

    def __init__(self, embedder: str) -> None:
        self.model: Embedder = load_model(embedder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.model.encode([str(text) for text in batch["text"]])
        return {"index": batch["index"], "vector": np.asarray(vectors, dtype=np.float32)}


def _fit(
    miner: ThemeMiner, embeddings: FloatMatrix, texts: list[str], langs: list[str]
) -> MiningResult:
    return miner.fit(embeddings, texts, langs)


class RayEngine:
    """Embeds and mines on a Ray cluster.

    Args:
        address: The cluster to join (``"auto"``, ``"ray://head:10001"``, ``"HOST:6379"``);
            ``None`` joins the cluster this process already joined, or else starts a private
            local Ray instance that :meth:`close` stops.
        concurrency: Embedding actors (default: one per CPU of the cluster, at most one per
            batch).
        batch_size: Texts per batch sent to an actor.
        mine_cpus: CPUs reserved for the mining task.
        num_cpus: CPUs of a private local instance (default: all of this machine's).
        chunk_size: Texts per :meth:`embed` call a job makes: each call is one Ray Data job, so
            actors (and models) start once per chunk.

    Raises:
        EngineNotInstalledError: If Ray is not installed.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        concurrency: int | None = None,
        batch_size: int = 256,
        mine_cpus: int = 1,
        num_cpus: int | None = None,
        chunk_size: int = 200_000,
    ) -> None:
        self._ray = import_ray()
        self.address = address
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.mine_cpus = mine_cpus
        self.num_cpus = num_cpus
        self.chunk_size = chunk_size
        self._started = False

    def _connect(self) -> Any:
        ray = self._ray
        if not ray.is_initialized():
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address is None:
                options["num_cpus"] = self.num_cpus
            ray.init(address=self.address, **options)
            self._started = True
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
        return ray

    def _actors(self, n_batches: int) -> int:
        if self.concurrency is not None:
            return max(1, min(self.concurrency, n_batches))
        cpus = int(self._ray.cluster_resources().get("CPU", 1))
        return max(1, min(cpus, n_batches))

    def embed(self, texts: Sequence[str], embedder: str) -> FloatMatrix:
        """Embed ``texts`` on the cluster; row ``i`` of the result is ``texts[i]``'s vector."""
        ray = self._connect()
        if not texts:
            return np.empty((0, get_spec(embedder).dim or 0), dtype=np.float32)
        n_batches = math.ceil(len(texts) / self.batch_size)
        rows = [{"index": i, "text": text} for i, text in enumerate(texts)]
        dataset = ray.data.from_items(rows, override_num_blocks=n_batches)
        embedded = dataset.map_batches(
            _EmbedBatch,
            fn_constructor_kwargs={"embedder": embedder},
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self._actors(n_batches)),
            num_cpus=1,
        )
        out: FloatMatrix | None = None
        filled = np.zeros(len(texts), dtype=bool)
        for batch in embedded.iter_batches(batch_format="numpy", batch_size=None):
            index = np.asarray(batch["index"], dtype=np.int64)
            vectors = np.asarray(batch["vector"], dtype=np.float32)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[index] = vectors
            filled[index] = True
        if out is None or not filled.all():
            missing = int((~filled).sum())
            raise RuntimeError(f"Ray returned no vector for {missing} of {len(texts)} texts.")
        return out

    def mine(
        self,
        miner: ThemeMiner,
        embeddings: FloatMatrix,
        texts: Sequence[str],
        langs: Sequence[str],
    ) -> MiningResult:
        """Fit ``miner`` in a Ray task; the embeddings go through the object store."""
        ray = self._connect()
        task = ray.remote(num_cpus=self.mine_cpus)(_fit)
        vectors = ray.put(np.ascontiguousarray(embeddings, dtype=np.float32))
        result: MiningResult = ray.get(task.remote(miner, vectors, list(texts), list(langs)))
        return result

    def close(self) -> None:
        """Disconnect if this engine connected: a local instance stops, a cluster runs on."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False
