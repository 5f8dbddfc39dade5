"""The course's vision layers as gates: convolution, pooling, the normalizations and dropout.

Each is declared like every gate (``reference.gates``): one ``@gate`` line, a forward, and
beside it the hand-written backward of each input; the graph format, the ``Value`` method
(``x.conv2d(w, b, stride=1, pad=1)``) and the checks derive from the declaration.

Layouts are the course's: images (N, C, H, W), filters (F, C, HH, WW), one bias per filter;
the normalizations' gamma and beta have one value per feature (or channel). They are
vectorized: windows are strided views of the (padded) input (``sliding_window_view``),
a convolution is one matrix product over them (im2col), and the only Python loops run
over the offsets inside a window (HH x WW), never over images or pixels.

Conventions: max pooling gives a tied window's whole gradient to its first maximum in
row-major order (numpy's ``argmax``; JAX's ``reduce_window`` does the same); batch norm
runs in training mode (the batch's own statistics, biased variance, as the course);
dropout is inverted dropout whose mask is a pure function of its attributes, so a graph
stays a pure function of its inputs: ``dropout_mask(shape, p, seed)`` below.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference.checks import Array, Attr, AttrType, Shape, is_int
from reference.gates import VJP, gate

# ---------------------------------------------------------------- attribute types


def _count(value: Any) -> int:
    if is_int(value) and value >= 1:
        return int(value)
    raise ValueError(f"must be a positive integer, got {value!r}")


def _offset(value: Any) -> int:
    if is_int(value) and value >= 0:
        return int(value)
    raise ValueError(f"must be a non-negative integer, got {value!r}")


def _real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _eps(value: Any) -> float:
    if _real(value) and math.isfinite(value) and value > 0:
        return float(value)
    raise ValueError(f"must be a positive finite number, got {value!r}")


def _probability(value: Any) -> float:
    if _real(value) and 0 <= value < 1:
        return float(value)
    raise ValueError(f"must be a number in [0, 1) (the probability of dropping a unit), got {value!r}")


COUNT = AttrType("count", _count)  # strides, window sizes, groups
OFFSET = AttrType("offset", _offset)  # padding, seeds
EPS = AttrType("eps", _eps)
PROBABILITY = AttrType("probability", _probability)
EPS_DEFAULT = 1e-5  # the course's default


# --------------------------------------------------------------------- shape rules


def _images(x: Shape, what: str = "x") -> Shape:
    if len(x) != 4:
        raise ValueError(f"{what} must be 4-D (N, C, H, W), got shape {list(x)}")
    return tuple(x)


def _windows_out(size: int, window: int, stride: int, pad: int, axis: str) -> int:
    if size + 2 * pad < window:
        raise ValueError(f"a window of {window} does not fit a {axis} of {size} padded by {pad}")
    return (size + 2 * pad - window) // stride + 1


def conv_shape(x: Shape, w: Shape, b: Shape, *, stride: int, pad: int) -> Shape:
    n, c, height, width = _images(x)
    if len(w) != 4 or w[1] != c:
        raise ValueError(f"w must be (F, C={c}, HH, WW), got shape {list(w)}")
    if tuple(b) != (w[0],):
        raise ValueError(f"b must have one bias per filter, shape [{w[0]}], got {list(b)}")
    return (
        n,
        w[0],
        _windows_out(height, w[2], stride, pad, "height"),
        _windows_out(width, w[3], stride, pad, "width"),
    )


def pool_shape(x: Shape, *, pool_height: int, pool_width: int, stride: int) -> Shape:
    n, c, height, width = _images(x)
    return (
        n,
        c,
        _windows_out(height, pool_height, stride, 0, "height"),
        _windows_out(width, pool_width, stride, 0, "width"),
    )


def _scale_and_shift(x: Shape, gamma: Shape, beta: Shape, axis: int) -> Shape:
    features = x[axis]
    for name, shape in (("gamma", gamma), ("beta", beta)):
        if tuple(shape) != (features,):
            raise ValueError(
                f"{name} must have shape [{features}] for x of shape {list(x)}, got {list(shape)}"
            )
    return tuple(x)


def rows_shape(x: Shape, gamma: Shape, beta: Shape, *, eps: float) -> Shape:
    """(N, D) normalized per feature (batch norm) or per row (layer norm); gamma and beta (D,)."""
    if len(x) != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {list(x)}")
    return _scale_and_shift(x, gamma, beta, 1)


def channels_shape(x: Shape, gamma: Shape, beta: Shape, *, eps: float) -> Shape:
    return _scale_and_shift(_images(x), gamma, beta, 1)


def groups_shape(x: Shape, gamma: Shape, beta: Shape, *, G: int, eps: float) -> Shape:
    if _images(x)[1] % G:
        raise ValueError(f"G = {G} groups do not divide C = {x[1]} channels")
    return channels_shape(x, gamma, beta, eps=eps)


def dropout_shape(x: Shape, *, p: float, seed: int) -> Shape:
    return tuple(x)


# -------------------------------------------------------------------- convolution


def _padded_windows(x: Array, hh: int, ww: int, stride: int, pad: int) -> Array:
    """(N, C, H', W', HH, WW): every receptive field, a strided view of the zero-padded x."""
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    return sliding_window_view(padded, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]


def _scatter_windows(dwindows: Array, shape: Shape, stride: int) -> Array:
    """The adjoint of ``_padded_windows`` without padding: each window's gradient added back in place."""
    _, _, out_h, out_w, hh, ww = dwindows.shape
    dx = np.zeros(shape, dtype=dwindows.dtype)
    for i in range(hh):  # one strided slice per offset inside the window
        for j in range(ww):
            rows, cols = slice(i, i + stride * out_h, stride), slice(j, j + stride * out_w, stride)
            dx[:, :, rows, cols] += dwindows[..., i, j]
    return dx


@gate("conv2d", 3, conv_shape, stride=Attr(COUNT, default=1), pad=Attr(OFFSET, default=0))
def conv2d(x: Array, w: Array, b: Array, *, stride: int, pad: int) -> tuple[Array, tuple[VJP, ...]]:
    """out[n, f] = sum over c, i, j of w[f, c, i, j] * window(x)[n, c, i, j] + b[f] (a cross-correlation);
    dw = sum over n and positions of g * window, db = g summed over N, H', W', and dx = every
    window's g[n, f] * w[f] added back where the window came from.

    im2col: the windows are copied once into the columns of a matrix (C*HH*WW, N*H'*W'), so
    the forward, dw and dx are one matrix product each."""
    n, c, height, width = x.shape
    f, _, hh, ww = w.shape
    windows = _padded_windows(x, hh, ww, stride, pad)  # (N, C, H', W', HH, WW), a view
    out_h, out_w = windows.shape[2:4]
    columns = np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3)).reshape(c * hh * ww, -1)
    filters = w.reshape(f, -1)
    out = (filters @ columns).reshape(f, n, out_h, out_w).transpose(1, 0, 2, 3) + b[:, None, None]

    def per_filter(g: Array) -> Array:  # (F, N * H' * W'), the layout of the products
        return np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(f, -1)

    def dx(g: Array) -> Array:
        dcolumns = (filters.T @ per_filter(g)).reshape(c, hh, ww, n, out_h, out_w)
        dpadded = np.zeros((c, n, height + 2 * pad, width + 2 * pad), dtype=x.dtype)  # channels first
        for i in range(hh):  # each offset inside the window: one strided slice of every window
            for j in range(ww):
                rows, cols = slice(i, i + stride * out_h, stride), slice(j, j + stride * out_w, stride)
                dpadded[:, :, rows, cols] += dcolumns[:, i, j]
        return dpadded[:, :, pad : pad + height, pad : pad + width].transpose(1, 0, 2, 3).copy()

    def dw(g: Array) -> Array:
        return (per_filter(g) @ columns.T).reshape(w.shape)

    return np.ascontiguousarray(out), (dx, dw, lambda g: g.sum(axis=(0, 2, 3)))


# ------------------------------------------------------------------------ pooling

POOL_HEIGHT, POOL_WIDTH = Attr(COUNT, default=2), Attr(COUNT, default=2)
POOL_STRIDE = Attr(COUNT, default=2)
TIES = "ties: the whole gradient goes to the first maximum in row-major order"


@gate(
    "max_pool2d",
    1,
    pool_shape,
    pool_height=POOL_HEIGHT,
    pool_width=POOL_WIDTH,
    stride=POOL_STRIDE,
    kinks=TIES,
)
def max_pool2d(x: Array, *, pool_height: int, pool_width: int, stride: int) -> tuple[Array, tuple[VJP, ...]]:
    """The maximum of each window; dx = g at the window's (first) maximum, summed where windows overlap."""
    windows = _padded_windows(x, pool_height, pool_width, stride, 0)
    flat = windows.reshape(*windows.shape[:4], -1)  # (N, C, H', W', ph * pw): row-major inside the window
    winner = np.argmax(flat, axis=-1)

    def dx(g: Array) -> Array:
        routed = (winner[..., None] == np.arange(flat.shape[-1])) * g[..., None]
        return _scatter_windows(routed.reshape(windows.shape).astype(x.dtype, copy=False), x.shape, stride)

    return np.take_along_axis(flat, winner[..., None], axis=-1)[..., 0], (dx,)


@gate("avg_pool2d", 1, pool_shape, pool_height=POOL_HEIGHT, pool_width=POOL_WIDTH, stride=POOL_STRIDE)
def avg_pool2d(x: Array, *, pool_height: int, pool_width: int, stride: int) -> tuple[Array, tuple[VJP, ...]]:
    """The mean of each window; dx = g / (pool_height * pool_width) to every element of the window."""
    windows = _padded_windows(x, pool_height, pool_width, stride, 0)
    size = pool_height * pool_width

    def dx(g: Array) -> Array:
        shares = np.broadcast_to((g / size)[..., None, None], windows.shape)
        return _scatter_windows(shares, x.shape, stride)

    return windows.mean(axis=(4, 5)), (dx,)


# ------------------------------------------------------------------ normalizations


def _normalized(
    x: Array, gamma: Array, beta: Array, axes: tuple[int, ...], eps: float, scale: tuple[int, ...]
) -> tuple[Array, tuple[VJP, ...]]:
    """gamma * xhat + beta, xhat = (x - mean) / sqrt(var + eps) over ``axes``; gamma, beta shaped ``scale``.

    With m elements per statistic and dxhat = g * gamma:
    dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps) (the mean and the
    variance depend on x too: the two subtracted terms), dgamma = sum(g * xhat), dbeta = sum(g)
    over every axis but gamma's. dx sums to 0 over ``axes``; it is computed as d - mean(d), with
    d = (dxhat - xhat * mean(dxhat * xhat)) / sqrt(var + eps) (mean(xhat) = 0), so that a sum of
    it (a broadcast input's gradient) is as close to 0 as rounding allows.
    """
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    xhat = centred * inv_std
    g_scale = gamma.reshape(scale)
    summed = tuple(a for a in range(x.ndim) if scale[a] == 1)

    def dx(g: Array) -> Array:
        dxhat = g * g_scale
        d = inv_std * (dxhat - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
        return d - d.mean(axis=axes, keepdims=True)  # centred last: its sum over axes, 0, stays near 0

    def dgamma(g: Array) -> Array:
        return (g * xhat).sum(axis=summed).reshape(gamma.shape)

    def dbeta(g: Array) -> Array:
        return g.sum(axis=summed).reshape(beta.shape)

    return g_scale * xhat + beta.reshape(scale), (dx, dgamma, dbeta)


@gate("batchnorm", 3, rows_shape, eps=Attr(EPS, default=EPS_DEFAULT))
def batchnorm(x: Array, gamma: Array, beta: Array, *, eps: float) -> tuple[Array, tuple[VJP, ...]]:
    """Batch norm of (N, D) in training mode, each feature over the batch (VJPs: ``_normalized``)."""
    return _normalized(x, gamma, beta, (0,), eps, (1, x.shape[1]))


@gate("layernorm", 3, rows_shape, eps=Attr(EPS, default=EPS_DEFAULT))
def layernorm(x: Array, gamma: Array, beta: Array, *, eps: float) -> tuple[Array, tuple[VJP, ...]]:
    """Layer norm of (N, D): each row over its features, then gamma and beta per feature."""
    return _normalized(x, gamma, beta, (1,), eps, (1, x.shape[1]))


@gate("spatial_batchnorm", 3, channels_shape, eps=Attr(EPS, default=EPS_DEFAULT))
def spatial_batchnorm(x: Array, gamma: Array, beta: Array, *, eps: float) -> tuple[Array, tuple[VJP, ...]]:
    """Batch norm of (N, C, H, W) in training mode: each channel over N, H and W."""
    return _normalized(x, gamma, beta, (0, 2, 3), eps, (1, x.shape[1], 1, 1))


@gate("groupnorm", 3, groups_shape, G=Attr(COUNT), eps=Attr(EPS, default=EPS_DEFAULT))
def groupnorm(x: Array, gamma: Array, beta: Array, *, G: int, eps: float) -> tuple[Array, tuple[VJP, ...]]:
    """Group norm of (N, C, H, W): each image's channels in G contiguous groups, each group over its
    channels, H and W; gamma and beta per channel."""
    n, c, height, width = x.shape
    grouped = (n, G, c // G, height, width)
    out, (dx, dgamma, dbeta) = _normalized(
        x.reshape(grouped), gamma, beta, (2, 3, 4), eps, (1, G, c // G, 1, 1)
    )
    return out.reshape(x.shape), (
        lambda g: dx(g.reshape(grouped)).reshape(x.shape),
        lambda g: dgamma(g.reshape(grouped)),
        lambda g: dbeta(g.reshape(grouped)),
    )


# ------------------------------------------------------------------------- dropout


def dropout_mask(shape: Shape, p: float, seed: int) -> Array:
    """Which units dropout keeps: ``np.random.default_rng(seed).random(shape) >= p``.

    A documented draw, so the oracle computes the same mask with numpy on its own.
    """
    return np.random.default_rng(seed).random(shape) >= p


@gate("dropout", 1, dropout_shape, p=Attr(PROBABILITY), seed=Attr(OFFSET, default=0))
def dropout(x: Array, *, p: float, seed: int) -> tuple[Array, tuple[VJP, ...]]:
    """Inverted dropout: the units ``dropout_mask`` keeps, scaled by 1 / (1 - p), the others 0
    (p is the probability of dropping a unit); dx = g * mask / (1 - p)."""
    scale = (dropout_mask(x.shape, p, seed) / (1 - p)).astype(x.dtype)
    return x * scale, (lambda g: g * scale,)
