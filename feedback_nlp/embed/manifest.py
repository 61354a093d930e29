"""The ``manifest.json`` of a model folder the project builds (static and ONNX embedders)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from feedback_nlp.errors import ModelLoadError

__all__ = ["MANIFEST_FILE", "read_manifest"]

MANIFEST_FILE = "manifest.json"


def read_manifest(
    model_dir: Path, *, expected_format: str, kind: str, builder: str
) -> dict[str, Any]:
    """Read ``model_dir/manifest.json`` and check that it is in ``expected_format``.

    Args:
        model_dir: The model folder.
        expected_format: The ``format`` value this version reads.
        kind: What the folder holds, for messages ("ONNX", "static").
        builder: The module that rebuilds the folder (``python -m builder --out model_dir``).

    Raises:
        ModelLoadError: If the manifest is missing or in another format.
    """
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"No {kind} model in '{model_dir}' ({MANIFEST_FILE} is missing). Rebuild it with "
            f"python -m {builder} --out {model_dir}"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != expected_format:
        raise ModelLoadError(
            f"'{path}' has format {manifest.get('format')!r}; this version reads "
            f"{expected_format!r}."
        )
    return manifest
