"""How a student's engine spells each op of the project's graphs: the forms.

A random graph (``oracle.strategies``) is made of the project's ops (``add``, ``add_const``,
``reciprocal``...). An engine writes them with Python operators and methods, and the same op
has several spellings, each exercising another method of the engine's class: ``c + x``
(``__radd__``), ``x + c`` (``__add__`` with a plain number), ``x - (-c)`` (``__sub__``), or
``x + V(c)`` where the engine does not wrap plain numbers. A *form* is one spelling: the
capabilities it needs (found by ``oracle.engines.probe``), its code, and its meaning as
nodes of the project's graph format, so JAX (``oracle.core.jax_graph``) computes exactly
what the code computes. Two forms change the meaning on purpose, so that the reflected
operators get exercised: ``c - x`` stands for a ``neg`` node shifted by a positive c (a shift
up keeps every positivity guard of the graph valid), and ``1.0 / x`` is ``reciprocal``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]  # a node of the project's graph format


@dataclass(frozen=True)
class Form:
    name: str  # what the ``ops`` column and the per-op counts show: the spelling, e.g. "c - x"
    op: str  # the project op this form spells
    needs: tuple[str, ...]  # capabilities (``probe.CAPABILITIES``)
    code: str  # {0}, {1}: the arguments; {c}: the constant; {V}: the constructor of a plain constant
    fits: Callable[[dict[str, Any]], bool] = lambda attrs: True  # for which attributes it is exact
    shift: float = 0.0  # a neg node spelled c - x: its constant

    def text(
        self, args: list[str], attrs: dict[str, Any], make: Callable[[str], str], methods: dict[str, str]
    ) -> str:
        """This form's code: ``make`` spells the engine's constructor, ``methods`` its method names."""
        c: Any = attrs.get("c", attrs.get("p"))
        if self.shift:
            c = self.shift
        elif self.name == "x - c":
            c = -c
        elif self.name == "x / c":
            c = 1.0 / c
        method = methods.get(self.needs[0], self.needs[0])
        number = _number(c) if c is not None else ""
        code = self.code.format(*args, c=number, m=method, V="{V}", a=attrs.get("axis"))
        return _fill_constructor(code, make)

    def nodes(self, node_id: str, args: list[str], attrs: dict[str, Any]) -> list[Node]:
        """This form's meaning as project nodes; the last one is ``node_id``."""
        if self.shift:
            inner = f"{node_id}_neg"
            return [
                {"id": inner, "op": "neg", "args": args},
                {"id": node_id, "op": "add_const", "args": [inner], "attrs": {"c": self.shift}},
            ]
        node: Node = {"id": node_id, "op": self.op, "args": args}
        if attrs:
            node["attrs"] = dict(attrs)
        return [node]


def _number(value: float) -> str:
    """A constant as code: ``2`` for an integral power, else the float's exact repr."""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value)) if isinstance(value, int) else repr(float(value))
    return repr(float(value))


def _fill_constructor(code: str, make: Callable[[str], str]) -> str:
    """Replace each ``{V}(number)`` of ``code`` by the engine's constructor of that number."""
    out, rest = [], code
    while "{V}(" in rest:
        head, tail = rest.split("{V}(", 1)
        number, rest = tail.split(")", 1)
        out += [head, make(number)]
    return "".join(out) + rest


def _power_of_two(attrs: dict[str, Any]) -> bool:
    c = float(attrs["c"])
    return c != 0 and 1.0 / (1.0 / c) == c and float(abs(c)).hex().startswith("0x1.0000000000000p")


def _p_is(p: float) -> Callable[[dict[str, Any]], bool]:
    return lambda attrs: float(attrs["p"]) == p


def _p_integral(attrs: dict[str, Any]) -> bool:
    return float(attrs["p"]).is_integer() and attrs["p"] > 0


def _p_negative(attrs: dict[str, Any]) -> bool:
    return float(attrs["p"]) < 0


def _p_fraction(attrs: dict[str, Any]) -> bool:
    return float(attrs["p"]) > 0 and not float(attrs["p"]).is_integer()


FORMS: tuple[Form, ...] = (
    Form("x + y", "add", ("add",), "{0} + {1}"),
    Form("x - y", "sub", ("sub",), "{0} - {1}"),
    Form("x * y", "mul", ("mul",), "{0} * {1}"),
    Form("x / y", "div", ("div",), "{0} / {1}"),
    Form("-x", "neg", ("neg",), "-{0}"),
    Form("c - x", "neg", ("rsub",), "{c} - {0}", shift=1.0),
    Form("x * -1", "neg", ("mul_number",), "{0} * -1.0"),
    Form("c + x", "add_const", ("radd",), "{c} + {0}"),
    Form("x + c", "add_const", ("add_number",), "{0} + {c}"),
    Form("x - c", "add_const", ("sub_number",), "{0} - {c}"),
    Form("x + V(c)", "add_const", ("add",), "{0} + {V}({c})"),
    Form("c * x", "mul_const", ("rmul",), "{c} * {0}"),
    Form("x * c", "mul_const", ("mul_number",), "{0} * {c}"),
    Form("x / c", "mul_const", ("div_number",), "{0} / {c}", fits=_power_of_two),
    Form("x * V(c)", "mul_const", ("mul",), "{0} * {V}({c})"),
    Form("x ** p", "pow_const", ("pow",), "{0} ** {c}", fits=_p_integral),
    Form("x ** -p", "pow_const", ("pow_negative",), "{0} ** {c}", fits=_p_negative),
    Form("x ** r", "pow_const", ("pow_fraction",), "{0} ** {c}", fits=_p_fraction),
    Form("x * x", "square", ("mul",), "{0} * {0}"),
    Form("x ** 2", "square", ("pow",), "{0} ** 2"),
    Form("x.sqrt()", "sqrt", ("sqrt",), "{0}.{m}()"),
    Form("x ** 0.5", "sqrt", ("pow_fraction",), "{0} ** 0.5"),
    Form("1.0 / x", "reciprocal", ("rdiv",), "1.0 / {0}"),
    Form("x ** -1", "reciprocal", ("pow_negative",), "{0} ** -1"),
    Form("V(1) / x", "reciprocal", ("div",), "{V}(1.0) / {0}"),
    Form("x.exp()", "exp", ("exp",), "{0}.{m}()"),
    Form("x.log()", "log", ("log",), "{0}.{m}()"),
    Form("x.tanh()", "tanh", ("tanh",), "{0}.{m}()"),
    Form("x.sigmoid()", "sigmoid", ("sigmoid",), "{0}.{m}()"),
    Form("x.relu()", "relu", ("relu",), "{0}.{m}()"),
    Form("abs(x)", "abs", ("abs",), "abs({0})"),
)


def forms_for(capabilities: set[str]) -> dict[str, list[Form]]:
    """The project ops an engine with ``capabilities`` can spell, each with its forms (in table order)."""
    table: dict[str, list[Form]] = {}
    for form in FORMS:
        if set(form.needs) <= capabilities:
            table.setdefault(form.op, []).append(form)
    return table
