"""Dynamic int8 quantisation of an ONNX encoder with one activation scale per token.

Every ``MatMul`` whose second input is a 2-D weight becomes an integer matrix product:

* **weights**: int8, symmetric, one scale per output column, at most ``weight_levels`` (63, i.e.
  7 bits) in absolute value;
* **activations**: quantised at run time to uint8, asymmetric, with one scale and zero point per
  token (per row of the last axis), computed inside the graph from the row's own minimum and
  maximum (both widened to include 0);
* the int32 product is rescaled to float32 with the zero point subtracted exactly:
  ``y = (acc - zero * colsum(Wq)) * scale * weight_scale``.

A token's output therefore depends on that token's values only, never on the other texts in the
batch nor on padding: a text embeds to the same vector alone or in any batch (to float rounding).
``onnxruntime.quantization.quantize_dynamic`` quantises activations with one scale for the whole
batch tensor, so a text's vector there moves with its batch companions (cosine down to 0.97
between two batchings of banking77 texts; see models/minilm-l6-en-int8-v1/README.md).

Weights are kept to 7 bits because, on x86 CPUs without VNNI (AVX2 only, as on the project's
machines), onnxruntime's uint8 x int8 kernel adds pairs of products in saturating int16: full-range
activations (255) times full-range weights (127) overflow it; with 63 they cannot
(2 x 255 x 63 < 32,767).

The large embedding tables read by ``Gather`` (``min_table_rows`` rows or more: the word
embeddings) are stored as int8 rows with one float32 scale per row, dequantised after the look-up.
Attention score products (no constant input), layer norms and everything else stay float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from feedback_nlp.errors import InvalidInputError

WEIGHT_LEVELS = 63
"""Largest absolute int8 weight: 7 bits, so that uint8 x int8 pairs cannot saturate int16."""
ACTIVATION_LEVELS = 255
TABLE_LEVELS = 127
MIN_TABLE_ROWS = 1000
_EPSILON = 1e-12
_PREFIX = "q8"
_EMPTY = TensorProto()


@dataclass(frozen=True, slots=True)
class QuantisationSummary:
    """What :func:`quantise_per_token` changed.

    Attributes:
        matmuls: weight products turned into ``MatMulInteger``.
        activation_quantisers: distinct activation tensors quantised (products sharing an input,
            such as the query, key and value projections, share one quantiser).
        tables: embedding tables stored as int8 rows.
        weight_levels: the largest absolute int8 weight used.
    """

    matmuls: int
    activation_quantisers: int
    tables: int
    weight_levels: int


def quantise_columns(
    weights: npt.NDArray[np.floating], levels: int = WEIGHT_LEVELS
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Symmetric int8 quantisation with one scale per column (all-zero columns get scale 1)."""
    values = np.asarray(weights, dtype=np.float64)
    scales = np.abs(values).max(axis=0) / levels
    scales[scales == 0.0] = 1.0
    quantised = np.clip(np.round(values / scales), -levels, levels).astype(np.int8)
    return quantised, scales.astype(np.float32)


def quantise_rows(
    table: npt.NDArray[np.floating], levels: int = TABLE_LEVELS
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Symmetric int8 quantisation with one scale per row; scales have shape ``(rows, 1)``."""
    quantised, scales = quantise_columns(np.asarray(table).T, levels)
    return np.ascontiguousarray(quantised.T), scales[:, None]


class _Rewriter:
    """Builds the replacement nodes and constants of one graph."""

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.constants: list[onnx.TensorProto] = []
        self._count = 0

    def constant(self, name: str, value: npt.NDArray[np.generic]) -> str:
        self.constants.append(numpy_helper.from_array(np.asarray(value), f"{_PREFIX}/{name}"))
        return f"{_PREFIX}/{name}"

    def op(
        self, op_type: str, inputs: Sequence[str], output: str | None = None, **attributes: Any
    ) -> str:
        self._count += 1
        name = output or f"{_PREFIX}/{op_type}_{self._count}"
        self.nodes.append(
            helper.make_node(
                op_type, list(inputs), [name], name=f"{_PREFIX}/n{self._count}", **attributes
            )
        )
        return name

    def reduce(self, op_type: str, tensor: str) -> str:
        """Reduce the last axis, keeping it (axes as attribute before opset 18, input after)."""
        if self.opset >= 18:
            return self.op(op_type, [tensor, f"{_PREFIX}/last_axis"], keepdims=1)
        return self.op(op_type, [tensor], axes=[-1], keepdims=1)

    def quantise_activation(self, tensor: str) -> tuple[str, str, str]:
        """uint8 codes, scale and ``zero * scale`` of ``tensor``, one scale per token."""
        zero, top = f"{_PREFIX}/zero", f"{_PREFIX}/levels"
        low = self.op("Min", [self.reduce("ReduceMin", tensor), zero])
        high = self.op("Max", [self.reduce("ReduceMax", tensor), zero])
        span = self.op("Div", [self.op("Sub", [high, low]), top])
        scale = self.op("Max", [span, f"{_PREFIX}/epsilon"])
        zero_point = self.op("Round", [self.op("Div", [self.op("Neg", [low]), scale])])
        shifted = self.op("Add", [self.op("Round", [self.op("Div", [tensor, scale])]), zero_point])
        codes = self.op("Cast", [self.op("Clip", [shifted, zero, top])], to=TensorProto.UINT8)
        return codes, scale, self.op("Mul", [zero_point, scale])


def _opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise InvalidInputError("The ONNX model imports no default-domain opset.")


def quantise_per_token(
    model: onnx.ModelProto,
    *,
    weight_levels: int = WEIGHT_LEVELS,
    min_table_rows: int = MIN_TABLE_ROWS,
    keep_float: Sequence[str] = (),
) -> tuple[onnx.ModelProto, QuantisationSummary]:
    """Return a copy of ``model`` with its weight products and large tables in int8.

    Args:
        model: a float32 ONNX model (opset 13 or later).
        weight_levels: largest absolute int8 weight, 1..127 (63 avoids int16 saturation on AVX2).
        min_table_rows: ``Gather`` tables with at least this many rows are stored in int8.
        keep_float: ``MatMul`` nodes whose name contains one of these strings stay float32.

    Raises:
        InvalidInputError: ``weight_levels`` out of range, or the model has nothing to quantise.
    """
    if not 1 <= weight_levels <= 127:
        raise InvalidInputError(
            f"The 'weight_levels' parameter must be an int in 1..127. Got {weight_levels}."
        )
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    rewriter = _Rewriter(_opset(out))
    rewriter.constant("zero", np.array(0.0, dtype=np.float32))
    rewriter.constant("levels", np.array(ACTIVATION_LEVELS, dtype=np.float32))
    rewriter.constant("epsilon", np.array(_EPSILON, dtype=np.float32))
    if rewriter.opset >= 18:
        rewriter.constant("last_axis", np.array([-1], dtype=np.int64))
    activations: dict[str, tuple[str, str, str]] = {}
    matmuls = tables = 0
    for node in graph.node:
        if (
            node.op_type == "MatMul"
            and len(weights.get(node.input[1], _EMPTY).dims) == 2
            and not any(part in node.name for part in keep_float)
        ):
            matmuls += 1
            weight = numpy_helper.to_array(weights[node.input[1]])
            codes_w, scales_w = quantise_columns(weight, weight_levels)
            column_sums = codes_w.astype(np.int64).sum(axis=0) * scales_w.astype(np.float64)
            stem = f"matmul{matmuls}"
            if node.input[0] not in activations:
                activations[node.input[0]] = rewriter.quantise_activation(node.input[0])
            codes, scale, zero_scaled = activations[node.input[0]]
            product = rewriter.op(
                "MatMulInteger", [codes, rewriter.constant(f"{stem}/weight", codes_w)]
            )
            as_float = rewriter.op("Cast", [product], to=TensorProto.FLOAT)
            by_column = rewriter.op(
                "Mul", [as_float, rewriter.constant(f"{stem}/weight_scale", scales_w)]
            )
            correction = rewriter.op(
                "Mul",
                [
                    zero_scaled,
                    rewriter.constant(f"{stem}/column_sum", column_sums.astype(np.float32)),
                ],
            )
            rewriter.op("Sub", [rewriter.op("Mul", [by_column, scale]), correction], node.output[0])
        elif (
            node.op_type == "Gather"
            and len(weights.get(node.input[0], _EMPTY).dims) == 2
            and weights[node.input[0]].dims[0] >= min_table_rows
        ):
            tables += 1
            codes_t, scales_t = quantise_rows(numpy_helper.to_array(weights[node.input[0]]))
            stem = f"table{tables}"
            rows = rewriter.op(
                "Gather", [rewriter.constant(f"{stem}/rows", codes_t), node.input[1]]
            )
            row_scales = rewriter.op(
                "Gather", [rewriter.constant(f"{stem}/row_scale", scales_t), node.input[1]]
            )
            as_float = rewriter.op("Cast", [rows], to=TensorProto.FLOAT)
            rewriter.op("Mul", [as_float, row_scales], node.output[0])
        else:
            rewriter.nodes.append(node)
    if not matmuls:
        raise InvalidInputError(
            "The ONNX model has no MatMul with a constant 2-D weight: nothing to quantise."
        )
    used = {name for node in rewriter.nodes for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.node[:]
    graph.node.extend(rewriter.nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + rewriter.constants)
    onnx.checker.check_model(out)
    summary = QuantisationSummary(
        matmuls=matmuls,
        activation_quantisers=len(activations),
        tables=tables,
        weight_levels=weight_levels,
    )
    return out, summary
