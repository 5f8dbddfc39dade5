"""Naming what is broken: the op and its rule, or the structural fault, from small programs.

Once a failing program is shrunk, each of its forms is tried alone on distinct leaves
(x = 1.3, y = 0.6; the power forms also at x = -1.3); the first that fails names the op,
and its numbers name the classic bug when they are that bug's: the power rule without the
``- 1``, tanh's derivative taken of the input, a reflected operator with its operands
swapped, an op with no backward, a constant exponent differentiated as a variable (``log``
of a negative base), a wrong forward. When every form is right alone, the fault is in the
walk: a binary form with the same operand twice (``x * x``: a ``_backward`` that assigns
instead of adding gets one of the two gradients), a value used twice, and a reused value
reached by paths of different lengths, in both operand orders (no topological sort, or one
that visits a node twice).
"""

from __future__ import annotations

import math

import numpy as np

from oracle.engines.forms import Form
from oracle.engines.judging import expected, failure
from oracle.engines.probe import Engine
from oracle.engines.program import Program, Step
from oracle.engines.run import run_engine

X, Y = 1.3, 0.6
ASSIGNS = "a backward rule assigns (=) instead of adding (+=)"
WALK = (
    "order of the walk: a value reached by paths of different lengths gets a wrong gradient "
    "(no topological sort, or one that visits a node twice)"
)
VARIABLE_EXPONENT = "the constant exponent is differentiated as a variable (log of the base)"
FAN_OUT = "fan-out: a value used twice does not get the sum of its gradients"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12)


def _single(step: Step, x: float = X) -> Program:
    args = tuple(("x", "y")[: len(step.args)])
    inputs = (("x", x), ("y", Y))[: len(args)]
    return Program(inputs, (Step("n0", step.form, args, step.attrs),), "n0")


def _short(value: object) -> str:
    return repr(value)[:60]


def _num(value: object) -> float:
    try:
        return float(np.asarray(value, dtype=np.float64))
    except Exception:
        return math.nan


def name_fault(engine: Engine, program: Program, add: Form | None, mul: Form | None) -> str:
    """What the shrunk ``program`` shows to be broken, as a sentence ('' when nothing smaller fails)."""
    if not program.steps:
        return "backward() on a single node leaves its gradient unchanged (expected 1): backward does nothing"
    seen: set[str] = set()
    for step in program.steps:
        if step.form.name in seen:
            continue
        seen.add(step.form.name)
        for x in (X, -X) if step.form.op == "pow_const" or "**" in step.form.name else (X,):
            single = _single(step, x)
            if failure(engine, single):
                return _op_fault(engine, single)
    for step in program.steps:
        if len(step.args) == 2:
            twice = Program((("x", X),), (Step("n0", step.form, ("x", "x"), step.attrs),), "n0")
            if failure(engine, twice):
                return _twice_fault(engine, twice)
    if add is None or mul is None:
        return ""
    for name, program_ in _structures(add, mul):
        if failure(engine, program_):
            line = "; ".join(program_.lines(engine)[len(program_.inputs) : -1])
            return f"{_too_much(engine, program_) or name} (`{line}` fails)"
    return ""


def _too_much(engine: Engine, program: Program) -> str:
    """The walk's fault when a value got more than its gradient (its backward ran twice), else ''."""
    got, want = run_engine(engine, program), expected(program)
    if got.error or want.error:
        return ""
    for name, _ in program.inputs:
        g, w = _num(got.grads.get(name)), float(want.grads[name])
        if not _close(g, w):
            return WALK if abs(g) > abs(w) else FAN_OUT + f": {ASSIGNS}?"
    return ""


def _code(engine: Engine, program: Program) -> str:
    if engine.composer is not None:
        step = program.steps[0]
        return f"{step.form.name}().forward({', '.join(step.args)})"
    return program.lines(engine)[len(program.inputs)].split(" = ", 1)[1]


def _op_fault(engine: Engine, program: Program) -> str:
    code = _code(engine, program)
    got, want = run_engine(engine, program), expected(program)
    step, x = program.steps[0], program.inputs[0][1]
    if got.error:
        domain = "domain" in got.error or "log" in got.error or "nan" in got.error.lower()
        if domain and "**" in code and x < 0:
            return f"`{code}` at x = {x}: {got.error}: {VARIABLE_EXPONENT}"
        return f"`{code}`: {got.error}"
    out, exp_out = _num(got.out), _num(want.out)
    if not _close(out, exp_out):
        hint = _forward_hint(step.form, x, out)
        return f"`{code}` computes {out!r}, expected {exp_out!r}{hint}"
    grads = {n: _num(got.grads.get(n)) for n, _ in program.inputs}
    wanted = {n: float(want.grads[n]) for n, _ in program.inputs}
    if all(g == 0 for g in grads.values()):
        return f"`{code}` has no backward: its inputs get 0"
    name = next((n for n in grads if not _close(grads[n], wanted[n])), None)
    if name is None:  # within 1e-7 everywhere, yet beyond the table's tolerance, or not numbers
        shown = ", ".join(f"d{n} = {_short(got.grads.get(n))}" for n in grads)
        return f"`{code}` gives {shown}, expected " + ", ".join(f"d{n} = {w!r}" for n, w in wanted.items())
    got_g, want_g = grads[name], wanted[name]
    return f"`{code}` gives d{name} = {got_g!r}, expected {want_g!r}{_rule_hint(step, x, got_g, want_g)}"


def _forward_hint(form: Form, x: float, out: float) -> str:
    if form.name == "c - x" and _close(out, x - form.shift):
        return ": __rsub__ computes x - c (its operands swapped)"
    if form.name == "1.0 / x" and _close(out, x):
        return ": __rtruediv__ computes x / c (its operands swapped)"
    return ""


def _rule_hint(step: Step, x: float, got: float, want: float) -> str:
    attrs = dict(step.attrs)
    p = float(
        attrs.get("p", 2 if step.form.op in ("square",) else -1 if step.form.op == "reciprocal" else 0.5)
    )
    if "**" in step.form.name and _close(got, p * x**p):
        return ": the power rule without the - 1 (p * x**p, expected p * x**(p - 1))"
    if step.form.name == "x * x" and _close(got, want / 2):
        return f": {ASSIGNS}"
    if step.form.op == "tanh" and _close(got, 1 - x * x):
        return ": tanh's derivative taken of the input (1 - x**2, expected 1 - tanh(x)**2)"
    if step.form.name == "c - x" and _close(got, 1.0):
        return ": __rsub__ gives the gradient of x - c"
    if _close(got, -want):
        return ": the sign is wrong"
    return ""


def _twice_fault(engine: Engine, program: Program) -> str:
    code = _code(engine, program)
    got, want = run_engine(engine, program), expected(program)
    if got.error:
        return f"`{code}`: {got.error}"
    g, w = _num(got.grads.get("x")), float(want.grads["x"])
    step = program.steps[0]
    one = Program((("x", X), ("y", X)), (Step("n0", step.form, ("x", "y"), step.attrs),), "n0")
    parts = expected(one)
    halves = [float(v) for v in parts.grads.values()] if not parts.error else []
    if any(_close(g, h) for h in halves):
        return f"`{code}` gives dx = {g!r}, expected {w!r}: {ASSIGNS}"
    return f"`{code}` gives dx = {g!r}, expected {w!r} (the same operand twice)"


def _structures(add: Form, mul: Form) -> list[tuple[str, Program]]:
    def p(steps: list[tuple[str, Form, tuple[str, ...]]]) -> Program:
        inputs = (("x", X), ("y", Y), ("z", 1.7))
        used = {a for _, _, args in steps for a in args}
        return Program(
            tuple(i for i in inputs if i[0] in used),
            tuple(Step(i, f, a) for i, f, a in steps),
            steps[-1][0],
        )

    return [
        (FAN_OUT + f": {ASSIGNS}?", p([("n0", mul, ("x", "y")), ("n1", add, ("n0", "x"))])),
        (FAN_OUT, p([("n0", add, ("x", "y")), ("n1", mul, ("n0", "n0"))])),
        (WALK, p([("n0", mul, ("x", "y")), ("n1", mul, ("n0", "z")), ("n2", add, ("n1", "n0"))])),
        (WALK, p([("n0", mul, ("x", "y")), ("n1", mul, ("n0", "z")), ("n2", add, ("n0", "n1"))])),
    ]
