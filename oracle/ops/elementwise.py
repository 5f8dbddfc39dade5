"""Elementwise ops: two inputs with numpy broadcasting, one input, one input and a constant.

Declared in the order random graphs choose them, simplest first (Hypothesis shrinks a
choice towards the front).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from oracle.ops.base import POSITIVE, REAL, Bounds, Domain, Interval, Op, Shape, declare, never_generic
from oracle.ops.draw import BROADCAST_PAIR, ONE, constant
from oracle.ops.rules import at_ties, at_zero, increasing, mul_iv, pairwise, sigmoid, square_iv, unary

CONSTS = (1.0, 2.0, -1.0, 0.5, -0.5, 3.0, -2.0, 0.25)  # add_const / mul_const c, simplest first
POWERS: tuple[float, ...] = (2, 3, -1, 0.5, 1.5, -0.5)  # pow_const p, simplest first
EXP_BOUND = 5.0  # exp arguments stay in [-5, 5]
TANH_GENERIC = 3.0  # tanh of an argument within +-3 cannot saturate to a tie (float32 included)
SIGMOID_GENERIC = 6.0


def pair(name: str, jax_fn: Any, interval: Any, **more: Any) -> Op:
    """Two inputs, numpy broadcasting."""
    return declare(Op(name, jax_fn, BROADCAST_PAIR, pairwise(interval), elementwise=True, **more))


def one(name: str, jax_fn: Any, interval: Any, **more: Any) -> Op:
    """One input, output of its shape."""
    return declare(Op(name, jax_fn, ONE, interval, elementwise=True, **more))


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


def _pow_domains(attrs: Mapping[str, Any]) -> tuple[Domain, ...]:
    """A negative or fractional power needs a positive base."""
    p = attrs["p"]
    return (REAL,) if p == int(p) and p > 0 else (POSITIVE,)


pair("add", jnp.add, lambda a, b: (a.lo + b.lo, a.hi + b.hi))
pair("mul", jnp.multiply, lambda a, b: mul_iv((a.lo, a.hi), (b.lo, b.hi)))
pair("sub", jnp.subtract, lambda a, b: (a.lo - b.hi, a.hi - b.lo))
one("neg", jnp.negative, unary(lambda lo, hi: (-hi, -lo)))
one("square", jnp.square, unary(square_iv))
one(
    "add_const",
    lambda x, c: c + x,
    unary(lambda lo, hi, c: (lo + c, hi + c)),
    attrs=constant("c", CONSTS),
)
one("mul_const", lambda x, c: c * x, unary(_mul_const_iv), attrs=constant("c", CONSTS))
one("tanh", jnp.tanh, increasing(math.tanh), generic=unsaturated(TANH_GENERIC))
one("sigmoid", jax.nn.sigmoid, increasing(sigmoid), generic=unsaturated(SIGMOID_GENERIC))
one(
    "relu",
    jax.nn.relu,  # jnp.maximum(x, 0) would give 0.5 at 0
    unary(lambda lo, hi: (max(lo, 0.0), max(hi, 0.0))),
    generic=never_generic,  # flat for x < 0
    kinks=at_zero,
    kinks_at="x == 0",
)
one("abs", jnp.abs, unary(_abs_iv), kinks=at_zero, kinks_at="x == 0")
pair(
    "maximum",
    jnp.maximum,
    lambda a, b: (max(a.lo, b.lo), max(a.hi, b.hi)),
    generic=no_broadcasting,
    kinks=at_ties,
    kinks_at="a tie x == y",
)
pair(
    "minimum",
    jnp.minimum,
    lambda a, b: (min(a.lo, b.lo), min(a.hi, b.hi)),
    generic=no_broadcasting,
    kinks=at_ties,
    kinks_at="a tie x == y",
)
one("exp", jnp.exp, increasing(math.exp), domains=(Domain(bound=EXP_BOUND),))
one("reciprocal", jnp.reciprocal, unary(lambda lo, hi: (1 / hi, 1 / lo)), domains=(POSITIVE,))
pair(
    "div",
    jnp.divide,
    lambda a, b: mul_iv((a.lo, a.hi), (1 / b.hi, 1 / b.lo)),
    domains=(REAL, POSITIVE),
)
one("log", jnp.log, increasing(math.log), domains=(POSITIVE,))
one("sqrt", jnp.sqrt, increasing(math.sqrt), domains=(POSITIVE,))
one("pow_const", lambda x, p: x**p, unary(_pow_iv), attrs=constant("p", POWERS), domains=_pow_domains)
