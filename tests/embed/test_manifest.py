"""The one reader of project-built model manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedback_nlp.embed.manifest import read_manifest
from feedback_nlp.errors import ModelLoadError


def test_read_manifest_returns_a_manifest_in_the_expected_format(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "f.v1", "dim": 8}), "utf-8")
    manifest = read_manifest(tmp_path, expected_format="f.v1", kind="static", builder="m.build")
    assert manifest == {"format": "f.v1", "dim": 8}


def test_read_manifest_names_the_rebuild_command_when_it_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"No ONNX model in .*python -m m\.build --out"):
        read_manifest(tmp_path, expected_format="f.v1", kind="ONNX", builder="m.build")


def test_read_manifest_refuses_another_format(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "f.v0"}), "utf-8")
    with pytest.raises(ModelLoadError, match=r"has format 'f\.v0'; this version reads 'f\.v1'"):
        read_manifest(tmp_path, expected_format="f.v1", kind="static", builder="m.build")
