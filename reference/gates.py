"""The gate table: every gate's forward and its hand-written backward, side by side.

A gate is a function ``forward(*inputs, **attrs) -> (output, vjps)``. ``vjps`` holds
one function per input; each takes the upstream gradient ``g`` (the gradient of
the final output with respect to this gate's output) and returns that input's
share: the *local* gradient multiplied by ``g`` (chain rule). With arrays that
product is a vector-Jacobian product; the Jacobian itself is never built.

Two things the engine does for every gate, so the rules below stay short:
- where an input was broadcast in forward, its gradient is summed back to the
  input's shape (``engine.unbroadcast``);
- an input that needs no gradient never has its rule called.

Each gate also states the shape of its output from the shapes of its inputs
(``shape``), so a graph can be checked before anything runs.

Conventions at non-differentiable points (the README has them beside JAX's):
``maximum``/``minimum`` route the whole gradient to the first input on a tie,
``max`` to the first winner, ``relu`` and ``abs`` give 0 at 0, and ``svm_loss``
counts a margin of exactly 0 as inactive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray
Shape = tuple[int, ...]
VJP = Callable[[Array], Array]
Forward = Callable[..., tuple[Array, tuple[VJP, ...]]]
ShapeRule = Callable[..., Shape]


@dataclass(frozen=True)
class Gate:
    name: str
    arity: int
    forward: Forward
    shape: ShapeRule
    attrs: Mapping[str, Any] = field(default_factory=dict)  # name -> default (REQUIRED if none)
    doc: str = ""


REQUIRED = object()  # marks an attribute without a default
GATES: dict[str, Gate] = {}


def gate(name: str, arity: int, shape: ShapeRule, /, **attrs: Any) -> Callable[[Forward], Forward]:
    """Register ``forward`` under ``name``: adding a gate means adding one rule."""

    def register(forward: Forward) -> Forward:
        GATES[name] = Gate(name, arity, forward, shape, attrs, (forward.__doc__ or "").strip())
        return forward

    return register


# ---------------------------------------------------------------- shape rules


def same(x: Shape, **_: Any) -> Shape:
    return x


def broadcast(x: Shape, y: Shape) -> Shape:
    try:
        return tuple(np.broadcast_shapes(x, y))
    except ValueError:
        raise ValueError(f"shapes {list(x)} and {list(y)} do not broadcast") from None


def reduced(x: Shape, *, axis: int | None, keepdims: bool) -> Shape:
    if axis is None:
        return (1,) * len(x) if keepdims else ()
    if not -len(x) <= axis < len(x):
        raise ValueError(f"axis {axis} is out of range for an input of shape {list(x)}")
    axis %= len(x)
    return x[:axis] + ((1,) if keepdims else ()) + x[axis + 1 :]


def matmul_shape(x: Shape, y: Shape) -> Shape:
    if not (1 <= len(x) <= 2 and 1 <= len(y) <= 2):
        raise ValueError(f"matmul takes 1-D or 2-D inputs, got shapes {list(x)} and {list(y)}")
    if x[-1] != y[0]:
        raise ValueError(f"matmul: inner dimensions differ, shapes {list(x)} and {list(y)}")
    return x[:-1] + y[1:]


def transpose_shape(x: Shape) -> Shape:
    if len(x) != 2:
        raise ValueError(f"transpose takes a 2-D input, got shape {list(x)}")
    return (x[1], x[0])


def reshape_shape(x: Shape, *, shape: Sequence[int]) -> Shape:
    size = int(np.prod(x))
    known = int(np.prod([d for d in shape if d != -1]))
    if list(shape).count(-1) > 1 or any(d < -1 or d == 0 for d in shape):
        raise ValueError(f"reshape: bad target shape {list(shape)}")
    if -1 in shape:
        if size % known:
            raise ValueError(f"reshape: cannot reshape {list(x)} into {list(shape)}")
        return tuple(size // known if d == -1 else d for d in shape)
    if known != size:
        raise ValueError(f"reshape: cannot reshape {list(x)} into {list(shape)}")
    return tuple(shape)


def loss_shape(scores: Shape, *, labels: Sequence[int]) -> Shape:
    if len(scores) != 2:
        raise ValueError(f"scores must be 2-D (N, C), got shape {list(scores)}")
    n, c = scores
    if len(labels) != n:
        raise ValueError(f"labels: expected {n} labels for scores of shape {list(scores)}, got {len(labels)}")
    if any(not 0 <= label < c for label in labels):
        raise ValueError(f"labels must lie in [0, {c}), got {list(labels)}")
    return ()


# ------------------------------------------------------- two inputs, broadcast


@gate("add", 2, broadcast)
def add(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Add distributes: each input gets the upstream gradient unchanged."""
    return x + y, (lambda g: g, lambda g: g)


@gate("sub", 2, broadcast)
def sub(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    return x - y, (lambda g: g, lambda g: -g)


@gate("mul", 2, broadcast)
def mul(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Multiply switches: each input gets the other input times upstream."""
    return x * y, (lambda g: g * y, lambda g: g * x)


@gate("div", 2, broadcast)
def div(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    return x / y, (lambda g: g / y, lambda g: -g * x / (y * y))


@gate("maximum", 2, broadcast)
def maximum(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Max routes the gradient to the winner; on a tie, to the first input."""
    first = x >= y
    return np.maximum(x, y), (lambda g: g * first, lambda g: g * ~first)


@gate("minimum", 2, broadcast)
def minimum(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Min routes the gradient to the smaller input; on a tie, to the first."""
    first = x <= y
    return np.minimum(x, y), (lambda g: g * first, lambda g: g * ~first)


# ------------------------------------------------------------------ one input


@gate("neg", 1, same)
def neg(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    return -x, (lambda g: -g,)


@gate("reciprocal", 1, same)
def reciprocal(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    out = 1 / x
    return out, (lambda g: -g * out * out,)


@gate("exp", 1, same)
def exp(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    out = np.exp(x)
    return out, (lambda g: g * out,)


@gate("log", 1, same)
def log(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    return np.log(x), (lambda g: g / x,)


@gate("sqrt", 1, same)
def sqrt(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    out = np.sqrt(x)
    return out, (lambda g: g / (2 * out),)


@gate("square", 1, same)
def square(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    return x * x, (lambda g: 2 * x * g,)


@gate("tanh", 1, same)
def tanh(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    out = np.tanh(x)
    return out, (lambda g: g * (1 - out * out),)


@gate("sigmoid", 1, same)
def sigmoid(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """The fused sigmoid gate: its local gradient is s(1 - s)."""
    with np.errstate(over="ignore"):  # e^-x may overflow to inf for very negative x: then s is exactly 0
        s = 1 / (1 + np.exp(-x))
    return s, (lambda g: g * s * (1 - s),)


@gate("relu", 1, same)
def relu(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Gradient 0 at 0."""
    on = x > 0
    return np.where(on, x, 0).astype(x.dtype), (lambda g: g * on,)


@gate("abs", 1, same)
def abs_(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """Gradient sign(x): 0 at 0."""
    return np.abs(x), (lambda g: g * np.sign(x),)


# ------------------------------------------------------------ with a constant


@gate("add_const", 1, same, c=REQUIRED)
def add_const(x: Array, *, c: float) -> tuple[Array, tuple[VJP, ...]]:
    return c + x, (lambda g: g,)


@gate("mul_const", 1, same, c=REQUIRED)
def mul_const(x: Array, *, c: float) -> tuple[Array, tuple[VJP, ...]]:
    return c * x, (lambda g: c * g,)


@gate("pow_const", 1, same, p=REQUIRED)
def pow_const(x: Array, *, p: float) -> tuple[Array, tuple[VJP, ...]]:
    return x**p, (lambda g: g * p * x ** (p - 1),)


# -------------------------------------------------------------------- tensors


@gate("matmul", 2, matmul_shape)
def matmul(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """numpy semantics for 1-D and 2-D: a 1-D left input is a row, a 1-D right one a column."""

    def dx(g: Array) -> Array:
        return np.multiply.outer(g, y) if y.ndim == 1 else g @ y.T

    def dy(g: Array) -> Array:
        return np.multiply.outer(x, g) if x.ndim == 1 else x.T @ g

    return x @ y, (dx, dy)


def _spread(g: Array, shape: Shape, axis: int | None, keepdims: bool) -> Array:
    """Give every element that was reduced the gradient of its reduction."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape).copy()


@gate("sum", 1, reduced, axis=None, keepdims=False)
def sum_(x: Array, *, axis: int | None = None, keepdims: bool = False) -> tuple[Array, tuple[VJP, ...]]:
    return x.sum(axis=axis, keepdims=keepdims), (lambda g: _spread(g, x.shape, axis, keepdims),)


@gate("mean", 1, reduced, axis=None, keepdims=False)
def mean(x: Array, *, axis: int | None = None, keepdims: bool = False) -> tuple[Array, tuple[VJP, ...]]:
    count = x.size if axis is None else x.shape[axis]
    return x.mean(axis=axis, keepdims=keepdims), (lambda g: _spread(g, x.shape, axis, keepdims) / count,)


@gate("max", 1, reduced, axis=None, keepdims=False)
def max_(x: Array, *, axis: int | None = None, keepdims: bool = False) -> tuple[Array, tuple[VJP, ...]]:
    """Routes the gradient to the winner; with ties, to the first one (numpy's argmax)."""

    def vjp(g: Array) -> Array:
        grad = np.zeros_like(x)
        if axis is None:
            grad.flat[np.argmax(x)] = g.reshape(())
        else:
            winner = np.expand_dims(np.argmax(x, axis=axis), axis)
            np.put_along_axis(grad, winner, g if keepdims else np.expand_dims(g, axis), axis)
        return grad

    return x.max(axis=axis, keepdims=keepdims), (vjp,)


@gate("transpose", 1, transpose_shape)
def transpose(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    return x.T, (lambda g: g.T,)


@gate("reshape", 1, reshape_shape, shape=REQUIRED)
def reshape(x: Array, *, shape: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    return x.reshape(shape), (lambda g: g.reshape(x.shape),)


# ------------------------------------------------- course losses on (N, C) scores


@gate("svm_loss", 1, loss_shape, labels=REQUIRED)
def svm_loss(scores: Array, *, labels: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    """Multiclass hinge, margin 1, averaged over N; a margin of exactly 0 counts as inactive."""
    n = scores.shape[0]
    rows, y = np.arange(n), np.asarray(labels)
    margins = scores - scores[rows, y][:, None] + 1
    margins[rows, y] = 0  # the correct class is excluded
    active = (margins > 0).astype(scores.dtype)
    active[rows, y] = -active.sum(axis=1)  # the correct score is subtracted once per active margin
    return np.where(margins > 0, margins, 0).sum() / n, (lambda g: g * active / n,)


@gate("softmax_loss", 1, loss_shape, labels=REQUIRED)
def softmax_loss(scores: Array, *, labels: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    """Mean cross-entropy of softmax(scores); shifting by the row max keeps exp finite."""
    n = scores.shape[0]
    rows, y = np.arange(n), np.asarray(labels)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1  # d(-log p_y)/ds = p - onehot(y)
    return -log_probs[rows, y].sum() / n, (lambda g: g * dscores / n,)
