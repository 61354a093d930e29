"""ECE, confusion matrices, the temperature fit and the sampler, on hand-computed fixtures."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp.build.sentiment_finetune import (
    TrainRow,
    balanced_batch,
    fit_temperature,
    split_dev,
)
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.eval.sentiment import confusion_matrix, expected_calibration_error


def test_ece_matches_a_hand_computation() -> None:
    probs = [
        [0.95, 0.03, 0.02],  # conf 0.95 (bin 10), predicts negative, correct
        [0.05, 0.90, 0.05],  # conf 0.90 (bin 9: (0.8, 0.9]), predicts neutral, wrong
        [0.10, 0.30, 0.60],  # conf 0.60 (bin 6), predicts positive, correct
        [0.50, 0.45, 0.05],  # conf 0.50 (bin 5), predicts negative, wrong
    ]
    truth = ["negative", "positive", "positive", "neutral"]
    # |1 - 0.95| + |0 - 0.9| + |1 - 0.6| + |0 - 0.5|, each bin a quarter of the rows.
    expected = (0.05 + 0.9 + 0.4 + 0.5) / 4
    assert expected_calibration_error(probs, truth) == pytest.approx(expected)


def test_ece_pools_rows_of_one_bin() -> None:
    probs = [[0.72, 0.18, 0.10], [0.10, 0.78, 0.12]]  # both in (0.7, 0.8]
    truth = ["negative", "negative"]  # one right, one wrong: accuracy 0.5, confidence 0.75
    assert expected_calibration_error(probs, truth) == pytest.approx(0.25)
    assert expected_calibration_error([[1.0, 0.0, 0.0]], ["negative"]) == pytest.approx(0.0)


def test_ece_rejects_mismatched_shapes() -> None:
    with pytest.raises(InvalidInputError, match="ECE"):
        expected_calibration_error([[0.5, 0.5]], ["negative"])


def test_confusion_matrix_counts_true_rows_by_predicted_columns() -> None:
    truth = ["negative", "negative", "neutral", "positive", "positive", "positive"]
    predicted = ["negative", "neutral", "neutral", "positive", "negative", "positive"]
    assert confusion_matrix(truth, predicted) == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_temperature_fit_recovers_the_generating_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 3.0, size=(20000, 3))
    scaled = logits / 2.0
    probs = np.exp(scaled) / np.exp(scaled).sum(axis=1, keepdims=True)
    labels = [int(rng.choice(3, p=row)) for row in probs]
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.05)


def test_balanced_batch_is_deterministic_and_balances_groups_and_classes() -> None:
    # group A: 2 classes (rows 0-89 and 90-99); group B: 1 class (rows 100-101)
    groups = [[list(range(90)), list(range(90, 100))], [[100, 101]]]
    first = balanced_batch(groups, 4000, seed=0, step=7)
    assert first == balanced_batch(groups, 4000, seed=0, step=7)
    assert first != balanced_batch(groups, 4000, seed=0, step=8)
    share_b = sum(i >= 100 for i in first) / len(first)
    share_minor = sum(90 <= i < 100 for i in first) / len(first)
    assert share_b == pytest.approx(0.5, abs=0.03)
    assert share_minor == pytest.approx(0.25, abs=0.03)


def test_draw_weights_weigh_named_groups_and_classes_by_their_size() -> None:
    from feedback_nlp.build.sentiment_finetune.rows import _groups, draw_weights

    # (onlplab, he): 90 positive, 10 neutral; (seed, en): 2 negative
    rows = [TrainRow(f"p{i}", "positive", "he", "onlplab") for i in range(90)]
    rows += [TrainRow(f"n{i}", "neutral", "he", "onlplab") for i in range(10)]
    rows += [TrainRow(f"s{i}", "negative", "en", "seed") for i in range(2)]
    indices = range(len(rows))
    groups = _groups(rows, indices)
    uniform = draw_weights(rows, indices)
    assert (uniform.groups, uniform.classes) == (None, None)
    assert balanced_batch(groups, 50, 0, 3, uniform) == balanced_batch(groups, 50, 0, 3)

    weighted = draw_weights(rows, indices, 1.0, (("onlplab", 3.0),))
    assert weighted.groups == pytest.approx([0.75, 0.25])
    assert weighted.classes is not None
    assert weighted.classes[0] == pytest.approx([0.1, 0.9])  # neutral, positive (sorted)
    batch = balanced_batch(groups, 8000, 0, 3, weighted)
    assert sum(i < 100 for i in batch) / 8000 == pytest.approx(0.75, abs=0.02)
    assert sum(90 <= i < 100 for i in batch) / 8000 == pytest.approx(0.075, abs=0.01)
    halfway = draw_weights(rows, indices, 0.5)
    assert halfway.classes is not None
    assert halfway.classes[0] == pytest.approx([0.25, 0.75])  # sqrt(10) : sqrt(90)
    assert draw_weights(rows, indices, 0.0, (("seed:en", 2.0), ("seed", 9.0))).groups == (
        pytest.approx([1 / 3, 2 / 3])  # source:lang wins over source
    )
    with pytest.raises(InvalidInputError, match="No training group is named"):
        draw_weights(rows, indices, 0.0, (("xed", 2.0),))
    with pytest.raises(InvalidInputError, match="positive"):
        draw_weights(rows, indices, 0.0, (("seed", 0.0),))


def test_dev_split_depends_on_the_text_only() -> None:
    rows = [TrainRow(f"text {i}", "neutral", "en", "seed") for i in range(2000)]
    train, dev = split_dev(rows, 0.1)
    assert sorted(train + dev) == list(range(2000))
    assert 0.07 < len(dev) / 2000 < 0.13
    _, dev_reversed = split_dev(rows[::-1], 0.1)
    assert {rows[::-1][i].text for i in dev_reversed} == {rows[i].text for i in dev}
