"""How the vision targets draw their inputs, random and at the edges, and where their kinks are.

Edge inputs (pooling's tied windows are drawn in ``vision_conv``, which knows the windows):

- the norms: one feature (batch norm: a column; spatial batch norm: a channel; layer
  norm: a row; group norm: one image's group) constant, so its variance is exactly 0 and
  only eps keeps the normalization finite; the constants are integers, so every order of
  summation computes their mean exactly;
- the sandwiches with a ReLU: a pre-activation of exactly 0. The inputs are dyadic
  (multiples of 1/1024 and 1/8), so products and sums are exact in float32 and float64
  whatever the order; the first bias cancels one pre-activation exactly, and the other
  biases sit off the lattice, so there is no other zero. No input element then controls
  more than one kink (the per-element subgradient test assumes that), and the columns
  or filters without the kink are checked exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from oracle.course.judging.samplers import normal

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, Sequence[Shape]], list[np.ndarray]]


# --------------------------------------------------------------------- random inputs


def norm_inputs(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """x off-centre and not of unit variance, gamma, beta; then running mean and (positive) variance."""
    x, gamma, beta, *running = normal(rng, shapes)
    values = [2.0 * x + 0.5, 1.0 + 0.5 * gamma, beta]
    if running:
        mean, var = running
        values += [mean, rng.uniform(0.5, 2.0, var.shape)]
    return values


# ------------------------------------------------------------ a constant feature


def with_constant(
    where: Callable[[Shape], tuple[slice | int, ...]], inputs: Sampler = norm_inputs
) -> Sampler:
    """``inputs``, with the part of x that ``where(x.shape)`` indexes set to one integer."""

    def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
        values = inputs(rng, shapes)
        values[0][where(values[0].shape)] = float(rng.integers(-2, 3))
        return values

    return sample


def feature_column(shape: Shape) -> tuple[slice | int, ...]:
    return (slice(None), 0)


def first_row(shape: Shape) -> tuple[slice | int, ...]:
    return (0,)


def first_group(shape: Shape) -> tuple[slice | int, ...]:
    """The first image's first two channels: a whole group when groups hold two channels."""
    return (0, slice(0, 2))


# -------------------------------------------------------- exact zeros before a ReLU


def _dyadic(rng: np.random.Generator, shape: Shape, scale: int) -> np.ndarray:
    """Multiples of 1/scale in [-2, 2): exact in float32 and float64, and products of them too."""
    return rng.integers(-2 * scale, 2 * scale, shape) / scale


def conv_numpy(x: np.ndarray, w: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """The convolution without bias, in float64 (the judge's own, for kink masks and edge inputs)."""
    n, _, height, width = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (height + 2 * pad - hh) // stride + 1, (width + 2 * pad - ww) // stride + 1
    out = np.zeros((n, f, out_h, out_w))
    for i in range(hh):
        for j in range(ww):
            patch = xp[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride]
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return out


def affine_zeros(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """x, w, b with the pre-activation x @ w + b exactly 0 in the first row and column.

    Only the first column holds a kink: the other columns' gradients are checked exactly.
    """
    x_shape, w_shape, b_shape = shapes
    x, w = _dyadic(rng, x_shape, 1024), _dyadic(rng, w_shape, 8)
    pre = x.reshape(x_shape[0], -1) @ w
    b = _dyadic(rng, b_shape, 1024) + 1 / 16384  # pre is on a lattice of 1/8192: no other zero
    b[0] = -pre[0, 0]
    return [x, w, b]


def conv_zeros(stride: int, pad: int) -> Sampler:
    """x, w, b with the first filter's output exactly 0 at the first image's top left corner.

    Only the first filter holds a kink: the other filters' gradients are checked exactly.
    """

    def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
        x_shape, w_shape, b_shape = shapes
        x, w = _dyadic(rng, x_shape, 1024), _dyadic(rng, w_shape, 8)
        b = _dyadic(rng, b_shape, 1024) + 1 / 16384  # outputs are on a lattice of 1/8192: no other zero
        b[0] = -conv_numpy(x, w, stride, pad)[0, 0, 0, 0]
        return [x, w, b]

    return sample


# ------------------------------------------------------------------------- kinks


def affine_relu_kinks(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """The elements that feed a pre-activation of exactly 0: its row of x, its column of w, its b."""
    zero = (x.reshape(x.shape[0], -1).astype(np.float64) @ w + b) == 0
    rows, cols = zero.any(axis=1), zero.any(axis=0)
    x_mask = np.broadcast_to(rows.reshape(-1, *([1] * (x.ndim - 1))), x.shape)
    return [x_mask, np.broadcast_to(cols, w.shape), cols]


def conv_relu_kinks(stride: int, pad: int) -> Callable[..., list[np.ndarray]]:
    """The elements that feed a conv output of exactly 0: its receptive field, its filter, its bias."""

    def kinks(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        zero = (conv_numpy(x, w, stride, pad) + b[None, :, None, None]) == 0
        _, _, hh, ww = w.shape
        field = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=bool)
        hit = zero.any(axis=1)  # (N, H', W'): some filter's output is 0 there
        for i in range(hh):
            for j in range(ww):
                rows = slice(i, i + stride * hit.shape[1], stride)
                cols = slice(j, j + stride * hit.shape[2], stride)
                field[:, :, rows, cols] |= hit[:, None]
        x_mask = field[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
        filters = zero.any(axis=(0, 2, 3))
        return [x_mask, np.broadcast_to(filters[:, None, None, None], w.shape), filters]

    return kinks
