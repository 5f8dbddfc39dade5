"""The vision layers (``reference.layers``): ``conv2d``, ``max_pool2d``, ``avg_pool2d``, ``batchnorm``,
``layernorm``, ``spatial_batchnorm``, ``groupnorm`` and ``dropout``.

Each JAX function is written from the layer's documented meaning: the convolution is
``lax.conv_general_dilated`` (a cross-correlation, NCHW, OIHW), max pooling
``lax.reduce_window`` (which gives a tied window's gradient to its first maximum in
row-major order, as the engine does), the normalizations their textbook formula (biased
variance, training mode), dropout the documented mask: ``np.random.default_rng(seed)
.random(shape) >= p``, drawn here with numpy, independently of the engine's code.

Random graphs draw them on a small fixed vocabulary, because eager JAX compiles each
primitive once per shape: new images are (2, 2, 3, 3); filters come 2 at a time, in three
configurations (1 x 1; 3 x 3 with padding 1; 2 x 2 with stride 2); pooling windows are 2 x 2
with stride 2 or 1 (overlapping) or 1 x 2 with stride 1; dropout's p is one of 0.5, 0.1,
0.9 and 0, its seed 0, 1 or 2; eps is 0.1 or 1.0 (with the layers' default 1e-5, a
constant feature's gradient is its upstream gradient times 1/sqrt(eps), about 316, and a
float32 graph's rounding grows with it; the course check tests 1e-5 on its own). Lattice
(edge) values put ties in pooling windows and constant features under the normalizations;
the two p near 0 and 1 are in every mode's vocabulary (graphs are the same in default and
edge mode).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from numpy.lib.stride_tricks import sliding_window_view

from oracle.ops.base import Bounds, Builder, Interval, Op, Reject, Shape, declare, never_generic
from oracle.ops.rules import same_interval

IMAGES: tuple[Shape, ...] = ((2, 2, 3, 3),)  # new image inputs (N, C, H, W)
FILTERS = (2,)  # filters of a new weight input
KERNELS = {1: (1, 0), 3: (1, 1), 2: (2, 0)}  # kernel size -> (stride, pad), simplest first
POOLS = ((2, 2, 2), (2, 2, 1), (1, 2, 1))  # (pool_height, pool_width, stride), simplest first
DROP = (0.5, 0.1, 0.9, 0.0)  # dropout's p: near 0 and near 1 too
SEEDS = (0, 1, 2)
EPS = (0.1, 1.0)
EPS_DEFAULT = 1e-5  # the engine's default (reference.layers)


# ----------------------------------------------------------------- JAX functions


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


# --------------------------------------------------------------------- kink masks


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


# ------------------------------------------------------------------ drawing args


def _image(b: Builder, kink: bool, min_size: int = 1) -> Bounds:
    """A 4-D argument: an image value of the graph, or a new image input."""
    return b.partner(
        lambda v: len(v.shape) == 4 and min(v.shape[2:]) >= min_size and (v.generic or not kink), IMAGES
    )


def _per_channel(b: Builder, features: int) -> Bounds:
    return b.partner(lambda v: v.shape == (features,), [(features,)])


@dataclass(frozen=True)
class ConvArgs:
    """An image, filters (F, C, k, k) for its C channels (k from ``KERNELS``), one bias per filter."""

    arity: int = 3

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        x = _image(b, kink=False)
        c, size = x.shape[1], min(x.shape[2:])
        sizes = [k for k, (stride, pad) in KERNELS.items() if k <= size + 2 * pad]
        k, f = b.c.choice(sizes), b.c.choice(FILTERS)
        w = b.partner(lambda v: v.shape == (f, c, k, k), [(f, c, k, k)])
        return [x, w, _per_channel(b, f)]


@dataclass(frozen=True)
class ImageArgs:
    """An image (at least 2 x 2 for pooling), and with ``norm`` its per-channel gamma and beta."""

    arity: int = 1
    min_size: int = 1

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        x = _image(b, op.kinks is not None, self.min_size)
        if self.arity == 1:
            return [x]
        return [x, _per_channel(b, x.shape[1]), _per_channel(b, x.shape[1])]


@dataclass(frozen=True)
class RowsArgs:
    """(N, D) rows with at least ``least`` (N for batch norm, D for layer norm), gamma and beta (D,)."""

    axis: int
    least: int = 2
    arity: int = 3

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        def fits(v: Bounds) -> bool:
            return len(v.shape) == 2 and v.shape[self.axis] >= self.least

        x = b.pick(fits, 2, self.least if self.axis == 1 else 1)
        if not fits(x):  # a new input too small along the normalized axis
            raise Reject
        return [x, _per_channel(b, x.shape[1]), _per_channel(b, x.shape[1])]


@dataclass(frozen=True)
class AnyArg:
    arity: int = 1

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        return [b.pick(lambda v: True)]


# ------------------------------------------------------------------ drawing attrs


def conv_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    stride, pad = KERNELS[args[1].shape[2]]
    return {"stride": stride, "pad": pad}


def pool_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    height, width = args[0].shape[2:]
    ph, pw, stride = b.c.choice([p for p in POOLS if p[0] <= height and p[1] <= width])
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def norm_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    return {"eps": b.c.choice(EPS)}


def group_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    channels = args[0].shape[1]
    return {"G": b.c.choice([g for g in range(1, channels + 1) if channels % g == 0]), "eps": b.c.choice(EPS)}


def dropout_attrs(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    return {"p": b.c.choice(DROP), "seed": b.c.choice(SEEDS)}


# ------------------------------------------------------------ intervals and slopes


def _conv_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    x, w, b = args
    reach = math.prod(w.shape[1:]) * x.mag() * w.mag() + b.mag()  # C * k * k products and the bias
    return -reach, reach


def _conv_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    """An element of x meets every filter at most k * k times; w and b meet every output position."""
    x, w, _ = args
    positions = shape[0] * shape[2] * shape[3]
    return math.prod(w.shape) / w.shape[1] * w.mag(), positions * x.mag(), float(positions)


def _windows_per_element(attrs: Mapping[str, Any]) -> float:
    stride = attrs["stride"]
    return math.ceil(attrs["pool_height"] / stride) * math.ceil(attrs["pool_width"] / stride)


def _max_pool_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    return (_windows_per_element(attrs),)


def _avg_pool_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    return (_windows_per_element(attrs) / (attrs["pool_height"] * attrs["pool_width"]),)


def _group_size(x: Shape, name: str, attrs: Mapping[str, Any]) -> int:
    """How many elements each mean and variance is taken over."""
    if name == "batchnorm":
        return x[0]
    if name == "layernorm":
        return x[1]
    if name == "spatial_batchnorm":
        return x[0] * x[2] * x[3]
    return x[1] // attrs["G"] * x[2] * x[3]


def _norm_iv(name: str) -> Any:
    """|xhat| <= sqrt(m - 1) for m elements per statistic: gamma times that, plus beta."""

    def interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
        x, gamma, beta = args
        reach = gamma.mag() * math.sqrt(_group_size(x.shape, name, attrs) - 1) + beta.mag()
        return -reach, reach

    return interval


def _norm_slope(name: str) -> Any:
    """dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sqrt(var + eps), |dxhat| <= |gamma|,
    |xhat| <= sqrt(m - 1), mean |xhat| <= 1: at most |gamma| (m + 1) / sqrt(eps). dgamma sums g xhat,
    dbeta g, over the elements of one feature."""

    def slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
        x, gamma, _ = args
        m = _group_size(x.shape, name, attrs)
        per_feature = math.prod(x.shape) / x.shape[1]
        dx = gamma.mag() * (m + 1) / math.sqrt(attrs.get("eps", EPS_DEFAULT))
        return dx, per_feature * math.sqrt(max(m - 1, 1)), per_feature

    return slope


def _norm_generic(name: str) -> Any:
    """Generic with at least 3 elements per statistic: with 2, xhat is +-1 up to eps (ties in float32)."""

    def generic(args: Sequence[Bounds], shape: Shape) -> bool:
        smallest = {"batchnorm": shape[0], "layernorm": shape[-1]}.get(name)
        if smallest is None:  # group norm: at least one channel per group
            smallest = (shape[0] if name == "spatial_batchnorm" else 1) * shape[2] * shape[3]
        return smallest >= 3

    return generic


def _dropout_iv(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    scale = 1 / (1 - attrs["p"])
    return min(0.0, args[0].lo * scale), max(0.0, args[0].hi * scale)


# ------------------------------------------------------------------ declarations


def compiled(fn: Any, *attrs: str) -> Any:
    """``fn`` jitted, the attributes that decide shapes static: the campaign runs graphs eagerly,
    where every primitive of a layer would compile on its own for each new shape; jitted, a layer
    compiles once per shape and static attributes (its forward, and its backward), in the
    persistent compilation cache like the rest. ``eps`` stays an argument: static, each of its
    values compiled the norms again (measured: a fresh machine's default campaign 114 s with
    static eps)."""
    return jax.jit(fn, static_argnames=attrs)


POOL_ATTRS = ("pool_height", "pool_width", "stride")

declare(
    Op(
        "conv2d",
        compiled(conv2d, "stride", "pad"),
        ConvArgs(),
        _conv_iv,
        attrs=conv_attrs,
        slope=_conv_slope,
        scalar=False,
        layer=True,
    )
)
declare(
    Op(
        "max_pool2d",
        compiled(max_pool2d, *POOL_ATTRS),
        ImageArgs(min_size=2),
        same_interval,
        attrs=pool_attrs,
        slope=_max_pool_slope,
        generic=never_generic,  # overlapping windows share maxima: repeated elements
        kinks=tied_maxima,
        kinks_at="a tie among a window's maxima",
        scalar=False,
        layer=True,
    )
)
declare(
    Op(
        "avg_pool2d",
        compiled(avg_pool2d, *POOL_ATTRS),
        ImageArgs(min_size=2),
        same_interval,
        attrs=pool_attrs,
        slope=_avg_pool_slope,
        scalar=False,
        layer=True,
    )
)
for _name, _fn, _args in (
    ("batchnorm", batchnorm, RowsArgs(axis=0)),
    ("layernorm", layernorm, RowsArgs(axis=1)),
    ("spatial_batchnorm", spatial_batchnorm, ImageArgs(arity=3)),
    ("groupnorm", groupnorm, ImageArgs(arity=3)),
):
    declare(
        Op(
            _name,
            compiled(_fn, "G") if _name == "groupnorm" else compiled(_fn),
            _args,
            _norm_iv(_name),
            attrs=group_attrs if _name == "groupnorm" else norm_attrs,
            slope=_norm_slope(_name),
            generic=_norm_generic(_name),
            scalar=False,
            layer=True,
        )
    )
declare(
    Op(
        "dropout",
        dropout,  # eager: a jitted dropout would compile for every p and seed, an eager one per shape only
        AnyArg(),
        _dropout_iv,
        attrs=dropout_attrs,
        slope=lambda args, attrs, shape: (1 / (1 - attrs["p"]),),
        generic=never_generic,  # exact zeros where units are dropped
        scalar=False,
        layer=True,
    )
)
