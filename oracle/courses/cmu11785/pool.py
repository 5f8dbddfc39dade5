"""HW2P1's pooling and resampling layers, over (N, C, W) or (N, C, H, W).

``MaxPool2d_stride1(kernel)`` and ``MeanPool2d_stride1(kernel)`` slide a square window at
stride 1; ``MaxPool2d(kernel, stride)`` and ``MeanPool2d(kernel, stride)`` pool at stride 1
and downsample, which is pooling at that stride. ``Upsample1d(upsampling_factor)`` puts k - 1
zeros between neighbours (W_out = (W_in - 1) k + 1); ``Downsample1d(downsampling_factor)``
keeps every k-th element, from the first (W_out = ceil(W_in / k)), and its backward puts the
gradient back at width W_in, odd or not. The 2d ones the same on both axes. The pools' inputs
are normal draws: no window holds a tie.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp, lax
from oracle.course.judging.bugs import Bug
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cmu11785.built import built_call

P = "cmu."


def _window(a: jax.Array, kernel: int, stride: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    spatial = a.ndim - 2
    return (1, 1) + (kernel,) * spatial, (1, 1) + (stride,) * spatial


def max_pool(a: jax.Array, kernel: int = 2, stride: int = 1) -> jax.Array:
    window, strides = _window(a, kernel, stride)
    return lax.reduce_window(a, -jnp.inf, lax.max, window, strides, "VALID")


def mean_pool(a: jax.Array, kernel: int = 2, stride: int = 1) -> jax.Array:
    window, strides = _window(a, kernel, stride)
    return lax.reduce_window(a, 0.0, lax.add, window, strides, "VALID") / kernel ** (a.ndim - 2)


def upsample(a: jax.Array, factor: int = 2) -> jax.Array:
    shape = a.shape[:2] + tuple((n - 1) * factor + 1 for n in a.shape[2:])
    every = (slice(None),) * 2 + (slice(None, None, factor),) * (a.ndim - 2)
    return jnp.zeros(shape, a.dtype).at[every].set(a)


def downsample(a: jax.Array, factor: int = 2) -> jax.Array:
    return a[(slice(None),) * 2 + (slice(None, None, factor),) * (a.ndim - 2)]


def _kernel(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    return (settings["kernel"],)


def _kernel_stride(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    return (settings["kernel"], settings["stride"])


def _factor(inputs: Sequence[np.ndarray], settings: Mapping[str, Any]) -> tuple[Any, ...]:
    return (settings["factor"],)


ONE_D = (((2, 3, 7),), ((1, 2, 8),))
TWO_D = (((2, 3, 5, 6),), ((1, 2, 7, 7),))
STRIDE1 = ({"kernel": 2, "stride": 1}, {"kernel": 3, "stride": 1})
STRIDED = ({"kernel": 2, "stride": 2}, {"kernel": 3, "stride": 2})
FACTORS = ({"factor": 2}, {"factor": 3})

_TARGETS: tuple[tuple[str, Any, Any, Any, tuple[Mapping[str, Any], ...]], ...] = (
    ("MaxPool1d_stride1", max_pool, ONE_D, _kernel, STRIDE1),
    ("MeanPool1d_stride1", mean_pool, ONE_D, _kernel, STRIDE1),
    ("MaxPool1d", max_pool, ONE_D, _kernel_stride, STRIDED),
    ("MeanPool1d", mean_pool, ONE_D, _kernel_stride, STRIDED),
    ("MaxPool2d_stride1", max_pool, TWO_D, _kernel, STRIDE1),
    ("MeanPool2d_stride1", mean_pool, TWO_D, _kernel, STRIDE1),
    ("MaxPool2d", max_pool, TWO_D, _kernel_stride, STRIDED),
    ("MeanPool2d", mean_pool, TWO_D, _kernel_stride, STRIDED),
    ("Upsample1d", upsample, ONE_D, _factor, FACTORS),
    ("Downsample1d", downsample, ONE_D, _factor, FACTORS),
    ("Upsample2d", upsample, TWO_D, _factor, FACTORS),
    ("Downsample2d", downsample, TWO_D, _factor, FACTORS),
)


def _rebuilt_width(s: Any, got: np.ndarray) -> bool:
    """dLdA of width W_out * k, not the W_in the forward saw."""
    factor = s.settings["factor"]
    widths = tuple(-(-n // factor) * factor for n in s.inputs[0].shape[2:])
    return np.shape(got)[2:] == widths != s.inputs[0].shape[2:]


REBUILT = Bug(
    "backward rebuilt the input's width as W_out * k, which is W_in only when k divides it "
    "(keep W_in from the forward)",
    "A",
    _rebuilt_width,
)

for _name, _fn, _shapes, _sizes, _settings in _TARGETS:
    declare(
        Reference(
            P + _name,
            LAYER,
            _fn,
            ("A",),
            _shapes,
            normal,
            call=built_call(_name, _sizes),
            names=(_name,),
            settings=_settings,
            bugs=(REBUILT,) if _name.startswith("Downsample") else (),
        )
    )
