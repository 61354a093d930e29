"""A model fine-tuned above layer 6 ships as a branch off the default embedder's trunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import ModelLoadError

torch = pytest.importorskip("torch")

TEXTS = [
    "The app crashes when I pay.",
    "Great support, thank you!",
    "התשלום נכשל שוב",
    "التوصيل تأخر كثيرا " * 120,  # several windows
    "ok",
]


def _trained(freeze: int, steps: int = 2):  # type: ignore[no-untyped-def]
    """A few SGD steps on the float model with the lower ``freeze`` layers frozen."""
    from feedback_nlp.build.e5_training import batch_inputs, load_trainable, mean_pool

    model, tokenizer = load_trainable()
    model.embeddings.requires_grad_(False)
    for layer in model.encoder.layer[:freeze]:
        layer.requires_grad_(False)
    optimiser = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    torch.manual_seed(0)
    for _ in range(steps):
        inputs = batch_inputs(tokenizer, TEXTS[:2], max_length=16)
        vectors = torch.nn.functional.normalize(
            mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"]), dim=1
        )
        loss = 1.0 - (vectors[0] * vectors[1]).sum()
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    return model.train(False)


@pytest.mark.slow
def test_e5_branch_of_the_base_model_reproduces_the_embedding(tmp_path: Path) -> None:
    """Base layers 6-11 run on the fp32 body's trunk give the fp32 body's own vectors."""
    from feedback_nlp.build.e5_build import TRUNK_LAYERS
    from feedback_nlp.build.e5_export import export_upper
    from feedback_nlp.build.e5_training import load_trainable
    from feedback_nlp.embed.e5_onnx import OnnxBranch
    from feedback_nlp.models import load_model

    model, _tokenizer = load_trainable()
    export_upper(model, tmp_path / "upper.onnx", from_layer=TRUNK_LAYERS)
    branch = OnnxBranch(tmp_path / "upper.onnx", from_layer=TRUNK_LAYERS)
    embedder = load_model("e5-small-multilingual-fp32")
    vectors, branched = embedder.encode_with_branch(TEXTS, branch)
    assert np.array_equal(vectors, embedder.encode(TEXTS))  # the trunk output changes nothing
    assert np.sum(vectors * branched, axis=1).min() > 0.99999


@pytest.mark.slow
def test_e5_branch_ships_upper_layers_and_runs_on_the_default_trunk(tmp_path: Path) -> None:
    from feedback_nlp.build.e5_branch import save_branch
    from feedback_nlp.build.e5_build import TRUNK_LAYERS
    from feedback_nlp.build.e5_training import batch_inputs, load_trainable, mean_pool
    from feedback_nlp.embed.e5_onnx import OnnxBranch
    from feedback_nlp.models import load_model

    model = _trained(TRUNK_LAYERS)
    facts = save_branch(model, tmp_path, from_layer=TRUNK_LAYERS)
    assert facts["from_layer"] == TRUNK_LAYERS
    assert facts["bytes"] < 16_000_000  # six int8 layers, no word table
    branch = OnnxBranch(tmp_path / facts["file"], from_layer=TRUNK_LAYERS)
    embedder = load_model("e5-small-multilingual")
    vectors, branched = embedder.encode_with_branch(TEXTS[:3], branch)
    _tokenizer = load_trainable()[1]
    with torch.no_grad():
        inputs = batch_inputs(_tokenizer, TEXTS[:3], max_length=64)
        reference = torch.nn.functional.normalize(
            mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"]), dim=1
        ).numpy()
    assert np.sum(branched * reference, axis=1).min() > 0.995  # int8 branch ~ the float model
    assert np.sum(vectors * branched, axis=1).max() < 0.9999  # it learnt: not the embedding
    alone = np.vstack([embedder.encode_with_branch([t], branch)[1] for t in TEXTS[:3]])
    assert np.sum(alone * branched, axis=1).min() > 0.99999  # batch-independent


@pytest.mark.slow
def test_e5_branch_refuses_a_model_whose_shared_layers_were_trained(tmp_path: Path) -> None:
    from feedback_nlp.build.e5_branch import save_branch
    from feedback_nlp.build.e5_build import TRUNK_LAYERS

    model = _trained(TRUNK_LAYERS - 2, steps=1)
    with pytest.raises(ModelLoadError, match="differ from the build"):
        save_branch(model, tmp_path, from_layer=TRUNK_LAYERS)
    with pytest.raises(ModelLoadError, match="freeze-layers"):
        save_branch(model, tmp_path, from_layer=TRUNK_LAYERS + 1)
    assert not (tmp_path / "branch.onnx").exists()


@pytest.mark.slow
def test_e5_branch_needs_a_trunk_at_its_depth(tmp_path: Path) -> None:
    from feedback_nlp.build.e5_build import TRUNK_LAYERS
    from feedback_nlp.build.e5_export import export_upper
    from feedback_nlp.build.e5_training import load_trainable
    from feedback_nlp.embed.e5_onnx import OnnxBranch
    from feedback_nlp.models import load_model

    model, _tokenizer = load_trainable()
    export_upper(model, tmp_path / "upper.onnx", from_layer=TRUNK_LAYERS + 2)
    branch = OnnxBranch(tmp_path / "upper.onnx", from_layer=TRUNK_LAYERS + 2)
    with pytest.raises(ModelLoadError, match="trunk at 6"):
        load_model("e5-small-multilingual").encode_with_branch(["hello"], branch)
