from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp.errors import InvalidInputError, ModelLoadError
from feedback_nlp.sentiment import SentimentClassifier, aggregate_items, label_probs
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.stage import run_stages
from feedback_nlp.text.units import OpinionUnitSplitter

# A 2-d head whose logits are (-x0, 0, x0): at x0 = ln 2 the probabilities are (1, 2, 4) / 7.
COEF = [[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]


def _head() -> SentimentClassifier:
    return SentimentClassifier(coef=COEF, intercept=[0.0, 0.0, 0.0], embedder="toy-2d", name="toy")


def test_sentiment_probabilities_and_scores_match_hand_computation() -> None:
    head = _head()
    x = np.array([[math.log(2), 0.0], [-math.log(2), 0.0], [0.0, 5.0]])
    probs = head.predict_proba(x)
    np.testing.assert_allclose(probs[0], [1 / 7, 2 / 7, 4 / 7])
    np.testing.assert_allclose(probs[2], [1 / 3, 1 / 3, 1 / 3])
    labels, scores = head.predict(x)
    np.testing.assert_allclose(scores, [3 / 7, -3 / 7, 0.0], atol=1e-12)
    # row 2 is a three-way tie: the first class in LABELS order wins
    assert labels == ["positive", "negative", "negative"]


def test_sentiment_scores_stay_in_range_for_extreme_inputs() -> None:
    head = _head()
    scores = head.score(np.array([[1e6, 0.0], [-1e6, 0.0], [0.0, 0.0]]))
    assert np.all(np.isfinite(scores))
    assert scores.tolist() == [1.0, -1.0, 0.0]


def test_sentiment_label_is_the_most_probable_class_ties_to_the_first() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [0.2, 0.45, 0.35], [0.1, 0.1, 0.8], [0.4, 0.2, 0.4]])
    assert label_probs(probs) == ["negative", "neutral", "positive", "negative"]
    with pytest.raises(InvalidInputError, match=r"shape \(n, 3\)"):
        label_probs(np.zeros((2, 2)))


def test_sentiment_rejects_embeddings_of_another_dimension() -> None:
    with pytest.raises(InvalidInputError, match=r"shape \(n, 2\) from 'toy-2d'"):
        _head().predict(np.zeros((3, 384)))


def test_sentiment_items_take_the_length_weighted_mean() -> None:
    # item 0: 10 * (0.1, 0.1, 0.8) + 30 * (0.5, 0.3, 0.2), divided by 40:
    #   P(neg) = (1 + 15) / 40 = 0.4, P(neu) = (1 + 9) / 40 = 0.25, P(pos) = (8 + 6) / 40 = 0.35
    #   -> negative, score 0.35 - 0.4 = -0.05 (= (10 * 0.7 + 30 * -0.3) / 40);
    # item 1: one unit (0.2, 0.6, 0.2) -> neutral, 0; item 2: no units -> neutral, 0;
    # item 3: (20 * (0.3, 0.2, 0.5) + 20 * (0.1, 0.6, 0.3)) / 40 = (0.2, 0.4, 0.4)
    #   -> the neutral/positive tie goes to neutral, score 0.4 - 0.2 = 0.2.
    probs = np.array(
        [[0.1, 0.1, 0.8], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.3, 0.2, 0.5], [0.1, 0.6, 0.3]]
    )
    items = aggregate_items(4, [0, 0, 1, 3, 3], probs, [10, 30, 5, 20, 20])
    assert [item.label for item in items] == ["negative", "neutral", "neutral", "neutral"]
    np.testing.assert_allclose([item.score for item in items], [-0.05, 0.0, 0.0, 0.2], atol=1e-12)
    assert [item.n_units for item in items] == [2, 1, 0, 2]


def test_sentiment_one_unit_item_gets_its_units_label_and_score() -> None:
    head = _head()
    x = np.array([[math.log(2), 0.0], [-math.log(2), 0.0]])
    labels, scores = head.predict(x)
    items = aggregate_items(2, [0, 1], head.predict_proba(x), [12, 0])
    assert [item.label for item in items] == labels == ["positive", "negative"]
    np.testing.assert_allclose([item.score for item in items], scores)


def test_sentiment_aggregation_rejects_mismatched_inputs() -> None:
    two = np.full((2, 3), 1 / 3)
    with pytest.raises(InvalidInputError, match="one item index, probability row and length"):
        aggregate_items(1, [0, 0], two[:1], [3, 4])
    with pytest.raises(InvalidInputError, match=r"0\.\.1"):
        aggregate_items(2, [0, 2], two, [3, 4])


def _save(folder: Path, coef: np.ndarray, labels: list[str]) -> None:
    np.savez(folder / "weights.npz", coef=coef, intercept=np.zeros(3))
    manifest = {"name": "toy", "embedder": "toy-2d", "labels": labels, "weights": "weights.npz"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_sentiment_head_round_trips_through_manifest_and_npz(tmp_path: Path) -> None:
    _save(tmp_path, np.array(COEF), ["negative", "neutral", "positive"])
    head = SentimentClassifier.from_dir(tmp_path)
    assert (head.name, head.embedder, head.dim) == ("toy", "toy-2d", 2)
    np.testing.assert_allclose(head.score(np.array([[math.log(2), 0.0]])), [3 / 7])


def test_sentiment_head_refuses_other_label_orders(tmp_path: Path) -> None:
    _save(tmp_path, np.array(COEF), ["positive", "neutral", "negative"])
    with pytest.raises(ModelLoadError, match="expected"):
        SentimentClassifier.from_dir(tmp_path)


def test_sentiment_head_never_unpickles(tmp_path: Path) -> None:
    _save(tmp_path, np.array([[{"a": 1}], [None], [None]], dtype=object), ["x"])
    with pytest.raises(ModelLoadError, match="could not be read"):
        SentimentClassifier.from_dir(tmp_path)


@pytest.mark.slow
def test_sentiment_head_labels_units_and_items(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from feedback_nlp.models import load_model

    head = load_model("sentiment-e5-head-v1")
    assert head.embedder == e5_embedder.name
    texts = [
        "Thank you so much, the staff were wonderful and the food was delicious!",
        "The delivery was three days late and the box arrived broken.",
        "השירות היה מעולה, תודה רבה!",
        "التوصيل تأخر كثيرا والمنتج وصل مكسورا.",
    ]
    stages = (PiiRedactor(), LanguageIdentifier(), OpinionUnitSplitter())
    units = run_stages(stages, texts).units
    assert units
    probs = head.predict_proba(e5_embedder.encode([unit.text for unit in units]))
    assert len(label_probs(probs)) == len(units)
    items = aggregate_items(
        len(texts), [unit.item_index for unit in units], probs, [len(unit.text) for unit in units]
    )
    assert [item.label for item in items] == ["positive", "negative", "positive", "negative"]
    assert all(-1.0 <= item.score <= 1.0 for item in items)
    assert items[0].score > 0 > items[1].score
