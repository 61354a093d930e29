"""Seeded themes measured on banking77 (issue 16): 10 intents, a name and 3 TRAIN phrases each.

The corpus test mines ``../shared/corpora/eval/themes/banking77_test.csv`` with a real mining job
and applies the seeds of ``corpora/seeding/banking77_seeds.json`` through the taxonomy service at
each seed's default threshold (:mod:`feedback_nlp.eval.seeding`; the same run as
``python bench/eval_seeding.py``). The target, macro F1 >= 0.70, is not met: the strict xfail
records the figure measured, and turns into a failure the day the target is reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedback_nlp.eval.seeding import Seed, SeedEvalResult, load_seeds, run_seed_eval, score_seeds
from tests.conftest import REPO_ROOT

SEEDS = REPO_ROOT / "corpora" / "seeding" / "banking77_seeds.json"
TARGET_F1 = 0.70
MEASURED_F1 = 0.378  # bench/RESULTS.md, "Seeded themes: banking77 test" (2026-12-07 15:32)


def test_score_seeds_counts_items_once_and_units_each() -> None:
    seed = Seed("card_arrival", "card arrival", ("where is my card",))
    units = [
        ("a", "s1"),  # a: gold, two units claimed -> one item
        ("a", "s1"),
        ("b", "s1"),  # b: other label, claimed
        ("c", None),  # c: gold, missed
        ("d", "t_1"),
    ]
    labels = {"a": "card_arrival", "b": "pin", "c": "card_arrival", "d": "pin"}
    (score,) = score_seeds(units, labels, [(seed, "s1", 0.5, 2)])
    # items: claimed {a, b}, gold {a, c}: precision 1/2, recall 1/2
    assert (score.n_claimed, score.n_true, score.n_correct) == (2, 2, 1)
    assert (score.precision, score.recall, score.f1) == (0.5, 0.5, 0.5)
    # units: claimed 3 (2 gold), gold units 3: precision 2/3, recall 2/3
    assert score.unit_precision == pytest.approx(2 / 3)
    assert score.unit_recall == pytest.approx(2 / 3)
    assert (score.threshold, score.n_from_examples) == (0.5, 2)


def test_seeds_file_holds_ten_intents_with_three_train_phrases() -> None:
    seeds = load_seeds(SEEDS)
    assert len(seeds) == 10
    assert len({s.label for s in seeds}) == 10
    assert all(len(s.examples) == 3 for s in seeds)


@pytest.fixture(scope="module")
def banking77_seeded(shared_corpora: Path, e5_embedder: Any) -> SeedEvalResult:
    path = shared_corpora / "eval" / "themes" / "banking77_test.csv"
    (result,) = run_seed_eval(path, [load_seeds(SEEDS)], e5_embedder)
    return result


@pytest.mark.slow
@pytest.mark.corpus
def test_seeding_banking77_measures_every_intent(banking77_seeded: SeedEvalResult) -> None:
    result = banking77_seeded
    assert result.n_items == 3080
    assert [s.n_true for s in result.intents] == [40] * 10
    thresholds = [s.threshold for s in result.intents]
    assert all(0.05 <= t <= 0.95 for t in thresholds)
    assert len(set(thresholds)) > 1  # each seed's own default
    assert result.mean_threshold == pytest.approx(sum(thresholds) / len(thresholds))
    assert all(s.n_claimed > 0 for s in result.intents)
    # no regression below what was measured when the figure was recorded
    assert result.macro_f1 >= MEASURED_F1 - 0.03, result.macro_f1


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        f"measured macro F1 {MEASURED_F1} (P 0.337, R 0.575) at each seed's default bar (mean "
        "0.52); with 3 example phrases even a per-intent oracle cut reaches 0.46 on the test "
        "and 0.53 (unit F1) on banking77 TRAIN rows (bench/RESULTS.md)"
    ),
)
def test_seeding_banking77_reaches_the_target_f1(banking77_seeded: SeedEvalResult) -> None:
    assert banking77_seeded.macro_f1 >= TARGET_F1
