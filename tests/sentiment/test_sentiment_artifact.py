from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import feedback_nlp.models as registry
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.models import ModelKind, check_model, file_sha256, get_spec, load_model
from feedback_nlp.sentiment import LABELS, SentimentClassifier

NAME = "sentiment-e5-head-v1"
FOLDER = registry.REPO_MODELS_DIR / NAME


def test_sentiment_artifact_is_registered_with_the_weights_sha256() -> None:
    spec = get_spec(NAME)
    assert spec.kind is ModelKind.SENTIMENT
    assert spec.package == registry.REPO_PACKAGE
    manifest = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
    assert file_sha256(FOLDER / manifest["weights"]) == spec.sha256 == manifest["sha256"]
    assert check_model(NAME, verify=True).sha256_ok is True


def test_sentiment_artifact_is_small_and_pickle_free() -> None:
    files = sorted(path.name for path in FOLDER.iterdir())
    assert files == ["README.md", "manifest.json", "weights.npz"]
    assert (FOLDER / "weights.npz").stat().st_size < 300_000
    with np.load(FOLDER / "weights.npz", allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["coef", "intercept"]
        assert arrays["coef"].shape == (3, 384)


def test_sentiment_artifact_loads_as_the_e5_head() -> None:
    head = load_model(NAME)
    assert isinstance(head, SentimentClassifier)
    assert (head.embedder, head.dim, head.name) == ("e5-small-multilingual", 384, NAME)
    probs = head.predict_proba(np.zeros((1, 384)))
    assert probs.shape == (1, len(LABELS))
    assert probs.sum() == pytest.approx(1.0)


def test_sentiment_artifact_was_trained_on_licence_clean_sources_only() -> None:
    manifest = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
    assert {key.split(":")[0] for key in manifest["training_rows"]} == {"seed", "onlplab"}


def test_sentiment_artifact_with_changed_weights_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(FOLDER, tmp_path / NAME)
    weights = tmp_path / NAME / "weights.npz"
    with np.load(weights, allow_pickle=False) as arrays:
        coef, intercept = arrays["coef"].copy(), arrays["intercept"]
    coef[0, 0] += 1.0
    np.savez(weights, coef=coef, intercept=intercept)
    monkeypatch.setattr("feedback_nlp.models.files.REPO_MODELS_DIR", tmp_path)
    with pytest.raises(ModelLoadError, match="sha256"):
        load_model(NAME)


def test_sentiment_artifact_missing_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("feedback_nlp.models.files.REPO_MODELS_DIR", tmp_path)
    with pytest.raises(ModelLoadError, match="git checkout -- models/"):
        load_model(NAME)
