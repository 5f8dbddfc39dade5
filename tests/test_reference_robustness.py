"""Engine robustness (issue 14): what the engine accepts and refuses, and with which message.

``Value`` calls are checked as graph nodes are (attribute types, then the gate's shape rule)
before any forward runs; data is float32 or float64, and anything that is not a real number
is refused rather than silently converted.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import numpy as np
import pytest

from reference import GATES, ComputationalGraph, Gate, GraphError, Value, apply, check_graph, check_values

# ------------------------------------------------------------------ data and dtypes


def test_integer_and_bool_data_are_computed_in_float64():
    for data in ([1, 2, 3], np.array([1, 2, 3], dtype=np.int64), np.array([1, 2, 3], dtype=np.uint8)):
        x = Value(data)
        assert x.dtype == np.float64
        assert (x * 0.5).sum().data == 3.0
    x = Value(np.array([4, 9]))
    x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.25, 1 / 6])
    assert Value([True, False]).dtype == np.float64


@pytest.mark.parametrize(
    "dtype", [np.int64, np.int32, "int64", np.uint8, np.bool_, np.float16, np.complex128]
)
def test_a_dtype_the_engine_does_not_compute_in_is_refused(dtype):
    with pytest.raises(GraphError, match=r"Value: dtype '\w+': the engine computes in float32 or float64"):
        Value([1, 2, 3], dtype=dtype)


def test_float_dtypes_may_be_requested():
    assert Value([1, 2], dtype=np.float32).dtype == np.float32
    assert Value([1, 2], dtype="float64").dtype == np.float64
    assert Value(np.ones(2, dtype=np.float32), dtype=np.float64).dtype == np.float64


NOT_REAL: list[tuple[str, Any]] = [
    ("None", None),
    ("complex", 1 + 2j),
    ("complex array", np.array([1.0, 2.0 + 1e-3j])),
    ("string", "1.5"),
    ("strings", ["1", "2"]),
    ("object", object()),
    ("None inside", [1.0, None]),
    ("dict", {"x": 1.0}),
    ("int beyond int64", 2**70),
    ("ragged", [[1.0, 2.0], [3.0]]),
]


@pytest.mark.parametrize("data", [d[1] for d in NOT_REAL], ids=[d[0] for d in NOT_REAL])
def test_data_that_is_not_real_numbers_is_refused(data):
    with pytest.raises(GraphError, match=r"Value: not a number or a \(nested\) list of"):
        Value(data)
    with pytest.raises(GraphError, match=r"Value: not a number"):  # also as a constant beside a Value
        Value([1.0, 2.0]) * data


def test_nesting_deeper_than_numpy_allows_names_the_limit():
    data: Any = 1.0
    for _ in range(70):
        data = [data]
    with pytest.raises(GraphError, match=r"maximum number of dimension of 64"):
        Value(data)


# ------------------------------------------------------------------ relu and NaN


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_keeps_nan_and_its_conventions(dtype):
    x = Value(np.array([np.nan, -1.0, -0.0, 0.0, 2.0, np.inf, -np.inf], dtype=dtype))
    out = x.relu()
    np.testing.assert_array_equal(out.data, np.array([np.nan, 0.0, 0.0, 0.0, 2.0, np.inf, 0.0], dtype=dtype))
    assert out.dtype == dtype
    assert not np.signbit(out.data[1:4]).any()  # relu(-0.0) is +0.0, as before
    out.backward(np.full(7, 3.0, dtype=dtype))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0, 3.0, 3.0, 0.0])  # gradient 0 at 0


def test_relu_keeps_nan_in_a_graph():
    graph = ComputationalGraph(
        {"inputs": {"x": [2]}, "nodes": [{"id": "r", "op": "relu", "args": ["x"]}], "output": "r"}
    )
    out = graph.forward({"x": [math.nan, -1.0]})
    assert math.isnan(out[0]) and out[1] == 0.0


# ------------------------------------------------------------------ Value calls are checked


def test_matmul_of_3d_values_is_refused():
    a, b = Value(np.ones((2, 3, 4))), Value(np.ones((2, 4, 5)))
    with pytest.raises(
        GraphError, match=r"matmul: takes 1-D or 2-D inputs, got shapes \[2, 3, 4\] and \[2, 4, 5\]"
    ):
        a @ b
    with pytest.raises(GraphError, match=r"matmul: takes 1-D or 2-D inputs"):
        Value(np.ones((3, 2))) @ np.ones((2, 2, 2))
    with pytest.raises(GraphError, match=r"matmul: inner dimensions differ, shapes \[2, 3\] and \[2\]"):
        Value(np.ones((2, 3))) @ Value(np.ones(2))
    with pytest.raises(GraphError, match=r"transpose: takes a 2-D input, got shape \[2, 3, 4\]"):
        a.T  # noqa: B018


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ([-1], r"svm_loss: labels must lie in \[0, 3\), got \[-1\]"),
        ([5], r"svm_loss: labels must lie in \[0, 3\), got \[5\]"),
        ([1.7], r"svm_loss: attr 'labels' must be a list of integers, got \[1.7\]"),
        ([0, 1], r"svm_loss: labels: expected 1 labels for scores of shape \[1, 3\], got 2"),
        (np.array([0.0]), r"svm_loss: attr 'labels' must be a list of integers"),
        (0, r"svm_loss: attr 'labels' must be a list of integers, got 0"),
    ],
)
def test_svm_labels_are_checked_as_in_the_graph_format(labels, match):
    with pytest.raises(GraphError, match=match):
        Value([[1.0, 2.0, 3.0]]).svm_loss(labels)
    with pytest.raises(GraphError, match=match.replace("svm_loss", "softmax_loss")):
        Value([[1.0, 2.0, 3.0]]).softmax_loss(labels)


def test_labels_may_be_numpy_integers():
    scores = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    expected = Value(scores).svm_loss([2, 0]).data
    assert Value(scores).svm_loss(np.array([2, 0])).data == expected
    assert Value(scores).svm_loss([np.int64(2), np.int32(0)]).data == expected
    assert Value(scores).softmax_loss((2, 0)).data == Value(scores).softmax_loss([2, 0]).data


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reductions_refuse_a_tuple_of_axes_alike(op):
    x = Value(np.arange(6.0).reshape(2, 3))
    for call in (lambda: getattr(x, op)((0, 1)), lambda: getattr(x, op)(axis=[0])):
        with pytest.raises(
            GraphError, match=rf"^{op}: attr 'axis' must be an integer or None \(null in JSON\)"
        ):
            call()
    with pytest.raises(GraphError, match=rf"^{op}: attr 'keepdims' must be true or false, got 1"):
        getattr(x, op)(0, 1)
    with pytest.raises(GraphError, match=rf"^{op}: axis 2 is out of range for an input of shape \[2, 3\]"):
        getattr(x, op)(2)
    np.testing.assert_array_equal(getattr(x, op)(np.int64(1)).data, getattr(np, op)(x.data, axis=1))


def test_attrs_of_a_value_call_are_checked_like_the_graph_format():
    x = Value([1.0, 2.0])
    for bad in (math.nan, math.inf, True, "2", None, 10**400, 2**64):
        with pytest.raises(GraphError, match=r"mul_const: attr 'c' must be a finite number"):
            apply("mul_const", x, c=bad)
    with pytest.raises(GraphError, match=r"pow_const: attr 'p' must be a finite number"):
        x**math.nan
    with pytest.raises(GraphError, match=r"add_const: missing attr 'c'"):
        apply("add_const", x)
    with pytest.raises(GraphError, match=r"sum: unknown attr 'axes' \(expected: axis, keepdims\)"):
        apply("sum", x, axes=0)
    with pytest.raises(GraphError, match=r"add: shapes \[2\] and \[3\] do not broadcast"):
        x + np.ones(3)
    with pytest.raises(GraphError, match=r"reshape: cannot reshape \[2\] into \[3\]"):
        x.reshape(3)
    assert apply("mul_const", x, c=np.float64(0.5)).data.tolist() == [0.5, 1.0]
    assert apply("mul_const", x, c=np.int64(3)).data.tolist() == [3.0, 6.0]


def test_a_value_call_is_checked_before_its_forward_runs():
    calls = []

    def forward(x: np.ndarray, *, k: int) -> tuple[np.ndarray, tuple]:
        calls.append(k)
        return x, (lambda g: g,)

    def two_d(x: tuple[int, ...], *, k: int) -> tuple[int, ...]:
        if len(x) != 2:
            raise ValueError(f"takes a 2-D input, got shape {list(x)}")
        return x

    spy = Gate("spy", 1, forward, two_d, {"k": GATES["sum"].attrs["axis"]})
    with pytest.raises(GraphError, match=r"spy: attr 'k' must be an integer"):
        apply(spy, Value(np.ones((2, 2))), k=0.5)
    with pytest.raises(GraphError, match=r"spy: takes a 2-D input, got shape \[3\]"):
        apply(spy, Value(np.ones(3)), k=1)
    assert calls == []
    apply(spy, Value(np.ones((2, 2))), k=np.int64(1))
    assert calls == [1] and type(calls[0]) is int


def test_a_failed_check_is_never_remembered_as_a_good_one():
    x = Value(np.ones((2, 3)))
    for _ in range(2):
        with pytest.raises(GraphError, match="matmul"):
            x @ x
    assert (x @ x.T).shape == (2, 2)


# ------------------------------------------------------------------ the graph format


def one_node(op: str, attrs: dict[str, Any] | None, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "inputs": inputs or {"x": [3, 4]},
        "nodes": [{"id": "n", "op": op, "args": ["x"], "attrs": attrs}],
        "output": "n",
    }


@pytest.mark.parametrize("c", [2**64, 2**53 + 1, -(2**53) - 1, 2**60, -(10**20)])
def test_integer_constants_beyond_float64_precision_are_refused(c):
    with pytest.raises(
        GraphError, match=r"node 'n' \(add_const\): attr 'c' must be a finite number that float64"
    ):
        check_graph(one_node("add_const", {"c": c}))


@pytest.mark.parametrize("c", [2**53, -(2**53), 0, 7, 2.0**64, 1e300])
def test_integer_constants_within_float64_precision_and_floats_are_kept(c):
    node = check_graph(one_node("mul_const", {"c": c})).nodes[0]
    assert node.attrs == {"c": c} and type(node.attrs["c"]) is type(c)


@pytest.mark.parametrize("target", [[-1, 2**62, 4], [2**62 + 1, 4], [2**64, 2**64, -1], [2**63, 2**63, 3, 4]])
def test_a_huge_reshape_target_is_refused_with_exact_arithmetic(target):
    with pytest.raises(GraphError, match=r"node 'n' \(reshape\): cannot reshape \[3, 4\] into "):
        check_graph(one_node("reshape", {"shape": target}))
    with pytest.raises(GraphError, match=r"^reshape: cannot reshape \[3, 4\] into "):
        Value(np.ones((3, 4))).reshape(target)


def test_more_dimensions_than_numpy_supports_are_named():
    with pytest.raises(GraphError, match=r"input 'x': shape has 70 dimensions; numpy supports at most 64"):
        check_graph(one_node("neg", None, {"x": [1] * 70}))
    with pytest.raises(
        GraphError, match=r"node 'n' \(reshape\): attr 'shape' has 65 dimensions; numpy supports at most 64"
    ):
        check_graph(one_node("reshape", {"shape": [1] * 65}, {"x": [1]}))
    graph = check_graph(one_node("neg", None, {"x": [1] * 64}))  # numpy's limit itself is fine
    assert graph.shape_of("n") == (1,) * 64


@pytest.mark.parametrize("name", [1, None, 2.5, ("x",)])
def test_input_names_must_be_strings(name):
    with pytest.raises(GraphError, match=re.escape(f"input {name!r}: input names must be strings")):
        check_graph({"inputs": {name: [2]}, "nodes": [], "output": "x"})


def test_numpy_integers_are_accepted_in_shapes_axes_and_labels():
    spec = {
        "inputs": {"W": [np.int64(2), np.int32(3)]},
        "nodes": [
            {
                "id": "s",
                "op": "sum",
                "args": ["W"],
                "attrs": {"axis": np.int64(0), "keepdims": np.bool_(True)},
            },
            {"id": "r", "op": "reshape", "args": ["W"], "attrs": {"shape": [np.int64(3), np.int64(-1)]}},
            {"id": "l", "op": "svm_loss", "args": ["W"], "attrs": {"labels": [np.int64(0), 2]}},
        ],
        "output": "l",
    }
    graph = check_graph(spec)
    assert graph.inputs == {"W": (2, 3)} and all(type(d) is int for d in graph.inputs["W"])
    assert graph.nodes[0].attrs == {"axis": 0, "keepdims": True} and graph.shape_of("s") == (1, 3)
    assert graph.nodes[1].attrs == {"shape": (3, -1)} and graph.shape_of("r") == (3, 2)
    assert graph.nodes[2].attrs == {"labels": (0, 2)}
    check_values(graph, {"W": np.ones((2, 3))})


def test_bools_are_not_integers_in_shapes_axes_and_labels():
    with pytest.raises(GraphError, match=r"input 'x': shape must be a list of positive integers"):
        check_graph(one_node("neg", None, {"x": [True, 2]}))
    with pytest.raises(GraphError, match=r"attr 'axis' must be an integer or None"):
        check_graph(one_node("sum", {"axis": np.bool_(False)}))
    with pytest.raises(GraphError, match=r"attr 'labels' must be a list of integers"):
        check_graph(one_node("svm_loss", {"labels": [True, False, True]}))


def test_graph_attrs_are_left_as_given():
    """The checks return new values: the caller's (JSON) graph is not edited."""
    spec = one_node("reshape", {"shape": [np.int64(4), -1]})
    before = copy.deepcopy(spec)
    check_graph(spec)
    assert spec == before and isinstance(spec["nodes"][0]["attrs"]["shape"], list)
