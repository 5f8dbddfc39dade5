"""Elementwise ops: two inputs with numpy broadcasting, one input, one input and a constant.

Declared in the order random graphs choose them, simplest first (Hypothesis shrinks a
choice towards the front).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from oracle.core.lazy_jax import jax, jnp
from oracle.ops.base import (
    POSITIVE,
    REAL,
    Bounds,
    Domain,
    Interval,
    IntervalRule,
    JaxFn,
    Op,
    Shape,
    declare,
    never_generic,
)
from oracle.ops.draw import BROADCAST_PAIR, ONE, constant
from oracle.ops.rules import (
    at_ties,
    at_zero,
    increasing,
    mul_iv,
    pair_slope,
    pairwise,
    sigmoid,
    square_iv,
    unary,
    unary_slope,
)

CONSTS = (1.0, 2.0, -1.0, 0.5, -0.5, 3.0, -2.0, 0.25)  # add_const / mul_const c, simplest first
POWERS: tuple[float, ...] = (2, 3, -1, 0.5, 1.5, -0.5)  # pow_const p, simplest first
LEAKS = (0.01, 0.1, 0.2)  # leaky_relu's alpha: positive, so it stays increasing (and tie-free)
EXP_BOUND = 5.0  # exp arguments stay in [-5, 5]
EXP_WIDE = (-80.0, 13.0)  # wide mode: from near float32 underflow (1.8e-35) to 4.4e5
TANH_GENERIC = 3.0  # tanh of an argument within +-3 cannot saturate to a tie (float32 included)
SIGMOID_GENERIC = 6.0


def pair(
    name: str,
    jax_fn: JaxFn,
    interval: Callable[[Bounds, Bounds], Interval],
    slopes: Callable[[Bounds, Bounds], tuple[float, float]],
    **more: Any,
) -> Op:
    """Two inputs, numpy broadcasting: ``interval(a, b)`` of the output, ``slopes(a, b)`` bounds on
    the two partial derivatives."""
    return declare(
        Op(
            name,
            jax_fn,
            BROADCAST_PAIR,
            pairwise(interval),
            slope=pair_slope(slopes),
            elementwise=True,
            **more,
        )
    )


def one(name: str, jax_fn: JaxFn, interval: IntervalRule, slope: Callable[..., float], **more: Any) -> Op:
    """One input, output of its shape: ``slope(lo, hi, **attrs)`` bounds |f'| on [lo, hi]."""
    return declare(Op(name, jax_fn, ONE, interval, slope=unary_slope(slope), elementwise=True, **more))


def unsaturated(bound: float) -> Any:
    """Genericity of tanh and sigmoid: lost where the argument may reach saturation (ties)."""
    return lambda args, shape: args[0].mag() <= bound


def no_broadcasting(args: Sequence[Bounds], shape: Shape) -> bool:
    """One broadcast value may win a whole row of maximum/minimum: repeated elements."""
    return all(v.shape == shape for v in args)


def _abs_iv(lo: float, hi: float) -> Interval:
    if lo >= 0:
        return lo, hi
    if hi <= 0:
        return -hi, -lo
    return 0.0, max(-lo, hi)


def _mul_const_iv(lo: float, hi: float, *, c: float) -> Interval:
    return (c * lo, c * hi) if c > 0 else (c * hi, c * lo)


def _pow_iv(lo: float, hi: float, *, p: float) -> Interval:
    if p == 2:
        return square_iv(lo, hi)
    if p == 3:
        return lo**3, hi**3
    return (lo**p, hi**p) if p > 0 else (hi**p, lo**p)  # a positive base


POW_WIDE = Domain(positive=True, wide=(1e-6, 5e3))  # 5e3 ** 1.5 = 3.5e5, below the wide limit


def _pow_slope(lo: float, hi: float, *, p: float) -> float:
    if p == int(p) and p > 0:
        return p * max(-lo, hi) ** (p - 1)
    return abs(p) * max(lo ** (p - 1), hi ** (p - 1))  # a positive base


def _pow_domains(attrs: Mapping[str, Any]) -> tuple[Domain, ...]:
    """A negative or fractional power needs a positive base (in wide mode, x ** 1.5 a smaller one)."""
    p = attrs["p"]
    if p == int(p) and p > 0:
        return (REAL,)
    return (POW_WIDE,) if p > 1 else (POSITIVE,)


ONE_ONE = lambda a, b: (1.0, 1.0)
UNIT = lambda lo, hi, **_: 1.0

pair("add", jnp.add, lambda a, b: (a.lo + b.lo, a.hi + b.hi), ONE_ONE)
pair("mul", jnp.multiply, lambda a, b: mul_iv((a.lo, a.hi), (b.lo, b.hi)), lambda a, b: (b.mag(), a.mag()))
pair("sub", jnp.subtract, lambda a, b: (a.lo - b.hi, a.hi - b.lo), ONE_ONE)
one("neg", jnp.negative, unary(lambda lo, hi: (-hi, -lo)), UNIT)
one("square", jnp.square, unary(square_iv), lambda lo, hi: 2 * max(-lo, hi))
one(
    "add_const",
    lambda x, c: c + x,
    unary(lambda lo, hi, c: (lo + c, hi + c)),
    UNIT,
    attrs=constant("c", CONSTS),
)
one(
    "mul_const",
    lambda x, c: c * x,
    unary(_mul_const_iv),
    lambda lo, hi, c: abs(c),
    attrs=constant("c", CONSTS),
)
one("tanh", jnp.tanh, increasing(math.tanh), UNIT, generic=unsaturated(TANH_GENERIC))
one("sigmoid", jax.nn.sigmoid, increasing(sigmoid), lambda lo, hi: 0.25, generic=unsaturated(SIGMOID_GENERIC))
one(
    "relu",
    jax.nn.relu,  # jnp.maximum(x, 0) would give 0.5 at 0
    unary(lambda lo, hi: (max(lo, 0.0), max(hi, 0.0))),
    UNIT,
    generic=never_generic,  # flat for x < 0
    kinks=at_zero,
    kinks_at="x == 0",
)
one("abs", jnp.abs, unary(_abs_iv), UNIT, kinks=at_zero, kinks_at="x == 0")
one(
    "leaky_relu",
    lambda x, alpha: jax.nn.leaky_relu(x, alpha),  # x >= 0 takes the identity: slope 1 at 0
    unary(lambda lo, hi, alpha: (min(lo, alpha * lo), max(hi, alpha * hi))),
    lambda lo, hi, alpha: max(1.0, abs(alpha)),
    attrs=constant("alpha", LEAKS),
    kinks=at_zero,
    kinks_at="x == 0",
)
pair(
    "maximum",
    jnp.maximum,
    lambda a, b: (max(a.lo, b.lo), max(a.hi, b.hi)),
    ONE_ONE,
    generic=no_broadcasting,
    kinks=at_ties,
    kinks_at="a tie x == y",
)
pair(
    "minimum",
    jnp.minimum,
    lambda a, b: (min(a.lo, b.lo), min(a.hi, b.hi)),
    ONE_ONE,
    generic=no_broadcasting,
    kinks=at_ties,
    kinks_at="a tie x == y",
)
one(
    "exp",
    jnp.exp,
    increasing(math.exp),
    lambda lo, hi: math.exp(hi),
    domains=(Domain(bound=EXP_BOUND, wide=EXP_WIDE),),
)
one(
    "reciprocal",
    jnp.reciprocal,
    unary(lambda lo, hi: (1 / hi, 1 / lo)),
    lambda lo, hi: 1 / (lo * lo),
    domains=(POSITIVE,),
)
pair(
    "div",
    jnp.divide,
    lambda a, b: mul_iv((a.lo, a.hi), (1 / b.hi, 1 / b.lo)),
    lambda a, b: (1 / b.lo, a.mag() / (b.lo * b.lo)),
    domains=(REAL, POSITIVE),
)
one("log", jnp.log, increasing(math.log), lambda lo, hi: 1 / lo, domains=(POSITIVE,))
one("sqrt", jnp.sqrt, increasing(math.sqrt), lambda lo, hi: 0.5 / math.sqrt(lo), domains=(POSITIVE,))
one(
    "pow_const",
    lambda x, p: x**p,
    unary(_pow_iv),
    _pow_slope,
    attrs=constant("p", POWERS),
    domains=_pow_domains,
)
