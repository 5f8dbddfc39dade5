"""The vision layers' JAX functions and kink masks: what ``oracle.ops.vision`` declares as ops.

Each is written from the layer's documented meaning: the convolution is
``lax.conv_general_dilated`` (a cross-correlation, NCHW, OIHW), max pooling
``lax.reduce_window`` (which gives a tied window's gradient to its first maximum in
row-major order, as the engine does), the normalizations their textbook formula (biased
variance, training mode), dropout the documented mask: ``np.random.default_rng(seed)
.random(shape) >= p``, drawn here with numpy, independently of the engine's code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from oracle.core.lazy_jax import jax, jnp, lax
from oracle.ops.base import Shape

EPS_DEFAULT = 1e-5  # the engine's default (reference.layers)


def conv2d(x: jax.Array, w: jax.Array, b: jax.Array, stride: int = 1, pad: int = 0) -> jax.Array:
    out = lax.conv_general_dilated(
        x, w, (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW")
    )
    return out + jnp.reshape(b, (1, -1, 1, 1))


def max_pool2d(x: jax.Array, pool_height: int = 2, pool_width: int = 2, stride: int = 2) -> jax.Array:
    window, strides = (1, 1, pool_height, pool_width), (1, 1, stride, stride)
    return lax.reduce_window(x, -jnp.inf, lax.max, window, strides, "VALID")


def avg_pool2d(x: jax.Array, pool_height: int = 2, pool_width: int = 2, stride: int = 2) -> jax.Array:
    window, strides = (1, 1, pool_height, pool_width), (1, 1, stride, stride)
    return lax.reduce_window(x, 0.0, lax.add, window, strides, "VALID") / (pool_height * pool_width)


def normalize(x: jax.Array, axes: tuple[int, ...], eps: float) -> jax.Array:
    """(x - mean) / sqrt(var + eps), the mean and the biased variance over ``axes``."""
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps)


def _per_feature(a: jax.Array, x: jax.Array) -> jax.Array:
    """gamma or beta, one value per feature (axis 1), shaped to broadcast against x."""
    return jnp.reshape(a, (1, -1) + (1,) * (x.ndim - 2))


def batchnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, eps: float = EPS_DEFAULT) -> jax.Array:
    return _per_feature(gamma, x) * normalize(x, (0,), eps) + _per_feature(beta, x)


def layernorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, eps: float = EPS_DEFAULT) -> jax.Array:
    return _per_feature(gamma, x) * normalize(x, (1,), eps) + _per_feature(beta, x)


def spatial_batchnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, eps: float = EPS_DEFAULT) -> jax.Array:
    return _per_feature(gamma, x) * normalize(x, (0, 2, 3), eps) + _per_feature(beta, x)


def groupnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, G: int, eps: float = EPS_DEFAULT) -> jax.Array:
    """gamma and beta per channel: (C,) or the course's (1, C, 1, 1)."""
    n, c, h, w = x.shape
    xhat = jnp.reshape(normalize(jnp.reshape(x, (n, G, c // G, h, w)), (2, 3, 4), eps), x.shape)
    return _per_feature(gamma, x) * xhat + _per_feature(beta, x)


def dropout_mask(shape: Shape, p: float, seed: int) -> np.ndarray:
    """The engine's documented dropout mask: the units ``default_rng(seed).random(shape) >= p`` keep."""
    return np.random.default_rng(seed).random(shape) >= p


def dropout(x: jax.Array, p: float, seed: int = 0) -> jax.Array:
    scale = dropout_mask(x.shape, p, seed) / (1 - p)  # numpy, at trace time: the shape is static
    return x * jnp.asarray(scale, dtype=x.dtype)


def tied_maxima(x: Any, pool_height: int = 2, pool_width: int = 2, stride: int = 2) -> tuple[np.ndarray, ...]:
    """The maxima of every window that has more than one (an element marked in any of its windows)."""
    x = np.asarray(x)
    windows = sliding_window_view(x, (pool_height, pool_width), axis=(2, 3))[:, :, ::stride, ::stride]
    winners = windows == windows.max(axis=(4, 5), keepdims=True)
    tied = winners & (winners.sum(axis=(4, 5), keepdims=True) > 1)
    mask = np.zeros(x.shape, dtype=bool)
    out_h, out_w = windows.shape[2:4]
    for i in range(pool_height):
        for j in range(pool_width):
            mask[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride] |= tied[..., i, j]
    return (mask,)
