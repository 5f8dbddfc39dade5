"""Tensor ops: reductions (``sum``, ``mean``, ``max``), ``transpose``, ``reshape`` and ``matmul``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.ops.base import Bounds, Interval, Op, Shape, declare
from oracle.ops.draw import MATMUL_PAIR, MATRIX, ONE, axis_keepdims, reshape_target
from oracle.ops.rules import constant_slope, mul_iv, same_interval


def _sum_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    a, axis = args[0], attrs["axis"]
    count = math.prod(a.shape) if axis is None else a.shape[axis]
    return count * a.lo, count * a.hi


def _matmul_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    a, b = args
    lo, hi = mul_iv((a.lo, a.hi), (b.lo, b.hi))
    k = a.shape[-1]
    return k * lo, k * hi


def _matmul_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    """An element of x meets a row of y (n elements), one of y a column of x (m elements)."""
    a, b = args
    n = b.shape[1] if len(b.shape) == 2 else 1
    m = a.shape[0] if len(a.shape) == 2 else 1
    return n * b.mag(), m * a.mag()


def max_ties(x: Any, axis: int | None = None, keepdims: bool = False) -> tuple[np.ndarray, ...]:
    """The winners of every slice that has more than one."""
    x = np.asarray(x)
    winners = x == x.max(axis=axis, keepdims=True)
    return (winners & (winners.sum(axis=axis, keepdims=True) > 1),)


def _reduction(fn: Any) -> Any:
    return lambda x, axis=None, keepdims=False: fn(x, axis=axis, keepdims=keepdims)


def _reshape(x: jax.Array, shape: Sequence[int]) -> jax.Array:
    return jnp.reshape(x, tuple(shape))


ONE_SLOPE = constant_slope(1.0)  # every element gets the gradient of one output element (or less)

declare(Op("sum", _reduction(jnp.sum), ONE, _sum_iv, attrs=axis_keepdims, slope=ONE_SLOPE))
declare(Op("mean", _reduction(jnp.mean), ONE, same_interval, attrs=axis_keepdims, slope=ONE_SLOPE))
declare(
    Op(
        "max",
        _reduction(jnp.max),
        ONE,
        same_interval,
        attrs=axis_keepdims,
        slope=ONE_SLOPE,
        kinks=max_ties,
        kinks_at="tied winners of a slice",
    )
)
declare(Op("transpose", jnp.transpose, MATRIX, same_interval, slope=ONE_SLOPE, scalar=False))
declare(Op("reshape", _reshape, ONE, same_interval, attrs=reshape_target, slope=ONE_SLOPE))
declare(Op("matmul", jnp.matmul, MATMUL_PAIR, _matmul_iv, slope=_matmul_slope, scalar=False))
