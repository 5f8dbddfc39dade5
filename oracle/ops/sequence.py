"""The ops recurrent layers are made of (``reference.sequence``): ``embedding``, ``slice``,
``concat`` and ``temporal_softmax_loss``.

Random graphs draw them with a small shape vocabulary: an embedding looks up 3 indices,
or 2 x 3 (which makes the only rank-3 values, the loss's (N, T, V) scores); a slice keeps
a run of one axis; a concat joins a value with one of its own shape, along an axis of
size 1 or 2. None has a kink:
gathering, slicing and joining are linear, the loss is smooth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.ops.base import Bounds, Builder, Interval, Op, Reject, Shape, declare, never_generic
from oracle.ops.draw import One
from oracle.ops.rules import constant_slope, same_interval

INDEX_SHAPES: tuple[Shape, ...] = ((3,), (2, 3))  # embedding lookups, simplest first
# A join stays within the vocabulary's sizes of a dimension (oracle.strategies.vocab.DIMS) and
# off images: every new shape is compiled again by eager JAX for each primitive that meets it
# (joins to 6 and 8 and of images were ~100 of 1,700 compilations in 400 default graphs).
JOINED_MAX, JOINED_RANK = 4, 3


def _embedding(W: jax.Array, indices: Any) -> jax.Array:
    return W[jnp.asarray(indices)]


def _slice(x: jax.Array, axis: int, start: int, size: int) -> jax.Array:
    return jax.lax.slice_in_dim(x, start, start + size, axis=axis % x.ndim)


def _concat(x: jax.Array, y: jax.Array, axis: int = 0) -> jax.Array:
    return jnp.concatenate([x, y], axis=axis)


def _temporal_softmax_loss(scores: jax.Array, labels: Sequence[int], mask: Sequence[bool]) -> jax.Array:
    """Cross-entropy over the last axis, summed over the kept positions, divided by N."""
    log_probs = jax.nn.log_softmax(jnp.reshape(scores, (-1, scores.shape[-1])), axis=1)
    picked = log_probs[jnp.arange(log_probs.shape[0]), jnp.asarray(labels)]
    return -jnp.sum(jnp.where(jnp.asarray(mask), picked, 0.0)) / scores.shape[0]


# ------------------------------------------------------------------ drawing


def _indices(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    """Row indices of the table, of one of ``INDEX_SHAPES``: with a handful of rows, words repeat."""
    rows = args[0].shape[0]
    shape = b.c.choice(INDEX_SHAPES)
    flat = [b.c.integer(0, rows - 1) for _ in range(math.prod(shape))]
    return {"indices": np.array(flat).reshape(shape).tolist()}


def _slicing(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    """An axis of size >= 2 and a run of it (``size`` elements from ``start``), not all of it."""
    shape = args[0].shape
    axis = b.c.choice([k for k, d in enumerate(shape) if d >= 2])
    start = b.c.integer(0, shape[axis] - 1)
    size = b.c.integer(1, shape[axis] - start - (start == 0))
    return {"axis": axis, "start": start, "size": size}


def _joinable(shape: Shape) -> list[int]:
    return [k for k, d in enumerate(shape) if 2 * d <= JOINED_MAX]


def _axis(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    axes = _joinable(args[0].shape)
    if not axes:  # a new input of a shape drawn before its join was known
        raise Reject
    return {"axis": b.c.choice(axes)}


def _labels_and_mask(b: Builder, args: Sequence[Bounds]) -> dict[str, Any]:
    """A label per position of (N, ..., V) scores, and a mask that keeps the first position (at least)."""
    *positions, classes = args[0].shape
    count = math.prod(positions)
    labels = [b.c.integer(0, classes - 1) for _ in range(count)]
    mask = [True] + [not b.c.boolean() for _ in range(count - 1)]  # the simplest: keep everything
    return {"labels": labels, "mask": mask}


@dataclass(frozen=True)
class Sliceable:
    """One argument with an axis of size >= 2."""

    arity: int = 1

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        return [b.pick(lambda v: any(d >= 2 for d in v.shape), min_rank=1, min_last=2)]


@dataclass(frozen=True)
class SameShapePair:
    """A value of rank 1 to ``JOINED_RANK`` with an axis that can double within ``JOINED_MAX``,
    and a partner of its shape (an existing value or a new input)."""

    arity: int = 2

    def __call__(self, b: Builder, op: Op) -> list[Bounds]:
        a = b.pick(lambda v: 1 <= len(v.shape) <= JOINED_RANK and bool(_joinable(v.shape)), min_rank=1)
        return [a, b.partner(lambda v: v.shape == a.shape, [a.shape])]


# -------------------------------------------------------------- intervals, slopes


def _joined_interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    return min(a.lo for a in args), max(a.hi for a in args)


def _loss_interval(args: Sequence[Bounds], attrs: Mapping[str, Any]) -> Interval:
    """Each kept position adds at most log V + (hi - lo); there are T = positions / N per row."""
    a = args[0]
    steps = math.prod(a.shape[1:-1])
    return 0.0, steps * (math.log(a.shape[-1]) + (a.hi - a.lo))


def _embedding_slope(args: Sequence[Bounds], attrs: Mapping[str, Any], shape: Shape) -> tuple[float, ...]:
    """A row collects the upstream gradient of every place it was looked up at."""
    counts = np.unique(np.asarray(attrs["indices"]).reshape(-1), return_counts=True)[1]
    return (float(counts.max()),)


declare(
    Op(
        "embedding",
        _embedding,
        One(rank=(2, 2)),
        same_interval,
        attrs=_indices,
        slope=_embedding_slope,
        generic=never_generic,  # a word looked up twice gives two equal rows
        scalar=False,
        layer=True,
    )
)
declare(
    Op("slice", _slice, Sliceable(), same_interval, attrs=_slicing, slope=constant_slope(1.0), scalar=False)
)
declare(
    Op(
        "concat",
        _concat,
        SameShapePair(),
        _joined_interval,
        attrs=_axis,
        slope=constant_slope(1.0, 1.0),
        scalar=False,
    )
)
declare(
    Op(
        "temporal_softmax_loss",
        _temporal_softmax_loss,
        One(rank=(2, 3), last=2),
        _loss_interval,
        attrs=_labels_and_mask,
        slope=constant_slope(1.0),  # |p - onehot(y)| / N, 0 where masked
        scalar=False,
        layer=True,
    )
)
