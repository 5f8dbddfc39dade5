"""The JSON graph format: the lecture's examples as graphs, every validation error, ``ComputationalGraph``."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest

from reference import GATES, ComputationalGraph, GraphError, check_graph, check_values
from reference.checks import AXIS, BOOL, LABELS, NUMBER, SHAPE
from reference.sequence import INDEX, INDICES, MASK

# ------------------------------------------------------- the lecture's examples

ADD_MUL = json.loads(
    """{"inputs": {"x": [], "y": [], "z": []},
        "nodes": [{"id": "q", "op": "add", "args": ["x", "y"]},
                  {"id": "f", "op": "mul", "args": ["q", "z"]}],
        "output": "f"}"""
)

NEURON_PRIMITIVE = json.loads(
    """{"inputs": {"w0": [], "x0": [], "w1": [], "x1": [], "w2": []},
        "nodes": [{"id": "a", "op": "mul", "args": ["w0", "x0"]},
                  {"id": "b", "op": "mul", "args": ["w1", "x1"]},
                  {"id": "c", "op": "add", "args": ["a", "b"]},
                  {"id": "d", "op": "add", "args": ["c", "w2"]},
                  {"id": "e", "op": "mul_const", "args": ["d"], "attrs": {"c": -1}},
                  {"id": "f", "op": "exp", "args": ["e"]},
                  {"id": "g", "op": "add_const", "args": ["f"], "attrs": {"c": 1}},
                  {"id": "h", "op": "reciprocal", "args": ["g"]}],
        "output": "h"}"""
)

NEURON_FUSED = json.loads(
    """{"inputs": {"w0": [], "x0": [], "w1": [], "x1": [], "w2": []},
        "nodes": [{"id": "a", "op": "mul", "args": ["w0", "x0"]},
                  {"id": "b", "op": "mul", "args": ["w1", "x1"]},
                  {"id": "c", "op": "add", "args": ["a", "b"]},
                  {"id": "d", "op": "add", "args": ["c", "w2"]},
                  {"id": "s", "op": "sigmoid", "args": ["d"]}],
        "output": "s"}"""
)

NORM = json.loads(
    """{"inputs": {"W": [2, 2], "x": [2]},
        "nodes": [{"id": "q", "op": "matmul", "args": ["W", "x"]},
                  {"id": "s", "op": "square", "args": ["q"]},
                  {"id": "f", "op": "sum", "args": ["s"]}],
        "output": "f"}"""
)


def test_lecture_example_1_as_a_graph():
    graph = ComputationalGraph(ADD_MUL)
    assert graph.forward({"x": -2, "y": 5, "z": -4}) == -12.0
    grads = graph.backward()
    assert grads == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert graph.node_values["q"] == 3.0


@pytest.mark.parametrize("spec", [NEURON_PRIMITIVE, NEURON_FUSED], ids=["primitive gates", "fused sigmoid"])
def test_lecture_example_2_as_a_graph(spec):
    graph = ComputationalGraph(spec)
    out = graph.forward({"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0})
    assert round(float(out), 2) == 0.73
    grads = graph.backward()
    # the lecture rounds to two decimals
    assert {k: round(float(g), 2) for k, g in grads.items()} == {
        "w0": -0.20,
        "x0": 0.39,
        "w1": -0.39,
        "x1": -0.59,
        "w2": 0.20,
    }


def test_lecture_example_3_as_a_graph():
    graph = ComputationalGraph(NORM)
    out = graph.forward({"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]})
    assert out == pytest.approx(0.116, abs=1e-12)
    grads = graph.backward()
    np.testing.assert_allclose(grads["W"], [[0.088, 0.176], [0.104, 0.208]], atol=1e-12)
    np.testing.assert_allclose(grads["x"], [-0.112, 0.636], atol=1e-12)
    assert check_graph(NORM).shape_of("q") == (2,)


# ----------------------------------------------------------- validation errors

BASE: dict[str, Any] = {
    "inputs": {"W": [2, 3], "x": [3], "s": []},
    "nodes": [
        {"id": "q", "op": "matmul", "args": ["W", "x"]},
        {"id": "f", "op": "sum", "args": ["q"], "attrs": {"axis": 0}},
    ],
    "output": "f",
}


def test_the_base_graph_is_valid():
    graph = check_graph(BASE)
    assert [n.id for n in graph.nodes] == ["q", "f"]
    assert graph.shape_of("q") == (2,) and graph.shape_of("f") == ()
    assert issubclass(GraphError, ValueError)


def with_node(node: dict[str, Any], output: str | None = None) -> dict[str, Any]:
    """BASE with one more node (made the output)."""
    graph = copy.deepcopy(BASE)
    graph["nodes"].append(node)
    graph["output"] = output or node.get("id", "f")
    return graph


def edited(**changes: Any) -> dict[str, Any]:
    graph = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            del graph[key]
        else:
            graph[key] = value
    return graph


def node(node_id: str, op: Any, args: Any, attrs: Any = None) -> dict[str, Any]:
    spec = {"id": node_id, "op": op, "args": args}
    if attrs is not None:
        spec["attrs"] = attrs
    return spec


INVALID_GRAPHS = [
    # the graph object
    ("not an object", [1, 2], r"a graph must be a JSON object, got list"),
    ("unknown key", edited(outputs="f"), r"graph: unknown key 'outputs'"),
    ("missing inputs", edited(inputs=None), r"graph: missing 'inputs'"),
    ("missing nodes", edited(nodes=None), r"graph: missing 'nodes'"),
    ("missing output", edited(output=None), r"graph: missing 'output'"),
    ("no inputs", edited(inputs={}), r"'inputs' must be a non-empty object"),
    (
        "input shape not a list",
        edited(inputs={"W": 3}),
        r"input 'W': shape must be a list of positive integers",
    ),
    ("input shape with 0", edited(inputs={"W": [2, 0], "x": [3]}), r"input 'W': shape"),
    ("input shape with float", edited(inputs={"W": [2, 3.0], "x": [3]}), r"input 'W': shape"),
    ("nodes not a list", edited(nodes={"q": 1}), r"'nodes' must be a list"),
    ("output not a node", edited(output="g"), r"output 'g' is not an input or a node"),
    ("output not a string", edited(output=["f"]), r"output \['f'\] is not an input or a node"),
    # one node
    (
        "node without id",
        with_node({"op": "neg", "args": ["x"]}),
        r"node #2: must be an object with a string 'id'",
    ),
    ("node id not a string", with_node({"id": 7, "op": "neg", "args": ["x"]}, "f"), r"node #2"),
    ("node not an object", with_node("neg", "f"), r"node #2"),
    ("unknown node key", with_node({**node("n", "neg", ["x"]), "atrs": {}}), r"node 'n': unknown key 'atrs'"),
    ("unknown op", with_node(node("n", "negate", ["x"])), r"node 'n': unknown op 'negate'"),
    ("missing op", with_node({"id": "n", "args": ["x"]}), r"node 'n': unknown op None"),
    ("op not a string", with_node(node("n", ["neg"], ["x"])), r"node 'n': unknown op \['neg'\]"),
    (
        "too few args",
        with_node(node("n", "matmul", ["W"])),
        r"node 'n' \(matmul\): takes 2 arg\(s\), got \['W'\]",
    ),
    ("too many args", with_node(node("n", "neg", ["x", "x"])), r"node 'n' \(neg\): takes 1 arg\(s\)"),
    ("args not a list", with_node(node("n", "neg", "x")), r"node 'n' \(neg\): takes 1 arg\(s\), got 'x'"),
    ("missing args", with_node({"id": "n", "op": "neg"}), r"node 'n' \(neg\): takes 1 arg\(s\), got None"),
    (
        "unknown arg",
        with_node(node("n", "add", ["x", "y"])),
        r"node 'n' \(add\): arg 'y' is not an input or an earlier",
    ),
    ("arg not a string", with_node(node("n", "add", ["x", 0])), r"node 'n' \(add\): arg 0 is not an input"),
    (
        "self reference",
        with_node(node("n", "neg", ["n"])),
        r"node 'n' \(neg\): arg 'n' is not an input or an earlier",
    ),
    (
        "forward reference",
        edited(nodes=[node("f", "sum", ["q"]), node("q", "matmul", ["W", "x"])]),
        r"node 'f' \(sum\): arg 'q' is not an input or an earlier node",
    ),
    ("duplicate node id", with_node(node("q", "neg", ["x"]), "f"), r"node 'q': duplicate id"),
    ("node id is an input", with_node(node("x", "neg", ["x"]), "f"), r"node 'x': duplicate id"),
    # attributes
    ("missing attr", with_node(node("n", "add_const", ["x"])), r"node 'n' \(add_const\): missing attr 'c'"),
    (
        "missing labels",
        with_node(node("n", "svm_loss", ["W"])),
        r"node 'n' \(svm_loss\): missing attr 'labels'",
    ),
    (
        "unknown attr",
        with_node(node("n", "sum", ["x"], {"axes": 0})),
        r"node 'n' \(sum\): unknown attr 'axes'",
    ),
    (
        "attr on a gate without",
        with_node(node("n", "tanh", ["x"], {"c": 1})),
        r"unknown attr 'c' \(expected: none\)",
    ),
    (
        "attrs not an object",
        with_node(node("n", "tanh", ["x"], "c")),
        r"node 'n' \(tanh\): 'attrs' must be an object",
    ),
    (
        "attrs an empty list",
        with_node(node("n", "tanh", ["x"], [])),
        r"node 'n' \(tanh\): 'attrs' must be an object",
    ),
    (
        "c a string",
        with_node(node("n", "add_const", ["x"], {"c": "1"})),
        r"node 'n' \(add_const\): attr 'c' must be",
    ),
    (
        "c a bool",
        with_node(node("n", "mul_const", ["x"], {"c": True})),
        r"node 'n' \(mul_const\): attr 'c' must be",
    ),
    (
        "p a list",
        with_node(node("n", "pow_const", ["x"], {"p": [2]})),
        r"node 'n' \(pow_const\): attr 'p' must be",
    ),
    (
        "axis a float",
        with_node(node("n", "sum", ["W"], {"axis": 1.0})),
        r"node 'n' \(sum\): attr 'axis' must be an int",
    ),
    ("axis a bool", with_node(node("n", "max", ["W"], {"axis": True})), r"node 'n' \(max\): attr 'axis'"),
    (
        "keepdims an int",
        with_node(node("n", "mean", ["W"], {"keepdims": 1})),
        r"node 'n' \(mean\): attr 'keepdims'",
    ),
    (
        "shape a string",
        with_node(node("n", "reshape", ["W"], {"shape": "6"})),
        r"node 'n' \(reshape\): attr 'shape'",
    ),
    (
        "shape of floats",
        with_node(node("n", "reshape", ["W"], {"shape": [6.0]})),
        r"node 'n' \(reshape\): attr 'shape'",
    ),
    (
        "labels floats",
        with_node(node("n", "svm_loss", ["W"], {"labels": [0.5, 1]})),
        r"node 'n' \(svm_loss\): attr 'labels'",
    ),
    # non-finite constants
    (
        "c NaN",
        with_node(node("n", "add_const", ["x"], {"c": math.nan})),
        r"node 'n' \(add_const\): attr 'c' must be a finite",
    ),
    (
        "c inf",
        with_node(node("n", "mul_const", ["x"], {"c": math.inf})),
        r"node 'n' \(mul_const\): attr 'c' must be a finite",
    ),
    (
        "c -inf",
        with_node(node("n", "add_const", ["x"], {"c": -math.inf})),
        r"node 'n' \(add_const\): attr 'c' must be a finite",
    ),
    (
        "p NaN",
        with_node(node("n", "pow_const", ["x"], {"p": math.nan})),
        r"node 'n' \(pow_const\): attr 'p' must be a finite",
    ),
    (
        "c beyond float",
        with_node(node("n", "add_const", ["x"], {"c": 10**400})),
        r"node 'n' \(add_const\): attr 'c' must be a finite",
    ),
    # shapes that do not fit
    (
        "broadcast failure",
        with_node(node("n", "mul", ["W", "q"])),
        r"node 'n' \(mul\): shapes \[2, 3\] and \[2\] do not broadcast",
    ),
    (
        "matmul inner dims",
        with_node(node("n", "matmul", ["x", "W"])),
        r"node 'n' \(matmul\): .*inner dimensions differ, shapes \[3\] and \[2, 3\]",
    ),
    (
        "matmul a scalar",
        with_node(node("n", "matmul", ["s", "x"])),
        r"node 'n' \(matmul\): takes 1-D or 2-D inputs",
    ),
    (
        "axis too large",
        with_node(node("n", "sum", ["W"], {"axis": 2})),
        r"node 'n' \(sum\): axis 2 is out of range .* \[2, 3\]",
    ),
    (
        "axis too negative",
        with_node(node("n", "max", ["W"], {"axis": -3})),
        r"node 'n' \(max\): axis -3 is out of range",
    ),
    (
        "axis on a scalar",
        with_node(node("n", "mean", ["s"], {"axis": 0})),
        r"node 'n' \(mean\): axis 0 is out of range",
    ),
    (
        "transpose 1-D",
        with_node(node("n", "transpose", ["x"])),
        r"node 'n' \(transpose\): takes a 2-D input",
    ),
    (
        "reshape size",
        with_node(node("n", "reshape", ["W"], {"shape": [4, 2]})),
        r"node 'n' \(reshape\): .*cannot reshape \[2, 3\] into \[4, 2\]",
    ),
    (
        "reshape -1 size",
        with_node(node("n", "reshape", ["W"], {"shape": [4, -1]})),
        r"node 'n' \(reshape\): .*cannot reshape",
    ),
    (
        "reshape two -1",
        with_node(node("n", "reshape", ["W"], {"shape": [-1, -1]})),
        r"node 'n' \(reshape\): .*bad target shape",
    ),
    (
        "reshape 0",
        with_node(node("n", "reshape", ["W"], {"shape": [0, 6]})),
        r"node 'n' \(reshape\): .*bad target shape",
    ),
    (
        "reshape -2",
        with_node(node("n", "reshape", ["W"], {"shape": [-2, -3]})),
        r"node 'n' \(reshape\): .*bad target shape",
    ),
    (
        "loss label count",
        with_node(node("n", "svm_loss", ["W"], {"labels": [0]})),
        r"node 'n' \(svm_loss\): labels: expected 2 labels",
    ),
    (
        "loss label range",
        with_node(node("n", "softmax_loss", ["W"], {"labels": [0, 3]})),
        r"node 'n' \(softmax_loss\): labels must lie in \[0, 3\)",
    ),
    (
        "loss negative label",
        with_node(node("n", "svm_loss", ["W"], {"labels": [-1, 0]})),
        r"node 'n' \(svm_loss\): labels must lie",
    ),
    (
        "loss 1-D scores",
        with_node(node("n", "softmax_loss", ["x"], {"labels": [0]})),
        r"node 'n' \(softmax_loss\): scores must be 2-D",
    ),
]


@pytest.mark.parametrize(
    ("graph", "match"), [g[1:] for g in INVALID_GRAPHS], ids=[g[0] for g in INVALID_GRAPHS]
)
def test_an_invalid_graph_is_a_graph_error_naming_the_culprit(graph, match):
    with pytest.raises(GraphError, match=match):
        check_graph(graph)
    with pytest.raises(GraphError, match=match):
        ComputationalGraph(graph)


def test_attrs_may_be_null_or_absent_when_a_gate_has_none_required():
    for attrs in (None, {}):
        graph = check_graph(with_node(node("n", "sum", ["W"], attrs)))
        assert graph.nodes[-1].attrs == {"axis": None, "keepdims": False}
    assert check_graph(with_node({"id": "n", "op": "tanh", "args": ["x"], "attrs": None})).shape_of("n") == (
        3,
    )


def test_non_finite_constants_parsed_from_json_are_refused():
    text = (
        '{"inputs": {"x": [2]}, "output": "k", '
        '"nodes": [{"id": "k", "op": "add_const", "args": ["x"], "attrs": {"c": %s}}]}'
    )
    for constant in ("NaN", "Infinity", "-Infinity", "1e999"):
        with pytest.raises(GraphError, match=r"node 'k' \(add_const\): attr 'c' must be a finite number"):
            check_graph(json.loads(text % constant))


def test_every_gate_accepts_its_attrs_from_json():
    """Each gate's declared attrs pass their type's check (an attr type without an example here fails)."""
    example = {NUMBER: 2.0, AXIS: 0, BOOL: True, SHAPE: [6], LABELS: [0, 1], INDEX: 1, INDICES: [0, 1]}
    example[MASK] = [True, False]
    for name, gate in GATES.items():
        if gate.forward.__module__ == "reference.layers":  # images and their attrs: test_vision_gates.py
            continue
        args = ["W"] * gate.arity if name != "matmul" else ["W", "x"]
        spec = node("n", name, args, {attr: example[declared.kind] for attr, declared in gate.attrs.items()})
        graph = check_graph({"inputs": {"W": [2, 3], "x": [3]}, "nodes": [spec], "output": "n"})
        assert graph.nodes[0].gate is gate


# ---------------------------------------------------------------- values

VALUES = {"W": np.ones((2, 3)), "x": [1.0, 2.0, 3.0], "s": 2.0}

INVALID_VALUES = [
    ("missing value", {"W": np.ones((2, 3)), "x": [1, 2, 3]}, r"input 's': missing value"),
    ("wrong shape", {**VALUES, "x": [1.0, 2.0]}, r"input 'x': expected shape \[3\], got \[2\]"),
    ("scalar for a vector", {**VALUES, "x": 1.0}, r"input 'x': expected shape \[3\], got \[\]"),
    ("vector for a scalar", {**VALUES, "s": [1.0]}, r"input 's': expected shape \[\], got \[1\]"),
    ("unknown input", {**VALUES, "y": 1.0}, r"input 'y': not an input of the graph"),
    ("a string", {**VALUES, "s": "2"}, r"input 's': not a number"),
    ("a string inside", {**VALUES, "x": [1, "a", 3]}, r"input 'x': not a number"),
    ("None", {**VALUES, "s": None}, r"input 's': not a number"),
    ("ragged", {**VALUES, "W": [[1, 2, 3], [4, 5]]}, r"input 'W': not a number"),
    ("an object", {**VALUES, "s": {"value": 1}}, r"input 's': not a number"),
    ("complex", {**VALUES, "s": 1j}, r"input 's': not a number"),
    ("not a mapping", [1, 2, 3], r"values must be an object"),
]


@pytest.mark.parametrize(
    ("values", "match"), [v[1:] for v in INVALID_VALUES], ids=[v[0] for v in INVALID_VALUES]
)
def test_invalid_values_are_graph_errors_naming_the_input(values, match):
    with pytest.raises(GraphError, match=match):
        check_values(check_graph(BASE), values)
    with pytest.raises(GraphError, match=match):
        ComputationalGraph(BASE).forward(values)


def test_values_are_converted_to_the_requested_dtype():
    arrays = check_values(check_graph(BASE), {"W": [[1, 2, 3], [4, 5, 6]], "x": np.arange(3), "s": 2})
    assert {a.dtype for a in arrays.values()} == {np.dtype(np.float64)}
    arrays = check_values(check_graph(BASE), VALUES, np.float32)
    assert {a.dtype for a in arrays.values()} == {np.dtype(np.float32)}
    with pytest.raises(GraphError, match=r"dtype 'int64': expected float32 or float64"):
        check_values(check_graph(BASE), VALUES, np.int64)


# ------------------------------------------------------- ComputationalGraph


def test_backward_before_forward_and_wrong_upstream_are_graph_errors():
    graph = ComputationalGraph(NORM)
    with pytest.raises(GraphError, match=r"backward\(\) before forward\(\)"):
        graph.backward()
    graph.forward({"W": np.eye(2), "x": [1.0, 2.0]})
    with pytest.raises(GraphError, match=r"upstream gradient: expected shape \[\], got \[2\]"):
        graph.backward([1.0, 1.0])


def test_a_graph_runs_again_with_new_values_without_being_rebuilt():
    graph = ComputationalGraph(ADD_MUL)
    graph.forward({"x": -2.0, "y": 5.0, "z": -4.0})
    assert graph.backward() == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert graph.forward({"x": 1.0, "y": 2.0, "z": 3.0}) == 9.0
    assert graph.backward() == {"x": 3.0, "y": 3.0, "z": 3.0}
    assert graph.backward(2.0) == {"x": 6.0, "y": 6.0, "z": 6.0}  # a second backward does not accumulate
    assert graph.node_values == {"x": 1.0, "y": 2.0, "z": 3.0, "q": 3.0, "f": 9.0}


def test_the_output_may_name_an_input():
    graph = ComputationalGraph({"inputs": {"x": [2], "y": []}, "nodes": [], "output": "x"})
    np.testing.assert_array_equal(graph.forward({"x": [3.0, 4.0], "y": 1.0}), [3.0, 4.0])
    grads = graph.backward(np.array([5.0, -6.0]))
    np.testing.assert_array_equal(grads["x"], [5.0, -6.0])
    assert grads["y"] == 0.0
    graph = ComputationalGraph({"inputs": {"s": []}, "nodes": [], "output": "s"})
    graph.forward({"s": 7.0})
    assert graph.backward() == {"s": 1.0}


def test_an_input_the_output_does_not_use_gets_a_zero_gradient():
    spec = {
        "inputs": {"x": [3], "unused": [2, 2]},
        "nodes": [node("t", "tanh", ["unused"]), node("f", "sum", ["x"])],  # t is computed, not used
        "output": "f",
    }
    graph = ComputationalGraph(spec)
    graph.forward({"x": [1.0, 2.0, 3.0], "unused": np.ones((2, 2))})
    grads = graph.backward()
    np.testing.assert_array_equal(grads["x"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(grads["unused"], np.zeros((2, 2)))
    assert grads["unused"].dtype == np.float64
    graph.forward({"x": [1.0, 2.0, 3.0], "unused": np.ones((2, 2))}, dtype=np.float32)
    assert graph.backward()["unused"].dtype == np.float32


def test_float32_graphs():
    graph = ComputationalGraph(NORM)
    values = {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}
    out = graph.forward(values, dtype=np.float32)
    assert out.dtype == np.float32
    grads = graph.backward()
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert {v.dtype for v in graph.node_values.values()} == {np.dtype(np.float32)}
    np.testing.assert_allclose(out, 0.116, rtol=1e-6)
    np.testing.assert_allclose(grads["W"], [[0.088, 0.176], [0.104, 0.208]], rtol=1e-6)
    np.testing.assert_allclose(grads["x"], [-0.112, 0.636], rtol=1e-6)
    # and back to float64 with the same object
    assert graph.forward(values).dtype == np.float64
    assert graph.backward()["x"].dtype == np.float64


def test_fan_out_in_a_graph_is_deterministic_and_correct():
    spec = {
        "inputs": {"x": [4]},
        "nodes": [
            node("a", "tanh", ["x"]),
            node("b", "mul", ["a", "a"]),
            node("c", "add", ["a", "b"]),
            node("d", "mul", ["c", "a"]),
            node("f", "sum", ["d"]),
        ],
        "output": "f",
    }
    x = np.array([0.3, -1.2, 2.0, 0.7])
    runs = []
    for _ in range(2):
        graph = ComputationalGraph(spec)
        graph.forward({"x": x})
        runs.append(graph.backward()["x"])
    assert runs[0].tobytes() == runs[1].tobytes()
    # f = sum(a^2 + a^3), a = tanh(x): df/dx = (2a + 3a^2)(1 - a^2)
    a = np.tanh(x)
    np.testing.assert_allclose(runs[0], (2 * a + 3 * a**2) * (1 - a**2), rtol=1e-14)
