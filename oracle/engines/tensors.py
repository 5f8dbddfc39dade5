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

import numpy as np

from oracle.engines.drive import MAX_NODES, EngineResult, drive
from oracle.engines.forms import Form, forms_for
from oracle.engines.limits import quiet
from oracle.engines.probe import CAPABILITIES, METHODS, Engine, _method_name
from oracle.strategies import campaign_graph, output_shape

A = np.array([[1.5, 0.5, 2.0], [0.75, 1.25, 1.75]])
B = np.array([[0.5, 1.0, 1.5], [2.0, 0.25, 1.0]])
ROW = np.array([0.5, 1.5, 1.0])

TENSOR_CAPABILITIES: dict[str, tuple[Callable[[Any, Any, Any], Any], tuple[int, ...]]] = {
    "broadcast": (lambda a, b, row: a + row, (2, 3)),
    "matmul": (lambda a, b, row: a @ b, (2, 2)),
    "T": (lambda a, b, row: a.T, (3, 2)),
    "transpose_method": (lambda a, b, row: a.transpose(0, 1), (3, 2)),
    "sum": (lambda a, b, row: a.sum(), ()),
    "sum_axis": (lambda a, b, row: a.sum(axis=0), (3,)),
    "mean": (lambda a, b, row: a.mean(), ()),
    "mean_axis": (lambda a, b, row: a.mean(axis=0), (3,)),
}


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
    """Whether the engine's nodes hold arrays: its capabilities on arrays go into ``engine.methods``."""
    if engine.problem or engine.composer is not None:
        return False
    with quiet():
        try:
            node = _new(engine, A)
            if np.shape(getattr(node, engine.data)) != (2, 3):
                return False
        except Exception:
            return False
        caps = {name for name, build in CAPABILITIES.items() if _works(engine, _pair(build))}
        for name, (build, shape) in TENSOR_CAPABILITIES.items():
            if _works(engine, build, shape):
                caps.add(name)
        for wanted in (*METHODS, "matmul", "dot"):
            method = _method_name(engine.cls, wanted)
            if method and _works(engine, _calls(method), (2, 3)):
                caps.add(wanted)
        for name in ("matmul", "dot"):
            if name in caps and _works(engine, _calls(name, True), (2, 2)):
                caps.add("matmul_method")
                engine.methods["matmul_method"] = _method_name(engine.cls, name)
                break
    if "sum" not in caps:
        return False  # a scalar engine that happens to take arrays, or a tensor engine without sum
    engine.capabilities = caps
    return True


def _calls(method: str, other: bool = False) -> Callable[[Any, Any, Any], Any]:
    return lambda a, b, row: getattr(a, method)(b) if other else getattr(a, method)()


def _pair(build: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    return lambda a, b, row: build(a, b)


def _new(engine: Engine, array: np.ndarray) -> Any:
    return eval(engine.make.format(cls=engine.cls.__name__, x="x"), {**engine.namespace(), "x": array.copy()})


def _works(engine: Engine, build: Callable[[Any, Any, Any], Any], shape: tuple[int, ...] = (2, 3)) -> bool:
    try:
        second = B.T.copy() if shape == (2, 2) else B  # a product takes a 3 x 2 on the right
        out = build(_new(engine, A), _new(engine, second), _new(engine, ROW))
        return isinstance(out, engine.cls) and np.shape(getattr(out, engine.data)) == shape
    except Exception:
        return False


def check_tensor(
    engine: Engine, seed: int, graphs: int, replay: Callable[[int], str], path: str, result: EngineResult
) -> None:
    """Tensor graphs through a tensor engine (``tensor_engine`` said so), records into ``result``."""
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
