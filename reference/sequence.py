"""The gates recurrent networks are made of: gather rows, slice and join along an axis, a masked loss.

The course's recurrent layers are composites of these and of the table's elementwise
gates, as the lecture builds the sigmoid from smaller gates: an RNN step is
``(x @ Wx + h @ Wh + b).tanh()``; an LSTM step slices its four gate blocks out of one
affine output (``a.slice(1, 0, H).sigmoid()``: along axis 1, H columns from column 0)
and joins next_h and next_c with ``concat``; a captioning model looks words up with
``embedding`` and scores every time step with ``temporal_softmax_loss``. Each gate is
declared like those of ``reference.gates``, in the same table (``reference`` imports this
module).

``embedding`` is the one gate whose backward is not a plain product: a word that appears
several times in the indices gets the sum of their upstream gradients (a scatter-add,
``np.add.at``); ``dW[indices] += g`` would keep only one of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from reference.checks import LABELS, MAX_DIMS, Array, Attr, AttrType, Shape, int_tuple, is_int
from reference.gates import VJP, gate

# ------------------------------------------------------------ attribute types


def _integer(value: Any) -> int:
    if is_int(value):
        return int(value)
    raise ValueError(f"must be an integer, got {value!r}")


def _indices(value: Any) -> tuple[Any, ...] | int:
    """A nested list of non-negative integers (one level per dimension) as nested tuples."""
    if is_int(value):
        if int(value) < 0:
            raise ValueError(f"must hold non-negative integers, got {value!r}")
        return int(value)
    array = np.asarray(value, dtype=object) if isinstance(value, list | tuple) else None
    if array is None or array.ndim > MAX_DIMS or array.size == 0:
        raise ValueError(
            f"must be a non-empty nested list of integers (one level per dimension), got {value!r}"
        )
    flat = int_tuple(list(array.reshape(-1)))
    if flat is None or any(i < 0 for i in flat):
        raise ValueError(f"must be a nested list of non-negative integers, got {value!r}")
    return _nested(np.array(flat, dtype=np.int64).reshape(array.shape))


def _nested(array: np.ndarray) -> tuple[Any, ...]:
    return tuple(_nested(a) if a.ndim else int(a) for a in array)


def _mask(value: Any) -> tuple[bool, ...]:
    if isinstance(value, list | tuple) and all(isinstance(v, bool | np.bool_) for v in value):
        return tuple(bool(v) for v in value)
    raise ValueError(f"must be a list of true/false, got {value!r}")


INDEX = AttrType("integer", _integer)  # an axis (negative counts from the end) or a position
INDICES = AttrType("indices", _indices)  # rows to gather: a nested list of integers, any shape
MASK = AttrType("mask", _mask)  # one true/false per position: which ones count

# ------------------------------------------------------------------ shape rules


def _axis(shape: Shape, axis: int) -> int:
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of range for an input of shape {list(shape)}")
    return axis % len(shape)


def embedding_shape(W: Shape, *, indices: Any) -> Shape:
    """W of shape (V, D), indices of any shape with values in [0, V): indices' shape + (D,)."""
    if len(W) != 2:
        raise ValueError(f"the table must be 2-D (V, D), got shape {list(W)}")
    index = np.asarray(indices, dtype=np.int64)
    if index.size and int(index.max()) >= W[0]:
        raise ValueError(f"indices must lie in [0, {W[0]}), got {int(index.max())}")
    return (*index.shape, W[1])


def slice_shape(x: Shape, *, axis: int, start: int, size: int) -> Shape:
    """``size`` elements from ``start`` along ``axis``, within the axis (start >= 0, size >= 1)."""
    k = _axis(x, axis)
    if not (start >= 0 and size >= 1 and start + size <= x[k]):
        raise ValueError(
            f"needs 0 <= start, 1 <= size and start + size <= {x[k]} along axis {axis}, "
            f"got start {start}, size {size}"
        )
    return (*x[:k], size, *x[k + 1 :])


def concat_shape(x: Shape, y: Shape, *, axis: int) -> Shape:
    """x and y joined along ``axis``: the same shape but along it."""
    if len(x) != len(y) or not x:
        raise ValueError(
            f"needs two inputs of the same rank (at least 1), got shapes {list(x)} and {list(y)}"
        )
    k = _axis(x, axis)
    if x[:k] + x[k + 1 :] != y[:k] + y[k + 1 :]:
        raise ValueError(f"shapes {list(x)} and {list(y)} differ off axis {axis}")
    return (*x[:k], x[k] + y[k], *x[k + 1 :])


def temporal_loss_shape(scores: Shape, *, labels: Sequence[int], mask: Sequence[bool]) -> Shape:
    """Scores (N, ..., V) with one label in [0, V) and one mask entry per position (row-major): a scalar."""
    if len(scores) < 2:
        raise ValueError(f"scores must be (N, ..., V), at least 2-D, got shape {list(scores)}")
    positions = math.prod(scores[:-1])
    for name, given in (("labels", labels), ("mask", mask)):
        if len(given) != positions:
            raise ValueError(
                f"{name}: expected {positions} (one per position of {list(scores[:-1])}), got {len(given)}"
            )
    if any(not 0 <= label < scores[-1] for label in labels):
        raise ValueError(f"labels must lie in [0, {scores[-1]}), got {list(labels)}")
    return ()


# ---------------------------------------------------------------------- gates


@gate("embedding", 1, embedding_shape, indices=Attr(INDICES))
def embedding(W: Array, *, indices: Any) -> tuple[Array, tuple[VJP, ...]]:
    """W[indices], rows of a table; dW = g's rows added back at their indices (a repeated word: both)."""
    index = np.asarray(indices, dtype=np.intp)

    def dW(g: Array) -> Array:
        grad = np.zeros_like(W)
        np.add.at(grad, index, g)  # repeated indices accumulate; grad[index] += g would not
        return grad

    return W[index], (dW,)


@gate("slice", 1, slice_shape, axis=Attr(INDEX), start=Attr(INDEX), size=Attr(INDEX))
def slice_(x: Array, *, axis: int, start: int, size: int) -> tuple[Array, tuple[VJP, ...]]:
    """x[start:start + size] along axis; dx = g in its place, 0 elsewhere."""
    where = tuple(slice(start, start + size) if k == axis % x.ndim else slice(None) for k in range(x.ndim))

    def dx(g: Array) -> Array:
        grad = np.zeros_like(x)
        grad[where] = g
        return grad

    return x[where].copy(), (dx,)


@gate("concat", 2, concat_shape, axis=Attr(INDEX, default=0))
def concat(x: Array, y: Array, *, axis: int) -> tuple[Array, tuple[VJP, ...]]:
    """x and y joined along axis; dx, dy = g split where x ends."""
    k = axis % x.ndim
    cut = x.shape[k]
    return np.concatenate([x, y], axis=k), (
        lambda g: np.take(g, range(cut), axis=k),
        lambda g: np.take(g, range(cut, g.shape[k]), axis=k),
    )


@gate("temporal_softmax_loss", 1, temporal_loss_shape, labels=Attr(LABELS), mask=Attr(MASK))
def temporal_softmax_loss(
    scores: Array, *, labels: Sequence[int], mask: Sequence[bool]
) -> tuple[Array, tuple[VJP, ...]]:
    """Cross-entropy over the last axis, summed where kept, over N; ds = g * keep * (p - onehot(y)) / N."""
    n, classes = scores.shape[0], scores.shape[-1]
    flat = scores.reshape(-1, classes)
    rows, y = np.arange(flat.shape[0]), np.asarray(labels)
    keep = np.asarray(mask, dtype=scores.dtype)
    shifted = flat - flat.max(axis=1, keepdims=True)  # shifting by the row max keeps exp finite
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dscores *= keep[:, None]  # masked positions get no gradient
    loss = -(keep * log_probs[rows, y]).sum() / n
    return np.asarray(loss, dtype=scores.dtype), (lambda g: (g * dscores / n).reshape(scores.shape),)
