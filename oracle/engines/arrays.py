"""Whether an engine's nodes hold arrays, found by trying them: the tensor engine's capabilities.

An engine is a tensor engine when its constructor takes a 2 x 3 array and its node holds
it and it can ``sum()``. Its capabilities are tried again on arrays (``TENSOR_CAPABILITIES``,
and the scalar ones on 2 x 3 leaves): whether its forward broadcasts (a 2 x 3 plus a 3), ``@``
or a ``matmul``/``dot`` method, ``.T`` or ``transpose(0, 1)``, ``sum()``/``mean()`` and their
``axis=``. Run where the engine lives (the checker's process, or the engine's own:
``oracle.engines.server``), so it never imports JAX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from oracle.engines.limits import quiet
from oracle.engines.probe import CAPABILITIES, METHODS, Engine, _method_name

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
