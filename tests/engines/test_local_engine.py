"""The in-process engine, and how engines are chosen by name."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from feedback_nlp.engines import EngineEmbedder, LocalEngine, get_engine
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.models import load_model
from feedback_nlp.themes.cluster import ThemeClusterer
from feedback_nlp.themes.miner import ThemeMiner
from tests.conftest import REPO_ROOT

TEXTS = [
    "The delivery was late again.",
    "التوصيل متأخر جدا",
    "המשלוח מאחר שוב",
    "The delivery was late again.",
    "",
]


def _blobs() -> tuple[np.ndarray, list[str], list[str]]:
    """Three tight groups of 20 unit vectors around the first three axes of a 16-d space."""
    rng = np.random.default_rng(3)
    rows, texts = [], []
    words = ["refund missing", "password reset", "battery drains"]
    for group in range(3):
        centre = np.zeros(16)
        centre[group] = 1.0
        for i in range(20):
            rows.append(centre + rng.normal(0, 0.05, 16))
            texts.append(f"{words[group]} {'again' if i % 2 else 'today'}")
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, texts, ["en"] * len(texts)


def test_local_engine_embeds_as_the_model_does() -> None:
    model = load_model("e5-small-static")
    engine = LocalEngine([model])
    vectors = engine.embed(TEXTS, "e5-small-static")
    assert vectors.dtype == np.float32
    assert vectors.shape == (5, 256)
    np.testing.assert_array_equal(vectors, model.encode(TEXTS))
    np.testing.assert_array_equal(vectors[0], vectors[3])  # same text, same row


def test_local_engine_loads_a_model_once_and_keeps_it() -> None:
    engine = LocalEngine()
    first = engine.embedder("e5-small-static")
    assert engine.embedder("e5-small-static") is first
    assert engine.embed([], "e5-small-static").shape == (0, 256)


def test_local_engine_mine_is_the_miners_fit() -> None:
    vectors, texts, langs = _blobs()
    miner = ThemeMiner(clusterer=ThemeClusterer(min_theme_size=5), n_resamples=0, seed=0)
    mined = LocalEngine().mine(miner, vectors, texts, langs)
    direct = miner.fit(vectors, texts, langs)
    assert len(mined.themes) == 3
    np.testing.assert_array_equal(mined.assignments, direct.assignments)
    assert [t.label for t in mined.themes] == [t.label for t in direct.themes]
    # each hand-made group is one theme
    assert sorted(mined.assignments[:20].tolist()) == [mined.assignments[0]] * 20


def test_engine_embedder_takes_dim_from_the_registry_and_encodes_on_the_engine() -> None:
    engine = LocalEngine()
    embedder = EngineEmbedder(engine, "e5-small-static")
    assert (embedder.name, embedder.dim) == ("e5-small-static", 256)
    np.testing.assert_array_equal(
        embedder.encode(TEXTS[:2]), engine.embedder("e5-small-static").encode(TEXTS[:2])
    )


def test_get_engine_local_is_a_local_engine() -> None:
    assert isinstance(get_engine("local"), LocalEngine)


def test_get_engine_rejects_an_unknown_name() -> None:
    with pytest.raises(InvalidInputError, match=r"one of local, ray\. Got 'spark'"):
        get_engine("spark")


def test_get_engine_rejects_a_ray_address_for_the_local_engine() -> None:
    with pytest.raises(InvalidInputError, match="A Ray address needs the 'ray' engine"):
        get_engine("local", "auto")


def test_get_engine_ray_without_ray_names_the_pip_command() -> None:
    # ``sys.modules['ray'] = None`` makes ``import ray`` fail as it does when Ray is absent.
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from feedback_nlp.engines import get_engine\n"
        "from feedback_nlp.errors import EngineNotInstalledError\n"
        "try:\n"
        "    get_engine('ray')\n"
        "except EngineNotInstalledError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("[E203] The 'ray' engine needs the package 'feedback-nlp[ray]'")
    assert "pip install 'feedback-nlp[ray]'" in out.stdout
