"""The lecture's two-layer network, twice: with a hand-derived backward pass, and in the engine.

The lecture closes with this network trained in about twenty lines of numpy::

    h = sigmoid(x @ w1); y_pred = h @ w2; loss = sum((y_pred - y) ** 2)

``numpy_step`` is those lines with the backward pass derived by hand; ``engine_step``
writes only the forward pass with ``Value`` and lets ``backward()`` find the same
gradients through the gates. Both return ``(loss, (grad_w1, grad_w2))`` for given
weights and leave the update to ``train``, which is the lecture's loop. ``init`` draws
the data and the weights from a seed; ``oracle.mlp`` uses it too, so all three
implementations (these two and JAX's) start from the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from reference.engine import Value
from reference.gates import Array

# The lecture's sizes, learning rate and number of steps.
N, D_IN, HIDDEN, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-4
STEPS = 2000

Grads = tuple[Array, Array]  # (grad_w1, grad_w2)
Step = Callable[[Array, Array, Array, Array], tuple[float, Grads]]


class Problem(NamedTuple):
    """The data (x, y) and the initial weights (w1, w2), all float64."""

    x: Array
    y: Array
    w1: Array
    w2: Array


def init(seed: int = 0, n: int = N, d_in: int = D_IN, hidden: int = HIDDEN, d_out: int = D_OUT) -> Problem:
    """x, y, w1, w2 drawn from a standard normal, in the lecture's order, from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    w1, w2 = rng.standard_normal((d_in, hidden)), rng.standard_normal((hidden, d_out))
    return Problem(x, y, w1, w2)


def numpy_step(w1: Array, w2: Array, x: Array, y: Array) -> tuple[float, Grads]:
    """The lecture's forward and hand-derived backward pass: the loss and (grad_w1, grad_w2)."""
    with np.errstate(over="ignore"):  # exp(-z) = inf below z = -709, and 1 / (1 + inf) = 0 is right
        h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()

    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return float(loss), (grad_w1, grad_w2)


def engine_step(w1: Array, w2: Array, x: Array, y: Array) -> tuple[float, Grads]:
    """The same forward pass in the engine; the gradients come from ``backward()``.

    x and y are constants: the engine never computes their gradients (the x-gradient
    would be a third large matrix product, for nothing). Wrapping the arrays copies nothing.
    """
    w1_, w2_ = Value(w1), Value(w2)
    x_, y_ = Value(x, requires_grad=False), Value(y, requires_grad=False)
    h = (x_ @ w1_).sigmoid()
    y_pred = h @ w2_
    loss = ((y_pred - y_) ** 2).sum()
    loss.backward()
    assert w1_.grad is not None and w2_.grad is not None
    return float(loss.data), (w1_.grad, w2_.grad)


def train(
    step: Step = numpy_step,
    steps: int = STEPS,
    seed: int = 0,
    n: int = N,
    d_in: int = D_IN,
    hidden: int = HIDDEN,
    d_out: int = D_OUT,
    lr: float = LEARNING_RATE,
) -> tuple[list[float], Array, Array]:
    """The lecture's loop with one implementation: the loss at every step and the final w1, w2."""
    x, y, w1, w2 = init(seed, n, d_in, hidden, d_out)
    losses = []
    for _ in range(steps):
        loss, (grad_w1, grad_w2) = step(w1, w2, x, y)
        losses.append(loss)
        w1 -= lr * grad_w1
        w2 -= lr * grad_w2
    return losses, w1, w2
