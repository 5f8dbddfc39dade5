"""The first assignment's linear classifiers: ``svm_loss_naive``, ``svm_loss_vectorized``,
``softmax_loss_naive``, ``softmax_loss_vectorized``, each ``(W, X, y, reg) -> (loss, dW)``.

The scores are ``X @ W`` (X of shape (N, D), W of shape (D, C)); the loss is the mean
data loss plus L2 regularization, ``reg * sum(W * W)`` in some years and ``0.5 * reg *
sum(W * W)`` in others. The call runs the student's function at reg = 0 and at reg =
``REG``; ``adapt`` infers the convention from the two losses (``oracle.course.judging.conventions``)
and gives it to the reference, and the rows' warning column says which it was. The loss
at reg = 0 is checked too (an extra output).

Edge inputs: for the SVM, scores on a grid of halves, so that hinge margins are exactly 0
(kinks); for the softmax, scores with a common offset near +900 or near -900 in every
row of the case and a moderate spread, so that exp overflows (or underflows to 0) unless
a maximum is subtracted first: the row's, or the batch's (rows differ by tens).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.bugs import gradient_bug, output_bug
from oracle.course.judging.conventions import joined, regularization, softmax_epsilon
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.cs231n.basic import epsilon_settings, softmax_loss
from oracle.courses.cs231n.calls_classifiers import classifier_call

CLASSIFIER = "classifier"
REG = 0.25
N, D, C = 5, 6, 4
SHAPES = (((D, C), (N, D), (N,)),)


def scaled(value: Any, k: Any) -> Any:
    """``value`` whose gradient is ``k`` times its own: how a bug model scales one part of a gradient."""
    frozen = jax.lax.stop_gradient(value)
    return frozen + k * (value - frozen)


def svm_data_loss(scores: Any, y: Any, eps: float = 0.0, eps_at: str = "log") -> Any:
    n = scores.shape[0]
    correct = jnp.take_along_axis(scores, y[:, None], axis=1)
    margins = jnp.maximum(0.0, scores - correct + 1.0)
    return jnp.sum(jnp.where(jnp.arange(scores.shape[1]) == y[:, None], 0.0, margins)) / n


def linear(
    W: Any,
    X: Any,
    y: Any,
    *,
    data: Any,
    reg: float,
    half: bool = False,
    eps: float = 0.0,
    eps_at: str = "log",
    data_grad: float = 1.0,
    reg_grad: float = 1.0,
) -> tuple[Any, dict[str, Any]]:
    """The loss at ``reg`` and, as an extra, at 0; ``data_grad``, ``reg_grad`` scale the gradients (bugs)."""
    data_loss = data(X @ W, y, eps, eps_at)
    penalty = (0.5 if half else 1.0) * reg * jnp.sum(W * W)
    return scaled(data_loss, data_grad) + scaled(penalty, reg_grad), {"loss at reg 0": data_loss}


def infer(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray], *, softmax: bool = False
) -> Mapping[str, Any]:
    """The regularization convention (and a softmax's epsilon in the log) of the student's losses."""
    W, X, y = inputs
    reg = float(settings["reg"])
    dtype = str(W.dtype)
    grads = (student.grads.get("W"), student.extras.get("dW at reg 0"), W)
    half, note = regularization(
        student.out,
        student.extras.get("loss at reg 0"),
        float(np.sum(W.astype(np.float64) ** 2)),
        reg,
        dtype,
        grads,
    )
    eps, at, eps_note = 0.0, "log", ""
    if softmax:
        eps, at, eps_note = softmax_epsilon(
            student.extras.get("loss at reg 0"), X.astype(np.float64) @ W, y, dtype
        )
    student.warning = joined(student.warning, note, eps_note)
    return {**settings, "half": half, **epsilon_settings(eps, at)}


# -------------------------------------------------------------------- samplers


def _labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, n).astype(np.int64)


def weights_and_data(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    (d, c), (n, _), _ = shapes
    return [0.5 * rng.standard_normal((d, c)), rng.standard_normal((n, d)), _labels(rng, n, c)]


def zero_margins(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """X in {-1, 0, 1}, W on a grid of halves: scores are halves, margins of exactly 0 happen (one always)."""
    (d, c), (n, _), _ = shapes
    W = rng.integers(-2, 3, (d, c)) / 2.0
    X = rng.integers(-1, 2, (n, d)).astype(np.float64)
    X[0, 0] = 1.0
    y = _labels(rng, n, c)
    j = (int(y[0]) + 1) % c
    # move W[0, j] so that row 0's margin for class j is exactly 0: s_j - s_y + 1 == 0
    W[0, j] -= X[0] @ W[:, j] - X[0] @ W[:, y[0]] + 1.0
    return [W, X, y]


def large_offsets(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """A first feature of 30 (or -30 in every row) whose weights are all near 30: every score is
    near +900 (or -900).

    The spread within a row stays moderate (about +-10), so a correct loss that takes
    log(p) after shifting by the row's or the batch's maximum stays finite, while exp
    without the shift overflows (or underflows to 0 for the negative case).
    """
    W, X, y = weights_and_data(rng, shapes)
    X[:, 0] = 30.0 * rng.choice([-1.0, 1.0])
    W[0, :] = 30.0 + 0.1 * rng.standard_normal(W.shape[1])
    return [W, X, y]


def at_zero_margins(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The weights of both classes of every margin of exactly 0, where the feature is not 0."""
    scores = X @ W
    rows = np.arange(X.shape[0])
    margins = scores - scores[rows, y][:, None] + 1.0
    zero = margins == 0
    zero[rows, y] = False
    mask = np.zeros(W.shape, dtype=bool)
    for i, j in zip(*np.nonzero(zero), strict=True):
        mask[:, j] |= X[i] != 0
        mask[:, y[i]] |= X[i] != 0
    return [mask]


# --------------------------------------------------------------------- targets


def _declare(name: str, softmax: bool) -> None:
    data = softmax_loss if softmax else svm_data_loss
    options: dict[str, Any] = (
        {"edge": large_offsets, "edge_text": "scores with an offset near +900 or -900 in every row"}
        if softmax
        else {
            "kinks": at_zero_margins,
            "edge": zero_margins,
            "kink_text": "a hinge margin of exactly 0",
            "edge_text": "hinge margins of exactly 0",
        }
    )
    fn = functools.partial(linear, data=data)
    adapt = functools.partial(infer, softmax=softmax)
    bugs = (
        gradient_bug("the regularization gradient is missing from dW", functools.partial(fn, reg_grad=0.0)),
        gradient_bug("the regularization gradient is doubled", functools.partial(fn, reg_grad=2.0)),
        gradient_bug(
            "the regularization gradient is half what the loss says", functools.partial(fn, reg_grad=0.5)
        ),
        gradient_bug(
            f"the data part of dW is not divided by N = {N}", functools.partial(fn, data_grad=float(N))
        ),
        output_bug(
            "the loss has no regularization term", lambda W, X, y, **s: _loss(fn, W, X, y, {**s, "reg": 0})
        ),
        output_bug(
            f"the data loss is not divided by N = {N}",
            lambda W, X, y, **s: _loss(fn, W, X, y, s) + (N - 1) * _loss(fn, W, X, y, {**s, "reg": 0}),
        ),
    )
    reference = Reference(
        name, CLASSIFIER, fn, ("W",), SHAPES, weights_and_data, call=classifier_call(name),
        settings=({"reg": REG},), adapt=adapt, aux=True, upstream=False, bugs=bugs, **options,
    )  # fmt: skip
    declare(reference)


def _loss(fn: Any, W: Any, X: Any, y: Any, settings: Mapping[str, Any]) -> Any:
    return np.asarray(fn(W, X, y, **settings)[0])


for _name in ("svm_loss_naive", "svm_loss_vectorized"):
    _declare(_name, softmax=False)
for _name in ("softmax_loss_naive", "softmax_loss_vectorized"):
    _declare(_name, softmax=True)

NAMES = frozenset(("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized"))
