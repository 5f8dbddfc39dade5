"""What the course's vision layers should compute, in JAX: the judge's side of the vision targets.

Each function takes every array of its target (those with a gradient first) and the
target's settings as keywords, as ``oracle.course.reference.Reference.fn`` does. Layouts are
the course's: images NCHW, filters (F, C, HH, WW). Batch statistics use the biased
variance (``np.var``), as the course does, and the running averages are
``momentum * running + (1 - momentum) * batch``. Functions that return ``(out, extras)``
are the ``aux`` references: their extras (running averages, the test-mode output, the
fraction of units dropout kept) are checked like the output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp, lax
from oracle.ops import vision_jax as ops_vision

TEST_OUTPUT = "the test-mode output"  # extras: the forward's output with mode 'test'
KEPT = "the fraction of units kept"  # extras: dropout's kept fraction, judged for plausibility

Extras = dict[str, jax.Array]


# ------------------------------------------------------------ convolution and pooling


conv = ops_vision.conv2d  # the course's convolution is the graph op's: a cross-correlation, NCHW


def max_pool(
    x: jax.Array, *, pool_height: int, pool_width: int, stride: int, ties: str = "first"
) -> jax.Array:
    """Max pooling. ``ties`` says where a tied window's gradient goes (the output is the same).

    ``first``: all of it to the first winner in row-major order, JAX's own convention for
    ``lax.reduce_window`` (the graph op's) and the course's ``np.argmax``; ``last``: to the
    last winner; ``split``: equal shares, as the course's fast pooling layer does.
    """
    if ties == "first":
        return ops_vision.max_pool2d(x, pool_height, pool_width, stride)
    windows = _windows(x, pool_height, pool_width, stride)  # (N, C, H', W', pool_height * pool_width)
    frozen = lax.stop_gradient(windows)
    best = jnp.max(frozen, axis=-1, keepdims=True)
    winners = (frozen == best).astype(x.dtype)
    if ties == "last":
        last = winners.shape[-1] - 1 - jnp.argmax(winners[..., ::-1], axis=-1)
        weights = jax.nn.one_hot(last, winners.shape[-1], dtype=x.dtype)
    elif ties == "split":
        weights = winners / jnp.sum(winners, axis=-1, keepdims=True)
    else:
        raise ValueError(f"ties {ties!r} is not one of first, last, split")
    # The value is the maximum exactly; the gradient is the weights.
    return best[..., 0] + jnp.sum(weights * (windows - frozen), axis=-1)


def _windows(x: jax.Array, pool_height: int, pool_width: int, stride: int) -> jax.Array:
    _, _, height, width = x.shape
    rows = np.arange(0, height - pool_height + 1, stride)[:, None] + np.arange(pool_height)[None, :]
    cols = np.arange(0, width - pool_width + 1, stride)[:, None] + np.arange(pool_width)[None, :]
    picked = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, H', W', ph, pw)
    return picked.reshape(*picked.shape[:4], pool_height * pool_width)


# ------------------------------------------------------------------- normalization


def _normalize(x: jax.Array, axes: tuple[int, ...], eps: float) -> tuple[jax.Array, jax.Array, jax.Array]:
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps), mean, var


def _batchnorm(
    axes: tuple[int, ...],
    x: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    running_mean: jax.Array,
    running_var: jax.Array,
    eps: float,
    momentum: float,
    fresh: bool,
    test_eps: str,
) -> tuple[jax.Array, Extras]:
    shape = [1] * x.ndim
    shape[1] = x.shape[1]  # the feature (or channel) axis

    def per_feature(a: jax.Array) -> jax.Array:
        return jnp.reshape(a, shape)

    xhat, mean, var = _normalize(x, axes, eps)
    out = per_feature(gamma) * xhat + per_feature(beta)
    start_mean = jnp.zeros_like(running_mean) if fresh else running_mean
    start_var = jnp.zeros_like(running_var) if fresh else running_var
    # where a student's test mode puts eps: inside the root (the course's), outside, or nowhere
    # (``vision_norms.test_eps`` infers it)
    root = {
        "inside": lambda v: jnp.sqrt(v + eps),
        "outside": lambda v: jnp.sqrt(v) + eps,
        "none": jnp.sqrt,
    }[test_eps]
    test = (x - per_feature(running_mean)) / root(per_feature(running_var))
    extras = {
        "running_mean": momentum * start_mean + (1 - momentum) * jnp.reshape(mean, running_mean.shape),
        "running_var": momentum * start_var + (1 - momentum) * jnp.reshape(var, running_var.shape),
        TEST_OUTPUT: per_feature(gamma) * test + per_feature(beta),
    }
    return out, extras


def batchnorm(
    x: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    running_mean: jax.Array,
    running_var: jax.Array,
    *,
    eps: float,
    momentum: float,
    fresh: bool,
    test_eps: str = "inside",
) -> tuple[jax.Array, Extras]:
    """Training-mode batch norm of (N, D) over the batch; extras: the updated running averages
    (from zeros when ``fresh``: the course's default when bn_param holds none) and the
    test-mode output, which normalizes with the running averages given."""
    return _batchnorm((0,), x, gamma, beta, running_mean, running_var, eps, momentum, fresh, test_eps)


def spatial_batchnorm(
    x: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    running_mean: jax.Array,
    running_var: jax.Array,
    *,
    eps: float,
    momentum: float,
    fresh: bool,
    test_eps: str = "inside",
) -> tuple[jax.Array, Extras]:
    """Batch norm of NCHW images per channel, over N, H and W."""
    return _batchnorm((0, 2, 3), x, gamma, beta, running_mean, running_var, eps, momentum, fresh, test_eps)


def layernorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float) -> jax.Array:
    """Layer norm of (N, D): each row over its features."""
    xhat, _, _ = _normalize(x, (1,), eps)
    return gamma * xhat + beta


def groupnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, *, G: int, eps: float) -> jax.Array:
    """Group norm of NCHW images: each image's C channels in G contiguous groups; gamma (1, C, 1, 1)."""
    n, c, h, w = x.shape
    xhat, _, _ = _normalize(jnp.reshape(x, (n, G, c // G, h, w)), (2, 3, 4), eps)
    return gamma * jnp.reshape(xhat, x.shape) + beta


# ------------------------------------------------------------------------- dropout


def dropout(
    x: jax.Array, *, p: float, seed: int, mask: Any = None, keep: float = 1.0, kept: float = 0.0
) -> tuple[jax.Array, Extras]:
    """Inverted dropout with the student's own mask: the units kept, scaled by 1/keep.

    The mask, the keep probability and the expected kept fraction come from ``adapt``
    (``oracle.courses.cs231n.vision_dropout``), which reads them off the student's output;
    ``p`` and ``seed`` are what the student's code was given. Test mode is the identity.
    """
    scaled = x if mask is None else x * jnp.asarray(mask, dtype=x.dtype) / keep
    return scaled, {TEST_OUTPUT: x, KEPT: jnp.asarray(kept, dtype=x.dtype)}


# ------------------------------------------------------------------------ sandwiches


def affine_relu(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    return jax.nn.relu(jnp.reshape(x, (x.shape[0], -1)) @ w + b)


def affine_bn_relu(
    x: jax.Array, w: jax.Array, b: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float
) -> jax.Array:
    a = jnp.reshape(x, (x.shape[0], -1)) @ w + b
    xhat, _, _ = _normalize(a, (0,), eps)
    return jax.nn.relu(gamma * xhat + beta)


def affine_ln_relu(
    x: jax.Array, w: jax.Array, b: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float
) -> jax.Array:
    a = jnp.reshape(x, (x.shape[0], -1)) @ w + b
    return jax.nn.relu(layernorm(a, gamma, beta, eps=eps))


def conv_relu(x: jax.Array, w: jax.Array, b: jax.Array, *, stride: int, pad: int) -> jax.Array:
    return jax.nn.relu(conv(x, w, b, stride=stride, pad=pad))


def conv_relu_pool(
    x: jax.Array,
    w: jax.Array,
    b: jax.Array,
    *,
    stride: int,
    pad: int,
    pool_height: int,
    pool_width: int,
    pool_stride: int,
) -> jax.Array:
    a = conv_relu(x, w, b, stride=stride, pad=pad)
    return max_pool(a, pool_height=pool_height, pool_width=pool_width, stride=pool_stride)


def conv_bn_relu(
    x: jax.Array,
    w: jax.Array,
    b: jax.Array,
    gamma: jax.Array,
    beta: jax.Array,
    *,
    stride: int,
    pad: int,
    eps: float,
) -> jax.Array:
    a = conv(x, w, b, stride=stride, pad=pad)
    xhat, _, _ = _normalize(a, (0, 2, 3), eps)
    return jax.nn.relu(gamma[None, :, None, None] * xhat + beta[None, :, None, None])
