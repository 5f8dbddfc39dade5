"""Gate objects composed into random graphs: forward in topological order, backward in reverse.

A gate file defines classes named for the lecture's gates (``MultiplyGate``, ``AddGate``,
``SigmoidGate``...: ``OPS``), each with ``forward`` and ``backward``, in one of three styles,
found by trying each gate:

- ``unit``: a ``Unit(value, grad)`` class carries numbers and gradients; ``gate.forward(u0, u1)``
  returns a new unit, ``gate.backward()`` adds into its input units' gradients (the
  "hacker's guide" style);
- ``bound``: the same units, given to the constructor: ``Gate(u0, u1).forward()``;
- ``values``: the lecture's: ``forward(x, y)`` returns a number, ``backward(upstream)`` the
  list of input gradients; the composition sums them where a value fans out.

The composition is plain code, one line per gate, so a failing graph is printed as code the
student can paste (``Composer.lines``); the gradients are read back with ``Composer.read``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from oracle.engines.forms import Form
from oracle.engines.limits import quiet
from oracle.engines.probe import DATA_NAMES, GRAD_NAMES, Engine
from oracle.engines.program import Program

OPS = {
    "multiply": "mul", "mul": "mul", "add": "add", "subtract": "sub", "sub": "sub", "divide": "div",
    "div": "div", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "exp": "exp", "log": "log",
    "neg": "neg", "negate": "neg", "reciprocal": "reciprocal", "square": "square", "sqrt": "sqrt",
    "abs": "abs",
}  # fmt: skip
BINARY = frozenset({"mul", "add", "sub", "div"})
UNIT, BOUND, VALUES = "unit", "bound", "values"
LAYERED = "the lecture's gates beside layer functions: checked one by one only"


@dataclass
class Composer:
    """How one gate file's gates are composed into a program's code, and its results read back."""

    style: str
    unit: str = ""  # the unit class's name (unit and bound styles)
    value: str = ""  # its attributes
    grad: str = ""
    gates: dict[str, str] = field(default_factory=dict)  # op -> gate class name

    @property
    def imports(self) -> list[str]:
        return ([self.unit] if self.unit else []) + sorted(set(self.gates.values()))

    def grad_code(self, name: str) -> str:
        return f"d{name}" if self.style == VALUES else f"{name}.{self.grad}"

    def lines(self, program: Program) -> list[str]:
        if self.style == VALUES:
            lines = [f"{n} = {v!r}" for n, v in program.inputs]
        else:
            lines = [f"{n} = {self.unit}({v!r}, 0.0)" for n, v in program.inputs]
        for i, s in enumerate(program.steps):
            args = ", ".join(s.args)
            if self.style == BOUND:
                lines += [f"g{i} = {s.form.name}({args})", f"{s.id} = g{i}.forward()"]
            else:
                lines += [f"g{i} = {s.form.name}()", f"{s.id} = g{i}.forward({args})"]
        if self.style != VALUES:
            lines.append(f"{program.output}.{self.grad} = 1.0")
            lines += [f"g{i}.backward()" for i in reversed(range(len(program.steps)))]
            return lines
        names = [n for n, _ in program.inputs] + [s.id for s in program.steps[:-1]]
        lines.append(" = ".join(f"d{n}" for n in names) + " = 0.0")
        lines.append(f"d{program.output} = 1.0")
        for i, s in reversed(list(enumerate(program.steps))):
            adds = "; ".join(f"d{a} += d[{k}]" for k, a in enumerate(s.args))
            lines.append(f"d = g{i}.backward(d{s.id}); {adds}")
        return lines

    def read(self, namespace: dict[str, Any], program: Program) -> tuple[Any, dict[str, Any]]:
        if self.style == VALUES:
            grads = {n: namespace[f"d{n}"] for n, _ in program.inputs}
            return np.asarray(namespace[program.output], dtype=np.float64), grads
        out = np.asarray(getattr(namespace[program.output], self.value), dtype=np.float64)
        return out, {n: getattr(namespace[n], self.grad, None) for n, _ in program.inputs}


LAYERS = re.compile(r"^\s*def\s+\w+_forward\s*\(", re.M)


def claims(source: str) -> bool:
    """Whether a file's text looks like a gate file: a class named ...Gate with a backward, and (for the
    lecture's style) no layer functions: a course file of gates and layers keeps its one-gate checks only."""
    if not re.search(r"^\s*class\s+\w+Gate\b", source, re.M | re.I) or "def backward" not in source:
        return False
    return bool(re.search(r"def\s+backward\s*\(\s*self\s*\)", source)) or not LAYERS.search(source)


def gate_classes(module: ModuleType) -> dict[str, type]:
    """op -> the module's own gate class for it (``MultiplyGate``, ``mulGate``...): forward and backward."""
    found: dict[str, type] = {}
    for name, obj in vars(module).items():
        if not inspect.isclass(obj) or getattr(obj, "__module__", None) != module.__name__:
            continue
        stem = name.lower().removesuffix("gate")
        methods = callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))
        if name.lower().endswith("gate") and stem in OPS and methods:
            found.setdefault(OPS[stem], obj)
    return found


def unit_class(module: ModuleType) -> type | None:
    """A class whose constructor takes a number and a gradient: ``Unit(value, grad)``."""
    for obj in vars(module).values():
        if not inspect.isclass(obj) or getattr(obj, "__module__", None) != module.__name__:
            continue
        try:
            params = [p for p in inspect.signature(obj).parameters.values() if p.default is p.empty]
        except (TypeError, ValueError):
            continue
        if len(params) == 2 and not obj.__name__.lower().endswith("gate"):
            return obj
    return None


def composed(module: ModuleType) -> Engine | None:
    """The gate file's gates as one engine, or None when the module has no gate classes."""
    gates = gate_classes(module)
    if not gates:
        return None
    unit = unit_class(module)
    engine = Engine(unit or next(iter(gates.values())), module, title="composed gates")
    layers = any(n.endswith("_forward") and inspect.isfunction(f) for n, f in vars(module).items())
    with quiet():
        composer = _composer(unit, gates, layers)
    if layers and composer == LAYERED:
        return None
    if isinstance(composer, str):
        engine.problem = composer
        return engine
    engine.composer, engine.data, engine.grad = composer, composer.value, composer.grad
    return engine


def _composer(unit: type | None, gates: dict[str, type], layers: bool = False) -> Composer | str:
    value = grad = ""
    if unit is not None:
        try:
            probe = unit(1.5, 0.25)
            value = next(n for n in DATA_NAMES if getattr(probe, n, None) == 1.5)
            grad = next(n for n in GRAD_NAMES if getattr(probe, n, None) == 0.25)
        except Exception:
            unit = None
    styles: dict[str, dict[str, str]] = {UNIT: {}, BOUND: {}, VALUES: {}}
    for op, cls in gates.items():
        for style, works in _tries(unit, value).items():
            if works(cls, 2 if op in BINARY else 1):
                styles[style][op] = cls.__name__
    style = max(styles, key=lambda s: len(styles[s]))
    if style == VALUES and layers:
        return LAYERED
    if not styles[style]:
        return (
            "no gate's forward works as forward(u0, u1) with units, Gate(u0, u1).forward() or forward(x, y)"
        )
    return Composer(style, unit.__name__ if unit else "", value, grad, styles[style])


def _tries(unit: type | None, value: str) -> dict[str, Callable[[type, int], bool]]:
    def unit_style(cls: type, n: int) -> bool:
        if unit is None:
            return False
        out = cls().forward(*(unit(v, 0.0) for v in (1.3, 0.6)[:n]))
        return isinstance(out, unit) and getattr(out, value, None) is not None

    def bound_style(cls: type, n: int) -> bool:
        if unit is None:
            return False
        out = cls(*(unit(v, 0.0) for v in (1.3, 0.6)[:n])).forward()
        return isinstance(out, unit)

    def values_style(cls: type, n: int) -> bool:
        out = cls().forward(*(1.3, 0.6)[:n])
        return np.asarray(out).dtype.kind in "fiu" and np.asarray(out).size == 1

    def safe(try_: Callable[[type, int], bool]) -> Callable[[type, int], bool]:
        def tried(cls: type, n: int) -> bool:
            try:
                return try_(cls, n)
            except Exception:
                return False

        return tried

    return {UNIT: safe(unit_style), BOUND: safe(bound_style), VALUES: safe(values_style)}


def gate_forms(engine: Engine) -> dict[str, list[Form]]:
    """The forms of a composed-gates engine: one per gate class, named by it."""
    assert engine.composer is not None
    return {op: [Form(name, op, (), "")] for op, name in engine.composer.gates.items()}
