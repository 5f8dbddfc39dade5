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

Wide mode (``WIDE``) builds graphs for values drawn from each gate's whole safe domain
instead of a narrow band: inputs may lie anywhere in [-100, 100] (values are log-uniform
in magnitude, see ``values``), no interval may exceed ``WIDE.limit`` = 1e6, and a
``POSITIVE`` argument may lie anywhere in [1e-6, 1e5]. Its guards rescale instead of
squashing, so the spread of magnitudes survives them: a value too large for its gate goes
through ``mul_const(c)`` (c = 1, 2 or 5 times a power of ten); an argument outside its
op's wide domain (``Domain.wide``: exp's is [-80, 13], from near float32 underflow to
4.4e5) through ``mul_const`` and ``add_const``, which map it onto a chosen part of the
domain (its middle, one end, ...; the shifted value is no longer generic: in float32 a
shift can round small differences away into ties); a ``POSITIVE`` argument through ``exp`` of such a map
onto [log 1e-6, log 1e5], so ``log``, ``sqrt``, ``reciprocal`` and divisors see tiny and
huge arguments alike. ``tanh`` and ``sigmoid`` take wide arguments as they are: deep in
saturation. Gradients are bounded too: every op declares a bound on its local slopes
(``Op.slope``), and a wide graph whose backward pass could exceed 1e30 anywhere (a chain
of 1/x at x = 1e-6, say) is drawn again (``certificates``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from oracle.ops import Domain, Op, Reject
from oracle.ops.base import Interval
from oracle.strategies.choosers import Chooser

INPUT_RANGE = (-2.0, 2.0)  # the interval every input is assumed to lie in
SAFE_LO = 0.1  # log, sqrt, reciprocal, divisors, fractional powers: arguments >= this ...
POS_HI = 100.0  # ... and <= this
LIMIT = 1000.0  # no value's interval exceeds this in magnitude
GUARD_SHIFTS = (0.5, 1.0, 2.5, 5.0)  # the positivity guard add_const(c) tries these
GUARD_OPS: frozenset[str] = frozenset({"add_const", "exp", "sigmoid", "square", "tanh"})
WIDE_GUARD_OPS: frozenset[str] = frozenset({"add_const", "exp", "mul_const"})


@dataclass(frozen=True)
class Mode:
    """The ranges a graph is built for: its guards make values of this mode safe."""

    name: str
    input_range: Interval  # every input is assumed to lie in this interval
    limit: float  # no value's interval exceeds this in magnitude
    positive: Interval  # where a POSITIVE argument must lie
    wide: bool  # guards that rescale (wide) or squash (default)
    gradient_limit: float = math.inf  # no gradient of the backward pass exceeds this (certified)


DEFAULT = Mode("default", INPUT_RANGE, LIMIT, (SAFE_LO, POS_HI), wide=False)
WIDE = Mode("wide", (-100.0, 100.0), 1e6, (1e-6, 1e5), wide=True, gradient_limit=1e30)


class Value(Protocol):
    lo: float
    hi: float
    uses: int
    generic: bool

    def mag(self) -> float: ...


class Site(Protocol):
    """The graph being built, as the guards see it."""

    c: Chooser
    mode: Mode
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
    """v if its interval lies within +-bound, else tanh of it (wide mode: v scaled down)."""
    if v.mag() <= bound:
        return v
    if b.mode.wide:
        return b.node("mul_const", [v], {"c": nice_below(bound / v.mag())})
    return b.node("tanh", [v])


def in_domain(b: Site, v: Value, domain: Domain) -> Value:
    """v, or a guard on it, that provably lies in ``domain``."""
    if b.mode.wide:
        if domain.positive:
            lo, hi = domain.wide or b.mode.positive
            if lo <= v.lo and v.hi <= hi:
                return v
            return b.node("exp", [onto(b, v, (math.log(lo), math.log(hi)))])
        if domain.bound is not None:
            return onto(b, v, domain.wide or (-domain.bound, domain.bound))
        return v
    if domain.positive:
        return positive(b, v)
    if domain.bound is not None:
        return small(b, v, domain.bound)
    return v


def nice_below(x: float) -> float:
    """The largest of 1, 2, 5 times a power of ten that is at most 0.999 x (x > 0)."""
    x *= 0.999
    k = math.floor(math.log10(x))
    return next(m for m in (float(f"{m}e{k}") for m in (5, 2, 1)) if m <= x)


PLACES = (0.5, 0.0, 1.0, 0.25, 0.75)  # where in its room a rescaled value goes (0: the low end)


def onto(b: Site, v: Value, target: Interval) -> Value:
    """v, or ``add_const(mul_const(v))``, that provably lies in ``target``; the chooser picks how
    far to shrink (if at all) and where in ``target`` the value goes. Wide mode only."""
    lo, hi = target
    if lo <= v.lo and v.hi <= hi:
        return v
    margin = 1e-6 * (hi - lo)  # rounding in the guards' intervals cannot cross the target's ends
    lo, hi = lo + margin, hi - margin
    if v.hi - v.lo > hi - lo:
        ratio = (hi - lo) / (v.hi - v.lo)
        v = b.node("mul_const", [v], {"c": b.c.choice([nice_below(ratio), nice_below(ratio / 10)])})
    room = (lo - v.lo, hi - v.hi)  # shifts that keep v inside
    where = b.c.choice((None, *PLACES) if room[0] <= 0 <= room[1] else PLACES)
    if where is None:
        return v
    shift = room[0] + where * (room[1] - room[0])
    rounded = float(f"{shift:.3g}")
    out = b.node("add_const", [v], {"c": rounded if room[0] <= rounded <= room[1] else shift})
    if not (target[0] <= out.lo and out.hi <= target[1]):
        raise Reject  # never seen; a guard that cannot be proven is not used
    # A shift can swamp the small differences between elements of a wide value: in float32,
    # 10.5 + 0.005 x rounds elements 1e-6 apart to the same number, a tie float64 never sees.
    out.generic = False
    return out


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
