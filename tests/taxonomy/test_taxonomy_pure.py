"""The pure parts of the taxonomy: parameter checks, the split and the seed computations."""

from __future__ import annotations

import numpy as np
import pytest

from feedback_nlp.errors import TaxonomyEditError
from feedback_nlp.taxonomy.operations import (
    check_examples,
    check_k,
    check_label,
    check_seed,
    check_threshold,
    child_ids,
    seed_phrases,
    seeded_id,
)
from feedback_nlp.taxonomy.seed import (
    FALLBACK_THRESHOLD,
    SeedSpace,
    match_seed,
    seed_scores,
    seed_threshold,
)
from feedback_nlp.taxonomy.split import (
    decode_centres,
    encode_centres,
    nearest_child,
    split_vectors,
)
from feedback_nlp.taxonomy_records import summary_of
from tests.themes.synthetic_themes import sphere_blobs


def test_operations_ids_name_the_operation() -> None:
    assert seeded_id(7) == "s_000007"
    assert child_ids(12, 3) == ["c_000012_1", "c_000012_2", "c_000012_3"]


@pytest.mark.parametrize("k", [1, 21, 2.5, True, "2"])
def test_operations_check_k_rejects_out_of_range(k: object) -> None:
    with pytest.raises(TaxonomyEditError, match=r"must be an int in the range \[2, 20\]"):
        check_k(k)


@pytest.mark.parametrize("seed", [-1, 2**31, 1.0, True, None])
def test_operations_check_seed_rejects_out_of_range(seed: object) -> None:
    with pytest.raises(
        TaxonomyEditError,
        match=r"'seed' parameter of a split must be an int in the range \[0, 2147483647\]",
    ):
        check_seed(seed)


def test_operations_checks_return_plain_numbers() -> None:
    assert type(check_k(np.int64(3))) is int
    assert check_seed(np.int64(2**31 - 1)) == 2**31 - 1
    assert type(check_seed(np.int64(0))) is int
    assert type(check_threshold(np.float32(0.5))) is float


def test_operations_check_examples_needs_one_phrase() -> None:
    with pytest.raises(TaxonomyEditError, match="at least one example"):
        check_examples([])
    with pytest.raises(TaxonomyEditError, match="Example 1"):
        check_examples(["ok", "  "])
    assert check_examples([" late parcel ", "الطرد متأخر"]) == ["late parcel", "الطرد متأخر"]


def test_operations_seed_phrases_add_the_name_only_to_seeds_recorded_with_the_flag() -> None:
    examples = ["card charged twice", "double payment"]
    new = {"name": "Double charge", "examples": examples, "name_is_phrase": True}
    assert seed_phrases(new) == [*examples, "Double charge"]
    recorded_before = {"name": "Double charge", "examples": examples}  # replays as recorded
    assert seed_phrases(recorded_before) == examples
    repeated = {"name": "Double Payment", "examples": examples, "name_is_phrase": True}
    assert seed_phrases(repeated) == examples  # the name repeats an example: not twice
    assert seed_phrases({"name": "", "examples": examples, "name_is_phrase": True}) == examples


def test_operations_check_threshold_and_label() -> None:
    assert check_threshold(1) == 1.0
    for bad in (0, -0.1, 1.5, "0.5", None):
        with pytest.raises(TaxonomyEditError, match=r"range \(0, 1\]"):
            check_threshold(bad)
    assert check_label("  Late  ") == "Late"
    assert check_label(None) is None
    with pytest.raises(TaxonomyEditError, match="non-blank"):
        check_label("   ")


def test_operations_summary_leaves_out_unit_lists() -> None:
    effect = {
        "run_id": 3,
        "claimed": ["1:0"],
        "children": [{"theme_id": "c", "members": ["1:0"], "quotes": [], "size": 1}],
        "centroids": "AAAA",
    }
    assert summary_of(effect) == {"run_id": 3, "children": [{"theme_id": "c", "size": 1}]}


def test_split_finds_two_blobs_deterministically() -> None:
    points, blobs, _ = sphere_blobs(n_blobs=2, per_blob=30, dim=16, noise=0.3, seed=1)
    langs = ["en"] * len(points)
    first = split_vectors(points, langs, 2, seed=0)
    again = split_vectors(points, langs, 2, seed=0)
    np.testing.assert_array_equal(first.labels, again.labels)
    # each child is exactly one blob (the children are numbered by size, ties by first member)
    assert {tuple(np.unique(blobs[first.labels == c])) for c in (0, 1)} == {(0,), (1,)}
    assert first.labels[0] == 0
    np.testing.assert_allclose(np.linalg.norm(first.centres, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(nearest_child(points, first.centres), first.labels)


def test_split_centres_round_trip_through_text() -> None:
    centres = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(decode_centres(encode_centres(centres), 3), centres)


def test_seed_claims_units_near_the_examples_then_near_its_members() -> None:
    # unit vectors worked by hand: e1 = the example; u0 on it; u1 at 0.8 of it; u2 close to
    # u1 (0.96) but 0.6 of the example; u3 orthogonal
    e1 = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    units = np.array(
        [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32
    )
    core_only = match_seed(units, e1, threshold=0.95)
    assert core_only.claimed.tolist() == [0]  # the members' centroid is u0 itself
    found = match_seed(units, e1, threshold=0.75)
    # core {u0, u1}; their centroid (0.949, 0.316, 0) is 0.822 from u2: u2 joins through them
    assert found.n_core == 2
    assert found.claimed.tolist() == [0, 1, 2]
    assert found.scores[3] == pytest.approx(0.0)
    assert found.score_quantiles()["q100"] == pytest.approx(1.0)


def test_seed_best_example_counts_not_only_the_centroid() -> None:
    examples = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    units = np.array([[0.0, 1.0], [0.7071, 0.7071]], dtype=np.float32)
    found = match_seed(units, examples, threshold=0.99)
    assert sorted(found.claimed.tolist()) == [0, 1]  # u0 matches example 2, u1 the centroid


def test_seed_threshold_stands_robust_deviations_above_the_seeds_median_score() -> None:
    # 40 units at angles spread around 90 degrees from the example, so their scores (cosines)
    # are known: median 0, MAD 0.05 -> threshold 0 + 3.5 * 1.4826 * 0.05 = 0.26
    scores = np.array([-0.1, -0.05, 0.0, 0.05, 0.1] * 8)
    units = np.stack([scores, np.sqrt(1 - scores**2)], axis=1).astype(np.float32)
    example = np.array([[1.0, 0.0]], dtype=np.float32)
    assert np.allclose(seed_scores(units, example), scores, atol=1e-6)
    assert seed_threshold(units, example) == 0.26
    # a seed whose units are far closer to its examples gets a higher bar
    closer = np.stack([scores + 0.5, np.sqrt(1 - (scores + 0.5) ** 2)], axis=1)
    assert seed_threshold(closer.astype(np.float32), example) == 0.76
    identical = np.tile(example, (30, 1))
    assert seed_threshold(identical, example) == 0.95  # a bar of 1 is capped
    assert seed_threshold(units[:5], example) == FALLBACK_THRESHOLD  # too few units to measure


def test_seed_space_centres_languages_so_an_example_finds_both() -> None:
    # two topics (axes 0, 1) written in two languages (offsets on axes 2 and 3), 10 units each
    topic = {1: [1.0, 0.0], 2: [0.0, 1.0]}
    offset = {"en": [3.0, 0.0], "ar": [0.0, 3.0]}
    rows, langs, topics = [], [], []
    for lang in ("en", "ar"):
        for t in (1, 2) * 5:
            rows.append(topic[t] + offset[lang])
            langs.append(lang)
            topics.append(t)
    raw = np.array(rows, dtype=np.float32)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    space = SeedSpace.of(raw, langs)
    example = np.array([[1.0, 0.0, 0.0, 3.0]], dtype=np.float32) / np.sqrt(10.0)  # topic 1, ar
    found = match_seed(space.units, space.phrases(example), threshold=0.9)
    assert sorted(found.claimed.tolist()) == [i for i, t in enumerate(topics) if t == 1]
    assert {langs[i] for i in found.claimed} == {"en", "ar"}
    assert match_seed(raw, example, threshold=0.95).claimed.size == 5  # raw: its language only
