"""The gate table: every gate declared once, its forward and its hand-written backward side by side.

A gate is a function ``forward(*inputs, **attrs) -> (output, vjps)``. ``vjps`` holds one
function per input; each takes the upstream gradient ``g`` (the gradient of the final
output with respect to this gate's output) and returns that input's share: the *local*
gradient multiplied by ``g`` (chain rule). With arrays that product is a vector-Jacobian
product; the Jacobian itself is never built. Each docstring below states the forward and
the local gradients in one line (``dx`` is the share of input ``x``).

The ``@gate`` line above a forward declares everything else about the op, in one place:

    @gate("sum", 1, reduced, axis=Attr(AXIS, default=None), keepdims=Attr(BOOL, default=False))

its name, its number of inputs, its shape rule (``reference.shapes``), its attributes with
their types and defaults (``reference.checks``) and, for a gate with non-differentiable
points, ``kinks=``: the convention it follows there. The rest is derived from the table:
the graph format's validation (``reference.graph``), the ``Value`` method
(``x.sum(0, keepdims=True)``) and the check of every ``Value`` call (``reference.engine``).

Two things the engine does for every gate, so the rules below stay short:
- where an input was broadcast in forward, its gradient is summed back to the
  input's shape (``engine.unbroadcast``);
- an input that needs no gradient never has its rule called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reference.checks import AXIS, BOOL, LABELS, NUMBER, SHAPE, Array, Attr, Shape, check_declaration
from reference.shapes import (
    broadcast,
    loss_shape,
    matmul_shape,
    reduced,
    reshape_shape,
    same,
    transpose_shape,
)

VJP = Callable[[Array], Array]
Forward = Callable[..., tuple[Array, tuple[VJP, ...]]]
ShapeRule = Callable[..., Shape]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Gate:
    """One row of the table, as ``@gate`` declares it (``doc`` is the forward's docstring)."""

    name: str
    arity: int  # the number of inputs
    forward: Forward
    shape: ShapeRule
    attrs: Mapping[str, Attr] = field(default_factory=dict)  # in declaration order
    kinks: str = ""  # the convention at non-differentiable points; "" for a gate without any
    doc: str = ""

    def check(self, shapes: Sequence[Shape], given: Mapping[str, Any]) -> tuple[dict[str, Any], Shape]:
        """Check one use of the gate: its attrs (``check_attrs``), then its shape rule on the input shapes.

        Returns the attrs as ``forward`` takes them and the output's shape; raises ``ValueError``
        saying what is wrong (the caller adds where).
        """
        if len(shapes) != self.arity:
            raise ValueError(f"takes {self.arity} input(s), got {len(shapes)}")
        attrs = self.check_attrs(given)
        return attrs, self.shape(*shapes, **attrs)

    def check_attrs(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The attrs as ``forward`` takes them: each checked against its declared type, defaults filled in."""
        for name in given:
            if name not in self.attrs:
                raise ValueError(f"unknown attr {name!r} (expected: {', '.join(self.attrs) or 'none'})")
        attrs = {}
        for name, attr in self.attrs.items():
            if name in given:
                try:
                    attrs[name] = attr.kind.check(given[name])
                except ValueError as exc:
                    raise ValueError(f"attr {name!r} {exc}") from None
            elif attr.required:
                raise ValueError(f"missing attr {name!r}")
            else:
                attrs[name] = attr.default
        return attrs


GATES: dict[str, Gate] = {}


def gate(
    name: str, arity: int, shape: ShapeRule, /, *, kinks: str = "", **attrs: Attr
) -> Callable[[Forward], Forward]:
    """Register ``forward`` under ``name``: adding a gate means adding one declared function."""

    def register(forward: Forward) -> Forward:
        check_declaration(name, arity, forward, attrs)  # the forward's signature matches the declaration
        GATES[name] = Gate(name, arity, forward, shape, dict(attrs), kinks, (forward.__doc__ or "").strip())
        return forward

    return register


# ------------------------------------------------------- two inputs, broadcast


@gate("add", 2, broadcast)
def add(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x + y; dx = g, dy = g: add distributes the upstream gradient unchanged."""
    return x + y, (lambda g: g, lambda g: g)


@gate("sub", 2, broadcast)
def sub(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x - y; dx = g, dy = -g."""
    return x - y, (lambda g: g, lambda g: -g)


@gate("mul", 2, broadcast)
def mul(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x * y; dx = g * y, dy = g * x: multiply switches, each input gets the other times upstream."""
    return x * y, (lambda g: g * y, lambda g: g * x)


@gate("div", 2, broadcast)
def div(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x / y; dx = g / y, dy = -g * x / y^2."""
    return x / y, (lambda g: g / y, lambda g: -g * x / (y * y))


@gate("maximum", 2, broadcast, kinks="a tie x == y routes the whole gradient to the first input")
def maximum(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """max(x, y) elementwise; dx = g where x wins, dy = g where y wins: max routes to the winner."""
    first = x >= y
    return np.maximum(x, y), (lambda g: g * first, lambda g: g * ~first)


@gate("minimum", 2, broadcast, kinks="a tie x == y routes the whole gradient to the first input")
def minimum(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """min(x, y) elementwise; dx = g where x is smaller, dy = g where y is."""
    first = x <= y
    return np.minimum(x, y), (lambda g: g * first, lambda g: g * ~first)


# ------------------------------------------------------------------ one input


@gate("neg", 1, same)
def neg(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """-x; dx = -g."""
    return -x, (lambda g: -g,)


@gate("reciprocal", 1, same)
def reciprocal(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """1 / x; dx = -g / x^2 (computed as -g * out^2)."""
    out = 1 / x
    return out, (lambda g: -g * out * out,)


@gate("exp", 1, same)
def exp(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """e^x; dx = g * e^x: the output is its own local gradient."""
    out = np.exp(x)
    return out, (lambda g: g * out,)


@gate("log", 1, same)
def log(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """log x; dx = g / x."""
    return np.log(x), (lambda g: g / x,)


@gate("sqrt", 1, same)
def sqrt(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """sqrt(x); dx = g / (2 sqrt(x))."""
    out = np.sqrt(x)
    return out, (lambda g: g / (2 * out),)


@gate("square", 1, same)
def square(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x^2; dx = 2x * g."""
    return x * x, (lambda g: 2 * x * g,)


@gate("tanh", 1, same)
def tanh(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """tanh x; dx = g * (1 - tanh^2 x)."""
    out = np.tanh(x)
    return out, (lambda g: g * (1 - out * out),)


@gate("sigmoid", 1, same)
def sigmoid(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """s = 1 / (1 + e^-x), the fused sigmoid gate; dx = g * s(1 - s)."""
    with np.errstate(over="ignore"):  # e^-x may overflow to inf for very negative x: then s is exactly 0
        s = 1 / (1 + np.exp(-x))
    return s, (lambda g: g * s * (1 - s),)


@gate("relu", 1, same, kinks="gradient 0 at x == 0")
def relu(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """max(x, 0); dx = g where x > 0, else 0. NaN stays NaN (it is not <= 0)."""
    on = x > 0
    return np.where(x <= 0, 0, x).astype(x.dtype, copy=False), (lambda g: g * on,)


@gate("abs", 1, same, kinks="gradient 0 at x == 0 (sign(0) = 0)")
def abs_(x: Array) -> tuple[Array, tuple[VJP, ...]]:
    """|x|; dx = g * sign(x)."""
    return np.abs(x), (lambda g: g * np.sign(x),)


# ------------------------------------------------------------ with a constant


@gate("add_const", 1, same, c=Attr(NUMBER))
def add_const(x: Array, *, c: float) -> tuple[Array, tuple[VJP, ...]]:
    """c + x; dx = g."""
    return c + x, (lambda g: g,)


@gate("mul_const", 1, same, c=Attr(NUMBER))
def mul_const(x: Array, *, c: float) -> tuple[Array, tuple[VJP, ...]]:
    """c * x; dx = c * g."""
    return c * x, (lambda g: c * g,)


@gate("pow_const", 1, same, p=Attr(NUMBER))
def pow_const(x: Array, *, p: float) -> tuple[Array, tuple[VJP, ...]]:
    """x^p; dx = g * p x^(p - 1)."""
    return x**p, (lambda g: g * p * x ** (p - 1),)


# -------------------------------------------------------------------- tensors


@gate("matmul", 2, matmul_shape)
def matmul(x: Array, y: Array) -> tuple[Array, tuple[VJP, ...]]:
    """x @ y (1-D or 2-D: a 1-D left input is a row, a 1-D right one a column); dx = g @ y.T, dy = x.T @ g."""

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


@gate("sum", 1, reduced, axis=Attr(AXIS, default=None), keepdims=Attr(BOOL, default=False))
def sum_(x: Array, *, axis: int | None, keepdims: bool) -> tuple[Array, tuple[VJP, ...]]:
    """x summed over axis (all axes for None); dx = g copied to every summed element."""
    return x.sum(axis=axis, keepdims=keepdims), (lambda g: _spread(g, x.shape, axis, keepdims),)


@gate("mean", 1, reduced, axis=Attr(AXIS, default=None), keepdims=Attr(BOOL, default=False))
def mean(x: Array, *, axis: int | None, keepdims: bool) -> tuple[Array, tuple[VJP, ...]]:
    """x averaged over axis; dx = g / count, copied to every averaged element."""
    count = x.size if axis is None else x.shape[axis]
    return x.mean(axis=axis, keepdims=keepdims), (lambda g: _spread(g, x.shape, axis, keepdims) / count,)


@gate(
    "max",
    1,
    reduced,
    axis=Attr(AXIS, default=None),
    keepdims=Attr(BOOL, default=False),
    kinks="ties: the whole gradient goes to the first winner (numpy's argmax)",
)
def max_(x: Array, *, axis: int | None, keepdims: bool) -> tuple[Array, tuple[VJP, ...]]:
    """x's largest element over axis; dx = g at the winner, 0 elsewhere: max routes to the winner."""

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
    """x.T (2-D); dx = g.T."""
    return x.T, (lambda g: g.T,)


@gate("reshape", 1, reshape_shape, shape=Attr(SHAPE))
def reshape(x: Array, *, shape: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    """x's elements in another shape; dx = g in x's shape."""
    return x.reshape(shape), (lambda g: g.reshape(x.shape),)


# ------------------------------------------------- course losses on (N, C) scores


@gate("svm_loss", 1, loss_shape, labels=Attr(LABELS), kinks="a margin of exactly 0 counts as inactive")
def svm_loss(scores: Array, *, labels: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    """Multiclass hinge, margin 1, mean over N; ds = g/N per active margin, minus that on the label."""
    n = scores.shape[0]
    rows, y = np.arange(n), np.asarray(labels)
    margins = scores - scores[rows, y][:, None] + 1
    margins[rows, y] = 0  # the correct class is excluded
    active = (margins > 0).astype(scores.dtype)
    active[rows, y] = -active.sum(axis=1)  # the correct score is subtracted once per active margin
    return np.where(margins > 0, margins, 0).sum() / n, (lambda g: g * active / n,)


@gate("softmax_loss", 1, loss_shape, labels=Attr(LABELS))
def softmax_loss(scores: Array, *, labels: Sequence[int]) -> tuple[Array, tuple[VJP, ...]]:
    """Mean cross-entropy of softmax(scores); ds = g * (p - onehot(label)) / N."""
    n = scores.shape[0]
    rows, y = np.arange(n), np.asarray(labels)
    shifted = scores - scores.max(axis=1, keepdims=True)  # shifting by the row max keeps exp finite
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1  # d(-log p_y)/ds = p - onehot(y)
    return -log_probs[rows, y].sum() / n, (lambda g: g * dscores / n,)
