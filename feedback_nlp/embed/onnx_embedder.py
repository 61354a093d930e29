"""Sentence embeddings from an ONNX model run by onnxruntime on the CPU.

The model folder (built by :mod:`feedback_nlp.embed.onnx_export`) holds ``model.onnx``, whose
graph takes ``input_ids`` and ``attention_mask`` (int64, ``[batch, tokens]``) and returns
``sentence_embedding`` (float32, ``[batch, dim]``, mean-pooled over the real tokens and
L2-normalised inside the graph), the WordPiece ``tokenizer.json`` of the source model and
``manifest.json``. Texts are tokenized in Rust (``tokenizers``), cut at the source model's
``max_seq_length``, sorted by length so that each batch pads little, and run in batches; the rows
come back in input order. PyTorch is not imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.embed.base import FloatMatrix, l2_normalise
from feedback_nlp.errors import InvalidInputError, ModelLoadError

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"
FORMAT = "feedback_nlp.onnx.v1"
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT = "sentence_embedding"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxEmbedder:
    """Embed texts with an ONNX sentence-embedding model stored in ``model_dir``.

    Args:
        model_dir: folder with ``manifest.json``, ``tokenizer.json`` and ``model.onnx``.
        name: the registry name reported in results.
        batch_size: texts per forward pass. Small batches keep the activations in cache: on
            banking77 (short texts), 16 gave ~230 texts per CPU-second, 64 ~185, 256 ~150.
        threads: onnxruntime intra-op threads; ``None`` = :func:`available_cores`.
    """

    dim: int

    def __init__(
        self, *, model_dir: Path, name: str, batch_size: int = 16, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if batch_size < 1:
            raise InvalidInputError(
                f"The 'batch_size' parameter of OnnxEmbedder must be an int >= 1. Got {batch_size}."
            )
        self.name = name
        self.batch_size = batch_size
        self.manifest = read_manifest(model_dir)
        self.dim = int(self.manifest["dim"])
        self.max_seq_length = int(self.manifest["max_seq_length"])
        self.threads = threads or available_cores()
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: on a shared machine spinning burns the
        # cores other jobs need (banking77 on the shared 2-core machine at load ~5: 148 vs 86
        # texts/s, 222 vs 125 texts per CPU-second).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped exceptions
            raise ModelLoadError(
                f"onnxruntime could not load '{model_dir / MODEL_FILE}': {error}. Rebuild it with "
                f"python -m feedback_nlp.embed.onnx_export --out {model_dir}"
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
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._run([ids[i] for i in batch.tolist()])
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


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """Read and check ``manifest.json`` of an ONNX model folder."""
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"No ONNX model in '{model_dir}' ({MANIFEST_FILE} is missing). Rebuild it with "
            f"python -m feedback_nlp.embed.onnx_export --out {model_dir}"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ModelLoadError(
            f"'{path}' has format {manifest.get('format')!r}; this version reads {FORMAT!r}."
        )
    return manifest
