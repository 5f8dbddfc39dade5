"""Recognizing an autograd engine in a module and discovering its API by trying it.

An engine is a class of the module whose instances combine with arithmetic operators and
have a backward method and a gradient attribute (micrograd's ``Value``, and the ``Scalar``,
``Item``, ``Variable``, ``Tensor`` of other learners). Nothing is configured where trying
settles it: the constructor (``C(2.0)``, else ``C(np.array(2.0))``), where the number lives
(``.data``, ``.value``...), where the gradient lives (``.grad``, ``.gradient``...), the
backward (a method ``backward()``/``backprop()``, or a module function taking the root), and
which capabilities work (``CAPABILITIES``: an operator, a reflected operator with a plain
number, a method), each tried on fresh leaves; a capability works when its forward returns a
node (whether its value or gradient is right is the check's business, not the probe's).

What cannot be tried, a module declares in at most five lines (``DECLARATION``)::

    ORACLE_ENGINE = dict(cls=Node, data="val", grad="g", backward="run_backward", make="Node({x}, ())")
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from oracle.engines.limits import TooSlow, quiet, time_limit

DECLARATION = "ORACLE_ENGINE"
NESTED = "{cls}([[{x}]])"  # engines whose nodes hold a 1 x 1 list of lists
PROBE_SECONDS = 10.0  # trying every capability takes milliseconds; a backward that never ends stops here
DATA_NAMES = ("data", "value", "val", "item", "_data", "_value")
GRAD_NAMES = ("grad", "gradient", "_grad", "g")
BACKWARD_NAMES = ("backward", "backprop", "back", "backpropagate", "backward_pass")
NOT_ENGINES = frozenset({"Module", "Neuron", "Layer", "MLP", "Net", "Network", "Model", "Optimizer", "SGD"})
METHODS = ("exp", "log", "tanh", "sigmoid", "relu", "sqrt")

# capability -> how it is tried on leaves a, b (b = 0.75, a = 1.5) and a plain number
CAPABILITIES: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a, b: -a,
    "add_number": lambda a, b: a + 2.0,
    "sub_number": lambda a, b: a - 2.0,
    "mul_number": lambda a, b: a * 2.0,
    "div_number": lambda a, b: a / 2.0,
    "radd": lambda a, b: 2.0 + a,
    "rsub": lambda a, b: 2.0 - a,
    "rmul": lambda a, b: 2.0 * a,
    "rdiv": lambda a, b: 2.0 / a,
    "pow": lambda a, b: a**2,
    "pow_negative": lambda a, b: a**-1,
    "pow_fraction": lambda a, b: a**0.5,
    "abs": lambda a, b: abs(a),
}


@dataclass
class Engine:
    """An engine's API, as probed or declared."""

    cls: type
    module: ModuleType
    data: str = ""
    grad: str = ""
    backward: str = ""  # a method name, or a module function's name when ``function``
    function: bool = False
    make: str = "{cls}({x})"  # the constructor as code; {x} is the number
    array: bool = False  # the constructor needs an ndarray: np.array(x)
    methods: dict[str, str] = field(default_factory=dict)  # capability -> the engine's method name
    capabilities: set[str] = field(default_factory=set)
    broken: dict[str, str] = field(default_factory=dict)  # a method it defines that raises: code -> error
    declared: bool = False
    problem: str = ""  # what could not be found: one unchecked row says so
    fatal: bool = False  # the problem is a fault of the engine (its backward never ends): an error row
    composer: Any = None  # gate-object files (``gates.Composer``): writes a program's code, reads its results
    title: str = ""  # the target's name when it is not the class's
    remote: Any = None  # isolated: the engine lives in a process of its own (``remote.Remote``)

    @property
    def name(self) -> str:
        return self.title or self.cls.__name__

    def imports(self) -> list[str]:
        if self.composer is not None:
            return list(self.composer.imports)
        return [self.cls.__name__] + ([self.backward] if self.function else [])

    def grad_code(self, name: str) -> str:
        return self.composer.grad_code(name) if self.composer is not None else f"{name}.{self.grad}"

    def constructor(self, number: str) -> str:
        x = f"np.array({number})" if self.array and not number.startswith("np.") else number
        return self.make.format(cls=self.name, x=x)

    def backward_code(self, root: str) -> str:
        return f"{self.backward}({root})" if self.function else f"{root}.{self.backward}()"

    def namespace(self) -> dict[str, Any]:
        return {**vars(self.module), self.name: self.cls, "np": np}

    def new(self, x: float) -> Any:
        return eval(self.constructor(repr(float(x))), self.namespace())

    def number(self, node: Any) -> float:
        return float(np.asarray(getattr(node, self.data), dtype=np.float64))

    def number_of(self, value: Any) -> float:
        return scalar(value)

    def gradient(self, node: Any) -> Any:
        return getattr(node, self.grad)

    def run_backward(self, root: Any) -> None:
        if self.function:
            getattr(self.module, self.backward)(root)
        else:
            getattr(root, self.backward)()


def scalar(value: Any) -> float:
    """A number held as a float, a 0-d array or a 1 x 1 nested list; ValueError otherwise."""
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"{array.size} numbers, not one")
    return float(array.reshape(()))


def claims(source: str) -> bool:
    """Whether a file's text looks like an engine: a class with an arithmetic operator and a backward."""
    return (
        bool(
            re.search(r"^\s*class\s+\w+", source, re.M)
            and re.search(r"def\s+__(add|mul)__\s*\(", source)
            and re.search(r"def\s+(" + "|".join(BACKWARD_NAMES) + r")\s*\(", source)
        )
        or DECLARATION in source
    )


def candidates(module: ModuleType) -> list[type]:
    """The module's own classes that look like engine nodes, in definition order."""
    found = []
    for name, obj in vars(module).items():
        if not inspect.isclass(obj) or getattr(obj, "__module__", None) != module.__name__:
            continue
        if name in NOT_ENGINES or name.startswith("_"):
            continue
        own = {k for c in obj.__mro__[:-1] for k in vars(c)}
        if {"__add__", "__mul__"} & own and (set(BACKWARD_NAMES) & own or _module_backward(module)):
            found.append(obj)
    return found


def _module_backward(module: ModuleType) -> str:
    for name in BACKWARD_NAMES:
        fn = getattr(module, name, None)
        if inspect.isfunction(fn) and fn.__module__ == module.__name__:
            return name
    return ""


def probe(module: ModuleType, cls: type, base: Engine | None = None) -> Engine:
    """Everything the engine's class shows when tried; ``problem`` says what could not be found."""
    engine = base or Engine(cls, module)
    with quiet(), time_limit(PROBE_SECONDS):
        _constructor(engine)
        if not engine.problem:
            _attributes(engine)
        if not engine.problem:
            _capabilities(engine)
    return engine


def _constructor(engine: Engine) -> None:
    if engine.make != "{cls}({x})":  # declared
        return
    for array, make in ((False, "{cls}({x})"), (True, "{cls}({x})"), (False, NESTED)):
        engine.array, engine.make = array, make
        try:
            node = engine.new(2.0)
        except Exception:
            continue
        if isinstance(node, engine.cls):
            return
    engine.array, engine.make = False, "{cls}({x})"
    engine.problem = (
        f"{engine.name}(2.0), {engine.name}(np.array(2.0)) and {engine.name}([[2.0]]) fail: declare make"
    )


def _attributes(engine: Engine) -> None:
    try:
        a, b = engine.new(1.5), engine.new(0.75)
    except Exception as exc:
        engine.problem = f"{engine.name}(1.5) raised {type(exc).__name__}"
        return
    if not engine.data:
        engine.data = next((n for n in DATA_NAMES if _reads(a, n, 1.5)), "")
    if not engine.data:
        engine.problem = (
            f"no attribute of {engine.name}(1.5) holds 1.5 (looked for {', '.join(DATA_NAMES)}): declare data"
        )
        return
    if not engine.backward:
        engine.backward = next((n for n in BACKWARD_NAMES if callable(getattr(a, n, None))), "")
        if not engine.backward:
            engine.backward, engine.function = _module_backward(engine.module), True
    if not engine.backward:
        engine.problem = f"{engine.name} has no method {'/'.join(BACKWARD_NAMES)}: declare backward"
        return
    try:
        root = a * b
        engine.run_backward(root)
    except TooSlow:
        engine.problem, engine.fatal = (
            f"(a * b).{engine.backward}() never returned (a loop in backward?)",
            True,
        )
        return
    except Exception as exc:
        engine.problem = f"(a * b).{engine.backward}() raised {type(exc).__name__}: {str(exc)[:80]}"
        return
    if not engine.grad:
        engine.grad = next((n for n in GRAD_NAMES if _numeric(a, n)), "")
    if not engine.grad:
        engine.problem = (
            f"no gradient attribute after backward (looked for {', '.join(GRAD_NAMES)}): declare grad"
        )


def _reads(node: Any, name: str, value: float) -> bool:
    try:
        attr = getattr(node, name)
        return not callable(attr) and scalar(attr) == value
    except Exception:
        return False


def _numeric(node: Any, name: str) -> bool:
    try:
        attr = getattr(node, name)
        return attr is not None and not callable(attr) and np.asarray(attr, dtype=np.float64).size == 1
    except Exception:
        return False


def _capabilities(engine: Engine) -> None:
    for name, build in CAPABILITIES.items():
        if _works(engine, build):
            engine.capabilities.add(name)
    for wanted in METHODS:
        method = _method_name(engine.cls, wanted)
        if method and _works(engine, _calls(method)):
            engine.capabilities.add(wanted)
            engine.methods[wanted] = method
        elif method:
            engine.broken[f"{engine.name}(1.5).{method}()"] = _raises(engine, _calls(method))


def _calls(method: str) -> Callable[[Any, Any], Any]:
    return lambda a, b: getattr(a, method)()


def _method_name(cls: type, wanted: str) -> str:
    names = [n for n in dir(cls) if n.lower() == wanted and callable(getattr(cls, n, None))]
    return sorted(names, key=lambda n: n != wanted)[0] if names else ""


def _raises(engine: Engine, build: Callable[[Any, Any], Any]) -> str:
    try:
        out = build(engine.new(1.5), engine.new(0.75))
    except Exception as exc:
        return f"raised {type(exc).__name__}: {str(exc)[:100]}"
    return f"returned {type(out).__name__}, not a {engine.name}"


def _works(engine: Engine, build: Callable[[Any, Any], Any]) -> bool:
    try:
        out = build(engine.new(1.5), engine.new(0.75))
    except Exception:
        return False
    return isinstance(out, engine.cls)
