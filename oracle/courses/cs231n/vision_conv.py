"""The course's naive convolution and max pooling layers (``conv_forward_naive``, ``max_pool_forward_naive``).

Pooling ties. Where a window holds several equal maxima, the course's naive layer (an
``np.argmax``) gives the whole gradient to the first one in row-major order, which is
also JAX's convention for ``lax.reduce_window``; the course's fast layer splits it
equally; any share that sums to the upstream gradient is a valid subgradient, while
giving all of it to every tied element (a mask ``window == max``) is not. ``adapt``
reads the convention off the student's gradient at tied windows whose winners no other
window covers (first, last, or equal shares) and has the reference use it, so every
valid common convention matches, and a gradient that fits none is a mismatch, but for the
mask ``window == max``: it differs only at ties, and is a ``kink`` whose detail says why it
is no subgradient there (``PoolingReference``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.course.judging.bugs import Bug, Suspect, returns, same, wrong_axes
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cs231n import vision_jax as vj
from oracle.courses.cs231n.calls_vision import CONV, POOL, params_call
from oracle.courses.cs231n.vision_samplers import Shape

# ------------------------------------------------------------------- convolution


def _padding_kept(judged: Suspect, dx: np.ndarray) -> bool:
    pad = judged.settings["pad"]
    expected = judged.jax.grads["x"]
    padded = (*expected.shape[:2], expected.shape[2] + 2 * pad, expected.shape[3] + 2 * pad)
    return pad > 0 and dx.shape == padded and same(dx[:, :, pad:-pad, pad:-pad], expected, judged)


def _dout(judged: Suspect) -> np.ndarray:
    assert judged.upstream is not None
    return judged.upstream.astype(np.float64)


def _conv_overwrites(judged: Suspect) -> np.ndarray:
    """dx when each output position's share is assigned (``=``) to its receptive field in the padded
    dx, output positions in row-major order: where fields overlap, the later one's is all that is left."""
    x, w = (v.astype(np.float64) for v in judged.inputs[:2])
    stride, pad = judged.settings["stride"], judged.settings["pad"]
    dout = _dout(judged)
    height, width = w.shape[2:]
    dx = np.zeros((*x.shape[:2], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad))
    for i, j in np.ndindex(*dout.shape[2:]):
        field = (
            slice(None),
            slice(None),
            slice(i * stride, i * stride + height),
            slice(j * stride, j * stride + width),
        )
        dx[field] = np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    return dx[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]


declare(
    Reference(
        "conv_naive",
        LAYER,
        vj.conv,
        ("x", "w", "b"),
        (((2, 3, 5, 5), (3, 3, 3, 3), (3,)), ((2, 3, 5, 6), (2, 3, 3, 2), (2,))),
        normal,
        call=params_call("conv_forward_naive", "conv_backward_naive", (CONV,)),
        names=("conv_forward_naive", "conv_backward_naive"),
        settings=({"stride": 1, "pad": 1}, {"stride": 2, "pad": 1}),
        bugs=(
            Bug(
                "dx keeps the padding: crop pad rows and columns from each side of dx_pad", "x", _padding_kept
            ),
            wrong_axes("b", "db summed over the wrong axes (sum dout over N, H and W)", _dout, (0, 2, 3)),
            Bug(
                "where receptive fields overlap, a later output position overwrites what an earlier one "
                "gave dx (dx_pad[...] = instead of +=)",
                "x",
                returns(_conv_overwrites),
            ),
        ),
    )
)


# ------------------------------------------------------------------- max pooling


POOL_CASES: tuple[tuple[Shape, dict[str, int]], ...] = (  # (x's shape, pool_param), one per case
    ((2, 3, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2}),
    ((2, 2, 5, 5), {"pool_height": 3, "pool_width": 3, "stride": 2}),  # windows overlap on row and column 2
)


def _windows(settings: Mapping[str, Any], height: int, width: int) -> list[tuple[slice, slice]]:
    """Every pooling window's rows and columns, in the order the course's loops visit them."""
    ph, pw, stride = settings["pool_height"], settings["pool_width"], settings["stride"]
    return [
        (slice(i, i + ph), slice(j, j + pw))
        for i in range(0, height - ph + 1, stride)
        for j in range(0, width - pw + 1, stride)
    ]


def _coverage(settings: Mapping[str, Any], height: int, width: int) -> np.ndarray:
    """How many windows cover each element."""
    covered = np.zeros((height, width), dtype=int)
    for rows, cols in _windows(settings, height, width):
        covered[rows, cols] += 1
    return covered


def _own(settings: Mapping[str, Any], height: int, width: int) -> list[tuple[slice, slice, np.ndarray]]:
    """Each window, and which of its elements no other window covers."""
    covered = _coverage(settings, height, width)
    return [(rows, cols, covered[rows, cols] == 1) for rows, cols in _windows(settings, height, width)]


def shared_maxima(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Normal values, 1.5 higher where windows overlap: maxima that two windows share are common, ties not."""
    (shape,) = shapes
    shared = _coverage(dict(POOL_CASES)[shape], *shape[2:]) > 1
    return [rng.standard_normal(shape) + 1.5 * shared]


def tied_windows(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Normal values, then in every window two or three equal maxima, placed where no other window reaches."""
    (shape,) = shapes
    settings = dict(POOL_CASES)[shape]
    x = rng.standard_normal(shape)
    for rows, cols, own in _own(settings, *shape[2:]):
        spots = np.argwhere(own)
        for n, c in np.ndindex(*shape[:2]):
            k = min(len(spots), int(rng.integers(2, 4)))
            patch = x[n, c, rows, cols]
            top = patch.max() + 0.5
            for r, s in spots[rng.choice(len(spots), k, replace=False)]:
                patch[r, s] = top
    return [x]


def tie_convention(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """``adapt``: the student's tie convention (first, last or split) read off tied windows, else first."""
    x = np.asarray(inputs[0])
    dx, _ = as_numbers(student.grads.get("x"), "dx")
    if dx is None or dx.shape != x.shape:
        return settings
    seen = set()
    for rows, cols, own in _own(settings, *x.shape[2:]):
        patch, grad = x[:, :, rows, cols], dx[:, :, rows, cols]
        for n, c in np.ndindex(*x.shape[:2]):
            winners = patch[n, c] == patch[n, c].max()
            if winners.sum() < 2 or (winners & ~own).any():  # no tie, or a winner that other windows share
                continue
            shares = grad[n, c][winners]  # row-major: first to last
            if not shares.any():
                continue
            nonzero = np.flatnonzero(shares)
            if list(nonzero) == [0]:
                seen.add("first")
            elif list(nonzero) == [shares.size - 1]:
                seen.add("last")
            elif nonzero.size == shares.size and np.all(shares == shares[0]):
                seen.add("split")
            else:
                seen.add("other")
    ties = seen.pop() if len(seen) == 1 and "other" not in seen else "first"
    return {**settings, "ties": ties}


def _every_tied(overwrite: bool) -> Any:
    """dx when each window's gradient goes to all its maxima (``+=``, or ``=`` when ``overwrite``)."""

    def value(judged: Suspect) -> np.ndarray:
        x = judged.inputs[0].astype(np.float64)
        dout = _dout(judged)
        dx = np.zeros_like(x)
        for k, (rows, cols) in enumerate(_windows(judged.settings, *x.shape[2:])):
            i, j = divmod(k, dout.shape[3])
            patch = x[:, :, rows, cols]
            routed = (patch == patch.max(axis=(2, 3), keepdims=True)) * dout[:, :, i, j][:, :, None, None]
            if overwrite:
                dx[:, :, rows, cols] = routed
            else:
                dx[:, :, rows, cols] += routed
        return dx

    return value


def _overwrites_at_the_maximum(judged: Suspect) -> np.ndarray:
    """dx when each window's gradient is assigned (``=``) to its first maximum, found by argmax:
    a maximum two overlapping windows share keeps only the later window's gradient."""
    x = judged.inputs[0].astype(np.float64)
    dout = _dout(judged)
    dx = np.zeros_like(x)
    n, c = np.indices(x.shape[:2])
    for k, (rows, cols) in enumerate(_windows(judged.settings, *x.shape[2:])):
        i, j = divmod(k, dout.shape[3])
        patch = x[:, :, rows, cols]
        r, s = np.unravel_index(patch.reshape(*patch.shape[:2], -1).argmax(axis=2), patch.shape[2:])
        dx[n, c, rows.start + r, cols.start + s] = dout[:, :, i, j]
    return dx


OVERWRITES = "where windows overlap, a later window overwrites what an earlier one routed (= instead of +=)"
EVERY_TIED = (
    "differs only at windows with tied maxima, where your gradient goes whole to every tied maximum "
    "(a mask window == max): there the shares add up to k times dout for k ties, so it is no "
    "subgradient of the maximum (one that is gives the maxima shares adding up to dout: all to one "
    "of them, or split equally); random inputs never tie, so it works in training"
)


declare(
    Reference(
        "max_pool_naive",
        LAYER,
        vj.max_pool,
        ("x",),
        tuple((shape,) for shape, _ in POOL_CASES),
        shared_maxima,
        edge=tied_windows,
        edge_text="two or three tied maxima in every window",
        call=params_call("max_pool_forward_naive", "max_pool_backward_naive", (POOL,)),
        names=("max_pool_forward_naive", "max_pool_backward_naive"),
        settings=tuple(settings for _, settings in POOL_CASES),
        adapt=tie_convention,
        bugs=(
            # every tied maximum gets the whole gradient: a choice at the pooling's kinks, named
            Bug(EVERY_TIED, "x", returns(_every_tied(overwrite=False)), kink=True),
            Bug(OVERWRITES, "x", returns(_every_tied(overwrite=True))),
            Bug(OVERWRITES, "x", returns(_overwrites_at_the_maximum)),  # dx[argmax] = dout (2020 solution)
        ),
    )
)
