from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from feedback_nlp.build.onnx_export import export_fp32, max_seq_length, quantise, source_dir
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.models import REPO_MODELS_DIR, file_sha256, get_spec

MODEL_DIR = REPO_MODELS_DIR / "minilm-l6-en-int8-v1"


def test_onnx_export_reads_max_seq_length_from_the_source_package() -> None:
    assert max_seq_length(source_dir()) == 256  # sentence_bert_config.json of all-MiniLM-L6-v2


def test_onnx_export_rejects_an_unknown_scheme(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="'scheme' parameter must be one of"):
        quantise(tmp_path / "in.onnx", tmp_path / "out.onnx", "int4")


@pytest.mark.slow
def test_onnx_export_rebuilds_the_shipped_model_byte_for_byte(tmp_path: Path) -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    for package in ("torch", "transformers", "onnx"):
        installed = importlib.metadata.version(package)
        if installed != manifest["versions"][package]:
            pytest.skip(f"shipped model built with {package} {manifest['versions'][package]}")
    export_fp32(source_dir(), tmp_path / "fp32.onnx", opset=manifest["components"][1]["opset"])
    quantise(tmp_path / "fp32.onnx", tmp_path / "model.onnx", "int8-per-token")
    assert file_sha256(tmp_path / "model.onnx") == get_spec("minilm-l6-en-int8").sha256
