"""Sentence embeddings from an ONNX model run by onnxruntime on the CPU.

The model folder (built by :mod:`feedback_nlp.build.onnx_export`) holds ``model.onnx``, whose
graph takes ``input_ids`` and ``attention_mask`` (int64, ``[batch, tokens]``) and returns
``sentence_embedding`` (float32, ``[batch, dim]``, mean-pooled over the real tokens and
L2-normalised inside the graph), the WordPiece ``tokenizer.json`` of the source model and
``manifest.json``. Texts are tokenized in Rust (``tokenizers``), cut at the source model's
``max_seq_length``, sorted by length so that each batch pads little, and run in batches; the rows
come back in input order. PyTorch is not imported.

Parallelism is across batches, not inside one (:mod:`feedback_nlp.embed.batching`): each of
``threads`` worker threads runs whole batches through the one session on a single onnxruntime
thread.
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
from feedback_nlp.embed.manifest import read_manifest
from feedback_nlp.errors import ModelLoadError

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
FORMAT = "feedback_nlp.onnx.v1"
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT = "sentence_embedding"


class OnnxEmbedder:
    """Embed texts with an ONNX sentence-embedding model stored in ``model_dir``.

    Args:
        model_dir: folder with ``manifest.json``, ``tokenizer.json`` and ``model.onnx``.
        name: the registry name reported in results.
        batch_size: texts per forward pass. Small batches keep the activations in cache: on
            4,000 corpus20k texts on two workers, 32 gave 336 texts per CPU-second, 16 293, 64 307.
        threads: worker threads, each running whole batches on one onnxruntime thread;
            ``None`` = :func:`available_cores`.
    """

    dim: int

    def __init__(
        self, *, model_dir: Path, name: str, batch_size: int = 32, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size: int = check_param("OnnxEmbedder", "batch_size", batch_size, BATCH_SIZE)
        self.name = name
        self.manifest = read_manifest(
            model_dir,
            expected_format=FORMAT,
            kind="ONNX",
            builder="feedback_nlp.build.onnx_export",
        )
        self.dim = int(self.manifest["dim"])
        self.max_seq_length = int(self.manifest["max_seq_length"])
        self.threads = threads or available_cores()
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel across batches: see the module docstring
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = ort.InferenceSession(
                str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped exceptions
            raise ModelLoadError(
                f"onnxruntime could not load '{model_dir / MODEL_FILE}': {error}. Rebuild it with "
                f"python -m feedback_nlp.build.onnx_export --out {model_dir}"
            ) from error

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, with ``[CLS]``/``[SEP]``, cut at ``max_seq_length``."""
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=True)
        return [list(encoding.ids) for encoding in encodings]

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; rows are L2-normalised and do not depend on the batch they were in."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)

        def embed_batch(batch: npt.NDArray[np.int64]) -> None:
            out[batch] = self._run([ids[i] for i in batch.tolist()])

        run_length_batches(
            [len(row) for row in ids],
            batch_size=self.batch_size,
            threads=self.threads,
            run=embed_batch,
        )
        return l2_normalise(out)

    def _run(self, rows: list[list[int]]) -> FloatMatrix:
        width = max(len(row) for row in rows)
        input_ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        result: list[npt.NDArray[Any]] = self._session.run(
            [OUTPUT], {INPUT_IDS: input_ids, ATTENTION_MASK: mask}
        )
        return np.asarray(result[0], dtype=np.float32)
