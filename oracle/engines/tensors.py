"""Tensor engines: the same check on graphs of arrays, where the engine's nodes hold numpy arrays.

An engine is a tensor engine when its constructor takes a 2 x 3 array and its node holds
it. Its capabilities are tried again on arrays (``TENSOR_CAPABILITIES``, and the scalar ones
on 2 x 3 leaves): whether its forward broadcasts (a 2 x 3 plus a 3), ``@`` or a ``matmul``/``dot``
method, ``.T`` or ``transpose(0, 1)``, ``sum()``/``mean()`` and their ``axis=``. Graphs come
from the project's builder with shapes (``scalar=False``) restricted to those ops; a graph
that broadcasts is passed over when the forward does not, and so is a product of 1-D arrays
(engines written for matrices). The output is summed (``x.sum()``) so that backward starts
from a scalar: an engine whose nodes take arrays but that has no ``sum`` gets scalar graphs only.
A gradient of the wrong shape where the graph broadcast names the classic fault: a backward
that does not undo its broadcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oracle.engines import arrays
from oracle.engines.drive import MAX_NODES, EngineResult, drive
from oracle.engines.forms import Form, forms_for
from oracle.engines.probe import Engine


def _no_axis(attrs: dict[str, Any]) -> bool:
    return attrs.get("axis") is None and not attrs.get("keepdims")


def _axis(attrs: dict[str, Any]) -> bool:
    return attrs.get("axis") is not None and not attrs.get("keepdims")


TENSOR_FORMS = (
    Form("x @ y", "matmul", ("matmul",), "{0} @ {1}"),
    Form("x.matmul(y)", "matmul", ("matmul_method",), "{0}.{m}({1})"),
    Form("x.T", "transpose", ("T",), "{0}.T"),
    Form("x.transpose(0, 1)", "transpose", ("transpose_method",), "{0}.transpose(0, 1)"),
    Form("x.sum()", "sum", ("sum",), "{0}.sum()", fits=_no_axis),
    Form("x.sum(axis=k)", "sum", ("sum_axis",), "{0}.sum(axis={a})", fits=_axis),
    Form("x.mean()", "mean", ("mean",), "{0}.mean()", fits=_no_axis),
    Form("x.mean(axis=k)", "mean", ("mean_axis",), "{0}.mean(axis={a})", fits=_axis),
)
ELEMENTWISE: tuple[str, ...] = ("add", "sub", "mul", "div", "neg", "exp", "log", "tanh", "sigmoid", "relu")
ELEMENTWISE += ("sqrt", "square", "reciprocal", "add_const", "mul_const", "pow_const", "abs")
SUM = Form("x.sum()", "sum", ("sum",), "{0}.sum()")


def tensor_engine(engine: Engine) -> bool:
    """Whether the engine's nodes hold arrays (``arrays.tensor_engine``), asked where the engine lives."""
    if engine.remote is not None:
        return bool(engine.remote.tensor())
    return arrays.tensor_engine(engine)


def check_tensor(
    engine: Engine, seed: int, graphs: int, replay: Callable[[int], str], path: str, result: EngineResult
) -> None:
    """Tensor graphs through a tensor engine (``tensor_engine`` said so), records into ``result``."""
    from oracle.strategies import campaign_graph  # Hypothesis: only when an engine is checked

    table = forms_for(engine.capabilities)
    for form in TENSOR_FORMS:
        if set(form.needs) <= engine.capabilities:
            table.setdefault(form.op, []).append(form)
    ops = [op for op in (*ELEMENTWISE, "matmul", "transpose", "sum", "mean") if op in table]
    broadcasts = "broadcast" in engine.capabilities
    draw = lambda index: _summed(campaign_graph(seed, index, MAX_NODES, ops=ops), broadcasts)
    drive(engine, table, ops, draw, graphs, seed, replay, path, result)


def _summed(graph: dict[str, Any], broadcasts: bool) -> dict[str, Any] | None:
    """The graph with its output summed to a scalar; None when the engine cannot run it."""
    shapes: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in graph["inputs"].items()}
    from oracle.strategies import output_shape
    from reference import check_graph

    checked = check_graph(graph)
    for node in graph["nodes"]:
        shapes[node["id"]] = tuple(checked.shape_of(node["id"]))
        args = [shapes[a] for a in node["args"]]
        if node["op"] == "matmul" and any(len(s) != 2 for s in args):
            return None
        if len(args) == 2 and args[0] != args[1] and not broadcasts:
            return None
    if not any(len(s) for s in shapes.values()):
        return None  # a scalar graph: the scalar check has those
    if output_shape(graph) == ():
        return graph
    out = "total"
    node = {"id": out, "op": "sum", "args": [graph["output"]], "attrs": {"axis": None, "keepdims": False}}
    return {**graph, "nodes": [*graph["nodes"], node], "output": out}
