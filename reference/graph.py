"""The graph format and ``ComputationalGraph``, the lecture's forward/backward API over it.

A graph is plain JSON data::

    {"inputs": {"W": [2, 2], "x": [2]},
     "nodes": [{"id": "q", "op": "matmul", "args": ["W", "x"]},
               {"id": "s", "op": "square", "args": ["q"]},
               {"id": "f", "op": "sum", "args": ["s"]}],
     "output": "f"}

``inputs`` maps names to shapes, ``nodes`` come in topological order, ``args`` name
inputs or earlier nodes, ``attrs`` is optional. ``check_graph`` validates all of
it, shapes included, before anything runs: each node's attrs against the types its
gate declares, then the gate's shape rule (``Gate.check``; this module knows no op
or attr by name). Every complaint is a ``GraphError`` naming the culprit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from reference.checks import FLOATS, GraphError, Shape, dims, real_array
from reference.engine import Value, apply
from reference.gates import GATES, Array, Gate

__all__ = ["ComputationalGraph", "Graph", "GraphError", "Node", "check_graph", "check_values"]


@dataclass(frozen=True)
class Node:
    id: str
    gate: Gate
    args: tuple[str, ...]
    attrs: dict[str, Any]
    shape: Shape


@dataclass(frozen=True)
class Graph:
    inputs: dict[str, Shape]
    nodes: tuple[Node, ...]
    output: str

    def shape_of(self, name: str) -> Shape:
        return self.inputs[name] if name in self.inputs else next(n.shape for n in self.nodes if n.id == name)


def check_graph(graph: Any) -> Graph:
    """Validate a graph (as parsed from JSON) and infer every node's shape."""
    if not isinstance(graph, Mapping):
        raise GraphError(f"a graph must be a JSON object, got {type(graph).__name__}")
    unknown = set(graph) - {"inputs", "nodes", "output"}
    if unknown:
        raise GraphError(f"graph: unknown key {sorted(unknown)[0]!r} (expected inputs, nodes, output)")
    for key in ("inputs", "nodes", "output"):
        if key not in graph:
            raise GraphError(f"graph: missing {key!r}")
    if not isinstance(graph["inputs"], Mapping) or not graph["inputs"]:
        raise GraphError("graph: 'inputs' must be a non-empty object mapping names to shapes")
    shapes: dict[str, Shape] = {}
    for name, shape in graph["inputs"].items():
        if not isinstance(name, str):
            raise GraphError(f"input {name!r}: input names must be strings")
        try:
            shapes[name] = dims(shape)
        except ValueError as exc:
            raise GraphError(f"input {name!r}: {exc}") from None
    if not isinstance(graph["nodes"], list):
        raise GraphError("graph: 'nodes' must be a list")
    nodes = []
    for i, spec in enumerate(graph["nodes"]):
        if not isinstance(spec, Mapping) or not isinstance(spec.get("id"), str):
            raise GraphError(f"node #{i}: must be an object with a string 'id'")
        nodes.append(_check_node(spec, shapes))
        shapes[spec["id"]] = nodes[-1].shape
    output = graph["output"]
    if not isinstance(output, str) or output not in shapes:
        raise GraphError(f"graph: output {output!r} is not an input or a node")
    return Graph({k: shapes[k] for k in graph["inputs"]}, tuple(nodes), output)


def _check_node(spec: Mapping[str, Any], shapes: Mapping[str, Shape]) -> Node:
    node_id = spec["id"]
    where = f"node {node_id!r}"
    if node_id in shapes:
        raise GraphError(f"{where}: duplicate id (already an input or an earlier node)")
    unknown = set(spec) - {"id", "op", "args", "attrs"}
    if unknown:
        raise GraphError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected id, op, args, attrs)")
    op = spec.get("op")
    if not isinstance(op, str) or op not in GATES:
        raise GraphError(f"{where}: unknown op {op!r}")
    gate = GATES[op]
    where = f"node {node_id!r} ({op})"
    args = spec.get("args")
    if not isinstance(args, list) or len(args) != gate.arity:
        raise GraphError(f"{where}: takes {gate.arity} arg(s), got {args!r}")
    for arg in args:
        if not isinstance(arg, str) or arg not in shapes:
            raise GraphError(f"{where}: arg {arg!r} is not an input or an earlier node")
    given = {} if spec.get("attrs") is None else spec["attrs"]  # null means none; [] or 0 is an error
    if not isinstance(given, Mapping):
        raise GraphError(f"{where}: 'attrs' must be an object")
    try:  # attrs against the types the gate declares, then its shape rule
        attrs, shape = gate.check([shapes[a] for a in args], given)
    except ValueError as exc:
        raise GraphError(f"{where}: {exc}") from None
    return Node(node_id, gate, tuple(args), attrs, shape)


class ComputationalGraph:
    """The lecture's API: ``forward(values)`` then ``backward(upstream)``, rerunnable with new values."""

    def __init__(self, graph: Any) -> None:
        self.graph = check_graph(graph)
        self._values: dict[str, Value] = {}

    def forward(self, values: Mapping[str, Any], dtype: Any = np.float64) -> Array:
        """Evaluate the gates in topological order; returns the output's value."""
        self._values = {name: Value(v) for name, v in check_values(self.graph, values, dtype).items()}
        for node in self.graph.nodes:
            self._values[node.id] = apply(node.gate, *(self._values[a] for a in node.args), **node.attrs)
        return self._values[self.graph.output].data

    def backward(self, upstream: Any = None) -> dict[str, Array]:
        """Walk the graph in reverse; returns the gradient of every input."""
        if not self._values:
            raise GraphError("backward() before forward()")
        out = self._values[self.graph.output]
        if upstream is not None and np.shape(upstream) != out.shape:
            raise GraphError(
                f"upstream gradient: expected shape {list(out.shape)}, got {list(np.shape(upstream))}"
            )
        for name in self.graph.inputs:
            self._values[name].grad = None
        out.backward(upstream)
        grads = {}
        for name in self.graph.inputs:
            value = self._values[name]
            grads[name] = value.grad if value.grad is not None else np.zeros_like(value.data)
        return grads

    @property
    def node_values(self) -> dict[str, Array]:
        """The forward value of every input and node, from the last ``forward``."""
        return {name: v.data for name, v in self._values.items()}


def check_values(graph: Graph, values: Any, dtype: Any = np.float64) -> dict[str, Array]:
    """Convert input values to arrays of ``dtype``, checking names and shapes against the graph."""
    if not isinstance(values, Mapping):
        raise GraphError(f"values must be an object mapping input names to numbers or arrays, got {values!r}")
    for name in values:
        if name not in graph.inputs:
            raise GraphError(f"input {name!r}: not an input of the graph")
    if np.dtype(dtype) not in FLOATS:
        raise GraphError(f"dtype {np.dtype(dtype).name!r}: expected float32 or float64")
    arrays = {}
    for name, shape in graph.inputs.items():
        if name not in values:
            raise GraphError(f"input {name!r}: missing value")
        try:
            array = real_array(values[name]).astype(dtype)
        except ValueError as exc:
            raise GraphError(f"input {name!r}: {exc}") from None
        if array.shape != shape:
            raise GraphError(f"input {name!r}: expected shape {list(shape)}, got {list(array.shape)}")
        arrays[name] = array
    return arrays
