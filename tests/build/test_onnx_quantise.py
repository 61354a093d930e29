from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from feedback_nlp.build.onnx_quantise import quantise_columns, quantise_per_token, quantise_rows
from feedback_nlp.errors import InvalidInputError


def _model(weight: np.ndarray, table: np.ndarray | None = None, opset: int = 17) -> onnx.ModelProto:
    """A graph ``x -> MatMul(weight) -> y``; with a table, ``ids -> Gather -> x`` first."""
    initializers = [numpy_helper.from_array(weight.astype(np.float32), "weight")]
    nodes = [helper.make_node("MatMul", ["x", "weight"], ["y"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "t", weight.shape[0]])]
    if table is not None:
        initializers.append(numpy_helper.from_array(table.astype(np.float32), "table"))
        nodes.insert(0, helper.make_node("Gather", ["table", "ids"], ["x"]))
        inputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "t"])]
    graph = helper.make_graph(
        nodes,
        "tiny",
        inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "t", weight.shape[1]])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _run(model: onnx.ModelProto, **feeds: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(["y"], feeds)[0])


def test_onnx_quantise_columns_use_one_scale_per_column() -> None:
    codes, scales = quantise_columns(np.array([[1.0, 0.0], [-0.5, 2.0]]), levels=63)
    # column 0: max |w| = 1 -> scale 1/63; column 1: max |w| = 2 -> scale 2/63
    np.testing.assert_allclose(scales, [1 / 63, 2 / 63], rtol=1e-6)
    np.testing.assert_array_equal(codes, [[63, 0], [-32, 63]])  # -0.5 * 63 = -31.5 -> -32 (even)


def test_onnx_quantise_rows_keep_all_zero_rows_zero() -> None:
    codes, scales = quantise_rows(np.array([[0.0, 0.0], [0.5, -1.0]]))
    np.testing.assert_array_equal(codes, [[0, 0], [64, -127]])  # 63.5 -> 64 (half to even)
    np.testing.assert_allclose(scales[:, 0], [1.0, 1 / 127], rtol=1e-6)


def test_onnx_quantise_matmul_matches_the_hand_computed_product() -> None:
    weight = np.array([[1.0, 0.0], [0.0, 2.0]])  # codes [[63, 0], [0, 63]], scales 1/63, 2/63
    quantised, summary = quantise_per_token(_model(weight))
    assert (summary.matmuls, summary.activation_quantisers, summary.tables) == (1, 1, 0)
    x = np.array([[[2.55, 0.0], [-1.0, 2.984375], [3.984375, 1.0078125]]], dtype=np.float32)
    # token 1: range [0, 2.55] -> scale 0.01, zero 0, codes [255, 0]: y = [2.55, 0]
    # token 2: range [-1, 2.984375] -> scale 3.984375 / 255 = 1/64, zero 64, codes [0, 255]:
    #          exact, y = [-1, 2.984375 * 2] = [-1, 5.96875]
    # token 3: range [0, 3.984375] -> scale 1/64, zero 0; 1.0078125 * 64 = 64.5 rounds to 64
    #          (half to even) -> x dequantised [3.984375, 1.0], y = [3.984375, 2.0]
    expected = [[[2.55, 0.0], [-1.0, 5.96875], [3.984375, 2.0]]]
    np.testing.assert_allclose(_run(quantised, x=x), expected, atol=1e-5)


def test_onnx_quantise_tokens_do_not_affect_each_other() -> None:
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(16, 8))
    quantised, _ = quantise_per_token(_model(weight))
    x = rng.normal(size=(3, 5, 16)).astype(np.float32)
    x[2, 4] *= 100.0  # an outlier token in the batch
    batch = _run(quantised, x=x)
    alone = np.stack([_run(quantised, x=x[i : i + 1])[0] for i in range(3)])
    np.testing.assert_allclose(batch, alone, atol=1e-6)
    np.testing.assert_allclose(batch[:2], x[:2] @ weight, atol=0.05 * np.abs(x @ weight).max())


@pytest.mark.parametrize("opset", [17, 18])
def test_onnx_quantise_table_lookup_is_int8_per_row(opset: int) -> None:
    table = np.array([[0.5, -1.0], [2.0, 0.0], [0.0, 0.0]])
    quantised, summary = quantise_per_token(_model(np.eye(2), table, opset=opset), min_table_rows=3)
    assert summary.tables == 1
    stored = {tensor.name: tensor for tensor in quantised.graph.initializer}
    assert "table" not in stored
    assert "weight" not in stored
    assert numpy_helper.to_array(stored["q8/table1/rows"]).dtype == np.int8
    y = _run(quantised, ids=np.array([[0, 1, 2]], dtype=np.int64))
    # row 0 codes [64, -127] * (1/127) = [0.50394, -1.0]; then identity through the MatMul
    np.testing.assert_allclose(y[0], [[64 / 127, -1.0], [2.0, 0.0], [0.0, 0.0]], atol=0.02)


def test_onnx_quantise_rejects_a_model_without_weights() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "no_weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(InvalidInputError, match="nothing to quantise"):
        quantise_per_token(model)


def test_onnx_quantise_rejects_weight_levels_out_of_range() -> None:
    with pytest.raises(InvalidInputError, match=r"'weight_levels' parameter .* Got 200"):
        quantise_per_token(_model(np.eye(2)), weight_levels=200)
