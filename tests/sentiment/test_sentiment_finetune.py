"""A tiny real fine-tuning run: stop, resume, finish, load and classify."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import InvalidInputError

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sentiment_finetune_stops_resumes_and_ships_a_loadable_model(tmp_path: Path) -> None:
    from feedback_nlp.build.sentiment_finetune import FinetuneConfig, train_sentiment
    from feedback_nlp.models import load_model
    from feedback_nlp.sentiment.finetuned import FineTunedSentiment

    config = FinetuneConfig(
        out_dir=tmp_path / "sentiment-tiny-v1",
        checkpoint_dir=tmp_path / "checkpoints",
        name="sentiment-tiny-v1",
        max_steps=4,
        stop_at_step=2,
        batch_size=8,
        max_rows_per_group=4,
        checkpoint_every=1,
        dev_fraction=0.25,
        evaluate=False,
        threads=1,
    )
    first = train_sentiment(config, log=lambda _line: None)
    assert (first.steps, first.finished, first.model_dir) == (2, False, None)
    assert (tmp_path / "checkpoints" / "last.pt").is_file()
    with pytest.raises(InvalidInputError, match="other settings"):
        train_sentiment(
            _with(config, lr=1e-4),
            resume=True,
            log=lambda _line: None,
        )
    second = train_sentiment(_with(config, stop_at_step=None), resume=True, log=lambda _l: None)
    assert (second.resumed_from, second.steps, second.finished) == (2, 4, True)
    assert second.examples_per_s is not None
    assert second.examples_per_s > 0
    assert first.train_seconds is not None
    assert second.train_seconds is not None
    assert second.train_seconds > first.train_seconds  # the time of both runs

    out = config.out_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training"]["steps"] == 4
    assert manifest["training"]["train_seconds"] == round(second.train_seconds, 1)
    settings = manifest["training"]["settings"]
    assert not Path(settings["out_dir"]).is_absolute()  # no machine's paths in a model card
    assert (REPO / settings["out_dir"]).resolve() == out.resolve()
    assert "1 min of training" in (out / "README.md").read_text(encoding="utf-8")
    assert manifest["dev"]["temperature"] > 0
    assert set(manifest["data"]) >= {"seed", "goemotions", "xed"}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Training data" in card
    assert "Licence of the weights: CC BY-SA 4.0, because sentimp21" in card  # share-alike
    model = FineTunedSentiment.from_dir(out, load_embedder=load_model)
    probs = model.predict_proba_texts(["Terrible service.", "Thank you, great app!"])
    assert probs.shape == (2, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    labels, scores = model.predict_texts(["ok"])
    assert labels[0] in {"negative", "neutral", "positive"}
    assert -1 <= scores[0] <= 1
    assert manifest["branch"]["from_layer"] == 6
    assert (out / "branch.onnx").is_file()
    assert not (out / "body").exists()  # layers 0-5 are the embedder's: never shipped
    _check_cached_encoder(model)


def _check_cached_encoder(model) -> None:  # type: ignore[no-untyped-def]
    """Vectors and probabilities come from one pass, and from the cache the second time."""
    from feedback_nlp.embed.cache import CachedEmbedder, MemoryVectorCache
    from feedback_nlp.models import load_model
    from feedback_nlp.sentiment.cached import CachedSentimentEncoder

    embedder = load_model("e5-small-multilingual")
    cache = MemoryVectorCache()
    cached = CachedEmbedder(embedder, cache)
    encoder = CachedSentimentEncoder(cached, model)
    texts = ["Terrible service.", "Thank you, great app!", "Terrible service."]
    vectors, probs = encoder.encode(texts)
    assert (cached.misses, cached.hits) == (2, 1)
    assert np.allclose(vectors, embedder.encode(texts), atol=1e-6)
    assert np.allclose(probs, model.predict_proba_texts(texts), atol=1e-6)
    again_vectors, again_probs = encoder.encode(texts[::-1])
    assert (cached.misses, cached.hits) == (2, 4)
    assert np.array_equal(again_vectors, vectors[::-1])
    assert np.allclose(again_probs, probs[::-1], atol=1e-7)
    # A plain embedding call reuses the vectors the sentiment pass stored.
    assert np.array_equal(cached.encode(texts[:1]), vectors[:1])


def test_sentiment_finetune_refuses_layers_it_could_not_share(tmp_path: Path) -> None:
    from feedback_nlp.build.sentiment_finetune import FinetuneConfig, train_sentiment

    config = FinetuneConfig(out_dir=tmp_path / "m", checkpoint_dir=tmp_path / "c", freeze_layers=2)
    with pytest.raises(InvalidInputError, match="branch off the embedder's layer 6"):
        train_sentiment(config, log=lambda _line: None)


def _with(config, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(config, **changes)


def test_sentiment_loss_leaves_the_neutral_logit_out_of_polar_only_rows() -> None:
    import torch

    from feedback_nlp.build.sentiment_finetune.head import sentiment_loss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.3, 1.2, 0.1]], requires_grad=True)
    labels = torch.tensor([0, 1])  # negative, neutral
    plain = sentiment_loss(logits, labels, torch.tensor([False, False]))
    assert torch.isclose(plain, torch.nn.functional.cross_entropy(logits, labels))

    polar = torch.tensor([True, False])
    loss = sentiment_loss(logits, labels, polar)
    two_class = torch.nn.functional.cross_entropy(logits[:1, [0, 2]], torch.tensor([0]))
    three_class = torch.nn.functional.cross_entropy(logits[1:], labels[1:])
    assert torch.isclose(loss, (two_class + three_class) / 2)
    loss.backward()  # type: ignore[no-untyped-call]
    assert logits.grad is not None
    assert logits.grad[0, 1] == 0  # the polar-only row does not push its neutral logit down
    assert logits.grad[1, 1] != 0

    with pytest.raises(ValueError, match="neutral"):
        sentiment_loss(logits, torch.tensor([1, 1]), polar)


def test_polar_only_marks_the_groups_without_a_neutral_training_row() -> None:
    from feedback_nlp.build.sentiment_finetune import TrainRow
    from feedback_nlp.build.sentiment_finetune.rows import polar_only

    rows = [
        TrainRow("a", "negative", "es", "xed"),
        TrainRow("b", "positive", "es", "xed"),
        TrainRow("c", "neutral", "en", "xed"),
        TrainRow("d", "positive", "en", "xed"),
        TrainRow("e", "neutral", "es", "seed"),
        TrainRow("f", "positive", "es", "seed"),
    ]
    assert polar_only(rows, range(6)) == [True, True, False, False, False, False]
    # the dev split does not count: a group whose only neutral row is held out is polar only
    assert polar_only(rows, [0, 1, 2, 3, 5]) == [True, True, False, False, True, True]
