from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from feedback_nlp.embed.base import Embedder
from feedback_nlp.embed.onnx_embedder import OnnxEmbedder
from feedback_nlp.errors import InvalidInputError, ModelLoadError
from feedback_nlp.models import REPO_MODELS_DIR, check_model, file_sha256, get_spec, load_model

NAME = "minilm-l6-en-int8"
MODEL_DIR = REPO_MODELS_DIR / "minilm-l6-en-int8-v1"
SENTENCES = [
    "The app crashes every time I try to pay with my card.",
    "Delivery was two weeks late and nobody told me why.",
    "Great service, the agent solved my problem in minutes!",
    "How do I change my PIN?",
    "refund",
    "",
]


@pytest.fixture(scope="module")
def int8() -> OnnxEmbedder:
    model = load_model(NAME)
    assert isinstance(model, OnnxEmbedder)
    return model


def test_onnx_minilm_registry_sha256_matches_the_shipped_model() -> None:
    spec = get_spec(NAME)
    assert file_sha256(MODEL_DIR / "model.onnx") == spec.sha256
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["weights_sha256"] == spec.sha256
    assert check_model(NAME, verify=True).sha256_ok is True


def test_onnx_minilm_tokenizer_is_the_source_packages_file() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert file_sha256(MODEL_DIR / "tokenizer.json") == manifest["source"]["tokenizer_sha256"]
    assert manifest["source"]["file_sha256"] == get_spec("minilm-l6-en").sha256


def test_onnx_minilm_artifact_is_small_enough_for_git() -> None:
    total = sum(path.stat().st_size for path in MODEL_DIR.iterdir())
    assert total < 26 * 1024 * 1024  # int8: ~24 MB; the float32 graph would be ~90 MB


def test_onnx_minilm_refuses_a_file_with_another_sha256() -> None:
    tampered = dataclasses.replace(get_spec(NAME), sha256="0" * 64)
    with pytest.raises(ModelLoadError, match="does not match the registry"):
        tampered.loader(tampered)


@pytest.mark.parametrize("batch_size", [0, 2.0, True])
def test_onnx_minilm_rejects_a_batch_size_that_is_not_a_positive_int(batch_size: object) -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"'batch_size' parameter of OnnxEmbedder must be an int in the range \[1, inf\]",
    ):
        OnnxEmbedder(model_dir=MODEL_DIR, name=NAME, batch_size=batch_size)  # type: ignore[arg-type]


def test_onnx_minilm_loads_offline_as_a_384_d_embedder(int8: OnnxEmbedder) -> None:
    assert isinstance(int8, Embedder)
    assert int8.name == NAME
    assert int8.dim == 384 == get_spec(NAME).dim
    assert int8.max_seq_length == 256


def test_onnx_minilm_returns_unit_float32_rows(int8: OnnxEmbedder) -> None:
    out = int8.encode(SENTENCES)
    assert out.shape == (len(SENTENCES), 384)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_onnx_minilm_empty_input_gives_an_empty_matrix(int8: OnnxEmbedder) -> None:
    assert int8.encode([]).shape == (0, 384)


def test_onnx_minilm_is_deterministic(int8: OnnxEmbedder) -> None:
    np.testing.assert_array_equal(int8.encode(SENTENCES), int8.encode(SENTENCES))


def test_onnx_minilm_vectors_do_not_depend_on_batching(int8: OnnxEmbedder) -> None:
    together = int8.encode(SENTENCES)
    reversed_order = int8.encode(SENTENCES[::-1])[::-1]
    one_by_one = np.vstack([int8.encode([text]) for text in SENTENCES])
    # A long text in the batch pads the others and widens nothing: scales are per token.
    with_long = int8.encode([*SENTENCES, "word " * 300])[: len(SENTENCES)]
    for other in (reversed_order, one_by_one, with_long):
        np.testing.assert_allclose(other, together, atol=1e-5)


def test_onnx_minilm_workers_share_batches_and_keep_input_order() -> None:
    texts = [f"{sentence} ({i})" for i, sentence in enumerate(SENTENCES * 12)]
    one_worker = OnnxEmbedder(model_dir=MODEL_DIR, name=NAME, batch_size=4, threads=1)
    two_workers = OnnxEmbedder(model_dir=MODEL_DIR, name=NAME, batch_size=4, threads=2)
    serial = one_worker.encode(texts)
    parallel = two_workers.encode(texts)
    np.testing.assert_allclose(parallel, serial, atol=1e-6)
    # Row i is text i: each row is closest to its own text embedded alone.
    alone = np.vstack([one_worker.encode([text]) for text in texts[:10]])
    assert (alone @ parallel.T).argmax(axis=1).tolist() == list(range(10))


def test_onnx_minilm_worker_errors_reach_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = OnnxEmbedder(model_dir=MODEL_DIR, name=NAME, batch_size=2, threads=2)

    def failing_run(rows: list[list[int]]) -> np.ndarray:
        raise RuntimeError(f"onnxruntime failed on {len(rows)} texts")

    monkeypatch.setattr(model, "_run", failing_run)
    with pytest.raises(RuntimeError, match="onnxruntime failed"):
        model.encode(SENTENCES)


def test_onnx_minilm_cuts_texts_at_256_tokens(int8: OnnxEmbedder) -> None:
    long_text = "the card payment failed again " * 100  # 500 words, one token each
    assert len(int8.token_ids([long_text])[0]) == 256
    longer = int8.encode([long_text + " and then the app crashed"])
    np.testing.assert_allclose(longer, int8.encode([long_text]), atol=1e-6)


@pytest.mark.slow
def test_onnx_minilm_agrees_with_the_torch_model(int8: OnnxEmbedder) -> None:
    torch_vectors = load_model("minilm-l6-en").encode(SENTENCES)
    cosines = np.sum(int8.encode(SENTENCES) * torch_vectors, axis=1)
    assert cosines.min() >= 0.98, cosines
    # the same nearest neighbour for each non-empty sentence among the others
    own = int8.encode(SENTENCES[:-1]) @ int8.encode(SENTENCES[:-1]).T
    ref = torch_vectors[:-1] @ torch_vectors[:-1].T
    np.fill_diagonal(own, -1.0)
    np.fill_diagonal(ref, -1.0)
    np.testing.assert_array_equal(own.argmax(axis=1), ref.argmax(axis=1))
