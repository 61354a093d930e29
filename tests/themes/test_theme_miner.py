from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic_themes import sphere_blobs, topic_texts

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.themes import MiningResult, ThemeMiner

LANGS = ["en", "ar", "he", "fa", "lt"]


def _inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    vectors, truth, _ = sphere_blobs(n_blobs=5, per_blob=40, seed=seed)
    langs = [LANGS[i % 5] for i in range(len(vectors))]
    return vectors, truth, topic_texts(truth, langs), langs


@pytest.fixture(scope="module")
def mined() -> tuple[MiningResult, np.ndarray, list[str], list[str]]:
    vectors, truth, texts, langs = _inputs()
    return ThemeMiner(seed=0).fit(vectors, texts, langs), truth, texts, langs


def test_miner_finds_themes_with_labels_quotes_parents_and_confidence(mined) -> None:  # type: ignore[no-untyped-def]
    result, truth, texts, langs = mined
    assert len(result.themes) == 5
    assert result.assignments.shape == truth.shape
    assert result.outlier_share <= 0.05
    for theme in result.themes:
        assert sorted(theme.label) == sorted(LANGS)
        assert 3 <= len(theme.quotes) <= 5
        for quote in theme.quotes:
            assert result.assignments[quote.index] == theme.index
            assert quote.text == texts[quote.index]
            assert quote.lang == langs[quote.index]
        assert 0.0 <= theme.confidence <= 1.0
        assert 0 <= theme.parent < len(result.parents)
        assert theme.size == int((result.assignments == theme.index).sum())
    children = sorted(c for p in result.parents for c in p.children)
    assert children == list(range(5))


def test_miner_labels_each_language_with_its_own_words(mined) -> None:  # type: ignore[no-untyped-def]
    result, truth, _, _ = mined
    theme = result.themes[0]
    blob = int(np.bincount(truth[result.assignments == 0]).argmax())
    expected = {
        "en": ["delivery late", "refund missing", "password reset", "battery drains", "rude staff"],
        "ar": ["التوصيل متأخر", "الاسترداد مفقود", "كلمة المرور", "البطارية تنفد", "الموظف وقح"],
    }
    for lang, topics in expected.items():
        assert set(topics[blob].split()) & set(theme.label[lang].replace(" / ", " ").split())


def test_miner_same_seed_gives_identical_results() -> None:
    vectors, _, texts, langs = _inputs(seed=1)
    first = ThemeMiner(seed=4).fit(vectors, texts, langs)
    second = ThemeMiner(seed=4).fit(vectors, texts, langs)
    assert first == second
    np.testing.assert_array_equal(first.assignments, second.assignments)


def test_miner_result_is_json_ready(mined) -> None:  # type: ignore[no-untyped-def]
    result = mined[0]
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert "themes" in json.loads(text)


def test_miner_rejects_texts_of_the_wrong_length() -> None:
    vectors, _, texts, _ = _inputs()
    with pytest.raises(InvalidInputError, match="199 texts for 200 embeddings"):
        ThemeMiner().fit(vectors, texts[:-1])


def test_miner_with_too_few_units_returns_no_themes() -> None:
    result = ThemeMiner().fit(np.eye(3, 8), ["a", "b", "c"], ["en", "ar", "he"])
    assert result.themes == ()
    assert result.parents == ()
    assert result.assignments.tolist() == [-1, -1, -1]
    assert result.outlier_share == 1.0
