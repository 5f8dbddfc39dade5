"""Safe by construction: intervals, domains and the guard gates that enforce them.

Every value carries a conservative interval, computed as if every input lay anywhere in
``INPUT_RANGE`` = [-2, 2] (default values and the edge lattice both lie inside it) with each
op's interval rule (``Op.interval``), so the guarantees below hold for *any* values a case
can hold. Each argument must lie in its op's domain (``Op.domains``):

- ``POSITIVE`` (``log``, ``sqrt``, ``reciprocal``, the divisor of ``div`` and the base of
  ``pow_const`` with a negative or fractional ``p``): in [``SAFE_LO``, ``POS_HI``] = [0.1, 100].
  When its interval does not prove that, a guard is inserted first, one of (simplest first):
  ``add_const(c)`` with the smallest c of ``GUARD_SHIFTS`` that lifts the interval above 0.1;
  ``exp`` when the interval lies in [-2.25, 4.6]; ``add_const(0.5)`` of ``sigmoid`` (in
  [0.5, 1.5]); ``add_const(0.5)`` of ``square``;
- ``Domain(bound=b)`` (``exp``: b = 5): a ``tanh`` is inserted first when the interval could
  leave [-b, b];
- ``REAL``: anywhere, but no value can exceed ``LIMIT`` = 1000 in magnitude: when a gate's
  interval would, its ``REAL`` arguments go through ``tanh`` first (a kink gate is declined
  instead: ``tanh`` could flatten its argument into ties).

Guard gates count towards ``max_nodes`` and may use ops outside an ``ops`` restriction
(``GUARD_OPS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from oracle.ops import Domain, Op, Reject
from oracle.strategies.choosers import Chooser

INPUT_RANGE = (-2.0, 2.0)  # the interval every input is assumed to lie in
SAFE_LO = 0.1  # log, sqrt, reciprocal, divisors, fractional powers: arguments >= this ...
POS_HI = 100.0  # ... and <= this
LIMIT = 1000.0  # no value's interval exceeds this in magnitude
GUARD_SHIFTS = (0.5, 1.0, 2.5, 5.0)  # the positivity guard add_const(c) tries these
GUARD_OPS: frozenset[str] = frozenset({"add_const", "exp", "sigmoid", "square", "tanh"})


class Value(Protocol):
    lo: float
    hi: float
    uses: int

    def mag(self) -> float: ...


class Site(Protocol):
    """The graph being built, as the guards see it."""

    c: Chooser
    values: list[Any]
    nodes: list[Any]

    def node(self, op: str, args: Sequence[Any], attrs: dict[str, Any] | None = None) -> Any: ...


def positive(b: Site, v: Value) -> Value:
    """v itself if it provably lies in [SAFE_LO, POS_HI], else a guard gate (or two) on it."""
    if v.lo >= SAFE_LO and v.hi <= POS_HI:
        return v
    options = []
    shift = next((c for c in GUARD_SHIFTS if v.lo + c >= SAFE_LO and v.hi + c <= POS_HI), None)
    if shift is not None:
        options.append("shift")
    if v.lo >= -2.25 and v.hi <= math.log(POS_HI):
        options.append("exp")
    options.append("sigmoid")
    if max(v.lo * v.lo, v.hi * v.hi) + 0.5 <= POS_HI:
        options.append("square")
    kind = b.c.choice(options)
    if kind == "shift":
        return b.node("add_const", [v], {"c": shift})
    if kind == "exp":
        return b.node("exp", [v])
    return b.node("add_const", [b.node(kind, [v])], {"c": 0.5})


def small(b: Site, v: Value, bound: float = 1.0) -> Value:
    """v if its interval lies within +-bound, else tanh of it."""
    return v if v.mag() <= bound else b.node("tanh", [v])


def in_domain(b: Site, v: Value, domain: Domain) -> Value:
    """v, or a guard on it, that provably lies in ``domain``."""
    if domain.positive:
        return positive(b, v)
    if domain.bound is not None:
        return small(b, v, domain.bound)
    return v


def fits(b: Site, op: str, args: Sequence[Value], attrs: dict[str, Any] | None = None) -> bool:
    """Would the gate stay within LIMIT? (Cheap: builds nothing.)"""
    n_values, n_nodes = len(b.values), len(b.nodes)
    try:
        b.node(op, args, attrs)
    except Reject:
        return False
    for v in args:
        v.uses -= 1
    del b.values[n_values:], b.nodes[n_nodes:]
    return True


def guarded(b: Site, op: Op, args: Sequence[Value], attrs: dict[str, Any]) -> list[Value]:
    """The arguments, guarded into their domains and so that the gate stays within LIMIT."""
    domains = op.domains_for(attrs)
    args = [in_domain(b, v, d) for v, d in zip(args, domains, strict=True)]
    if not fits(b, op.name, args, attrs):
        if op.kinks is not None:
            raise Reject  # tanh could flatten a kink gate's argument into ties
        args = [small(b, v) if d.real else v for v, d in zip(args, domains, strict=True)]
    return args
