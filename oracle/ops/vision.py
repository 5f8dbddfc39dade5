"""The vision layers (``reference.layers``): ``conv2d``, ``max_pool2d``, ``avg_pool2d``, ``batchnorm``,
``layernorm``, ``spatial_batchnorm``, ``groupnorm`` and ``dropout``.

Their JAX functions and kink masks are in ``oracle.ops.vision_jax``; this module declares
them as ops: how random graphs draw their arguments and attributes, and their interval and
slope rules.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oracle.core.lazy_jax import jitted
from oracle.ops.base import Bounds, Builder, Op, Reject, Shape, declare, never_generic
from oracle.ops.rules import same_interval
from oracle.ops.vision_jax import (
    avg_pool2d,
    batchnorm,
    conv2d,
    dropout,
    groupnorm,
    layernorm,
    max_pool2d,
    spatial_batchnorm,
    tied_maxima,
)
from oracle.ops.vision_rules import (
    avg_pool_slope,
    conv_iv,
    conv_slope,
    dropout_iv,
    max_pool_slope,
    norm_generic,
    norm_iv,
    norm_slope,
)

IMAGES: tuple[Shape, ...] = ((2, 2, 3, 3),)  # new image inputs (N, C, H, W)
FILTERS = (2,)  # filters of a new weight input
KERNELS = {1: (1, 0), 3: (1, 1), 2: (2, 0)}  # kernel size -> (stride, pad), simplest first
POOLS = ((2, 2, 2), (2, 2, 1), (1, 2, 1))  # (pool_height, pool_width, stride), simplest first
DROP = (0.5, 0.1, 0.9, 0.0)  # dropout's p: near 0 and near 1 too
SEEDS = (0, 1, 2)
EPS = (0.1, 1.0)


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


# ------------------------------------------------------------------ declarations


def compiled(fn: Any, *attrs: str) -> Any:
    """``fn`` jitted, the attributes that decide shapes static: the campaign runs graphs eagerly,
    where every primitive of a layer would compile on its own for each new shape; jitted, a layer
    compiles once per shape and static attributes (its forward, and its backward), in the
    persistent compilation cache like the rest. ``eps`` stays an argument: static, each of its
    values compiled the norms again (measured: a fresh machine's default campaign 114 s with
    static eps)."""
    return jitted(fn, static_argnames=attrs)  # on first use: importing the ops imports no JAX


POOL_ATTRS = ("pool_height", "pool_width", "stride")

declare(
    Op(
        "conv2d",
        compiled(conv2d, "stride", "pad"),
        ConvArgs(),
        conv_iv,
        attrs=conv_attrs,
        slope=conv_slope,
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
        slope=max_pool_slope,
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
        slope=avg_pool_slope,
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
            norm_iv(_name),
            attrs=group_attrs if _name == "groupnorm" else norm_attrs,
            slope=norm_slope(_name),
            generic=norm_generic(_name),
            scalar=False,
            layer=True,
        )
    )
declare(
    Op(
        "dropout",
        dropout,  # eager: a jitted dropout would compile for every p and seed, an eager one per shape only
        AnyArg(),
        dropout_iv,
        attrs=dropout_attrs,
        slope=lambda args, attrs, shape: (1 / (1 - attrs["p"]),),
        generic=never_generic,  # exact zeros where units are dropped
        scalar=False,
        layer=True,
    )
)
