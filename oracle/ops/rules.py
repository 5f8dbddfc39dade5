"""Helpers for declarations: interval rules, and kink masks brought back to an input's shape.

An interval rule takes the arguments' ``Bounds`` (each holds an interval [lo, hi] that
contains every element of the value, whatever the case's input values) and the attributes,
and returns an interval that contains every element of the output. Rules must be
conservative (never too narrow), since the builder proves safety with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.ops.base import Bounds, Interval, IntervalRule, Shape, SlopeRule


def mul_iv(a: Interval, b: Interval) -> Interval:
    p = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(p), max(p)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= -700 else 0.0


def unary(rule: Callable[..., Interval]) -> IntervalRule:
    """An interval rule from ``rule(lo, hi, **attrs)`` of the one argument's interval."""

    def interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
        return rule(args[0].lo, args[0].hi, **attrs)

    return interval


def increasing(f: Callable[[float], float]) -> IntervalRule:
    """The interval rule of an increasing function: [f(lo), f(hi)]."""
    return unary(lambda lo, hi: (f(lo), f(hi)))


def pairwise(rule: Callable[[Bounds, Bounds], Interval]) -> IntervalRule:
    """An interval rule from ``rule(a, b)`` of two arguments."""

    def interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
        return rule(args[0], args[1])

    return interval


def same_interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    """Rearranging (transpose, reshape) or averaging (mean, max) stays within the argument's interval."""
    return args[0].lo, args[0].hi


def square_iv(lo: float, hi: float) -> Interval:
    top = max(lo * lo, hi * hi)
    return (0.0 if lo <= 0 <= hi else min(lo * lo, hi * hi)), top


# ------------------------------------------------------------------ slopes


def unary_slope(rule: Callable[..., float]) -> SlopeRule:
    """A slope rule from ``rule(lo, hi, **attrs)``: a bound on |f'| over the argument's interval."""

    def slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
        return (rule(args[0].lo, args[0].hi, **attrs),)

    return slope


def pair_slope(rule: Callable[[Bounds, Bounds], tuple[float, float]]) -> SlopeRule:
    """A slope rule of a broadcasting pair from ``rule(a, b)``, the bounds of the two partial
    derivatives; a broadcast argument collects the gradient of every element it met."""

    def slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
        return tuple(
            d * math.prod(shape) / math.prod(v.shape) for d, v in zip(rule(*args), args, strict=True)
        )

    return slope


def constant_slope(*bounds: float) -> SlopeRule:
    """Slopes that do not depend on the arguments (1 for add, neg, reductions, rearrangements)."""
    return lambda args, attrs, shape: bounds


# ------------------------------------------------------------------ kink masks


def to_shape(mask: np.ndarray, shape: Shape) -> np.ndarray:
    """A mask over a broadcast result, brought back to an input of ``shape``: an element is
    marked when any of the elements it was broadcast to is."""
    extra = mask.ndim - len(shape)
    if extra:
        mask = np.asarray(mask.any(axis=tuple(range(extra))))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and mask.shape[i] != 1)
    if axes:
        mask = np.asarray(mask.any(axis=axes, keepdims=True))
    return np.array(np.broadcast_to(mask, shape), dtype=bool)


def at_zero(x: Any, **_: Any) -> tuple[np.ndarray, ...]:
    """Elements exactly 0 (relu, abs)."""
    return (np.asarray(x) == 0,)


def at_ties(x: Any, y: Any) -> tuple[np.ndarray, ...]:
    """Elements of either input that tie with the element they meet (maximum, minimum)."""
    x, y = np.asarray(x), np.asarray(y)
    tie = x == y  # broadcasts like the gate does
    return to_shape(tie, x.shape), to_shape(tie, y.shape)
