"""The book's losses: ``Loss_CategoricalCrossentropy``, ``Loss_BinaryCrossentropy``,
``Loss_MeanSquaredError``, ``Loss_MeanAbsoluteError``, and the combined
``Activation_Softmax_Loss_CategoricalCrossentropy``.

A loss's ``forward(y_pred, y_true)`` returns the sample losses (the book's ``calculate``
takes their mean, the loss judged here) and its ``backward(dvalues, y_true)`` stores the
gradient of that mean, 1/N inside, in ``self.dinputs``. Labels come both ways the book
takes them: integers (the first shape) and one-hot rows (the second). Predictions are
probabilities away from the book's clipping at 1e-7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax, jnp
from oracle.course.judging.bugs import gradient_bug
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.nnfs.calls import applies_with_backward, combined_call, loss_object_call

LOSS_OBJECT = "loss object"
CLASS_SHAPES = (((5, 4), (5,)), ((8, 10), (8, 10)))  # integer labels, then one-hot rows; N != C
OUTPUT_SHAPES = (((5, 3), (5, 3)), ((8, 1), (8, 1)))  # regression or binary outputs, several then one


def _picked(p: Any, y: Any) -> Any:
    """The probability of each sample's class: labels as integers or as one-hot rows."""
    if y.ndim == 1:
        return jnp.take_along_axis(p, y[:, None].astype(jnp.int32), axis=1)[:, 0]
    return jnp.sum(p * y, axis=1)


def categorical(p: Any, y: Any) -> Any:
    return jnp.mean(-jnp.log(_picked(p, y)))


def binary(p: Any, y: Any) -> Any:
    return jnp.mean(-(y * jnp.log(p) + (1 - y) * jnp.log(1 - p)))


def squared(p: Any, y: Any) -> Any:
    return jnp.mean((y - p) ** 2)


def absolute(p: Any, y: Any) -> Any:
    return jnp.mean(jnp.abs(y - p))


def softmax_categorical(x: Any, y: Any) -> Any:
    return categorical(jax.nn.softmax(x, axis=1), y)


def _labels(rng: np.random.Generator, n: int, c: int, shape: Shape) -> np.ndarray:
    y = rng.integers(0, c, n)
    return y.astype(np.int64) if len(shape) == 1 else np.eye(c)[y]


def probabilities(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Softmax rows of normal scores (no class below 1e-3 at these sizes) and their labels."""
    (n, c), labels = shapes
    scores = rng.standard_normal((n, c))
    p = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    return [p, _labels(rng, n, c, labels)]


def scores(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    (n, c), labels = shapes
    return [rng.standard_normal((n, c)), _labels(rng, n, c, labels)]


def binary_outputs(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Sigmoid outputs in (0.05, 0.95) and 0/1 targets."""
    (shape, _) = shapes
    return [rng.uniform(0.05, 0.95, shape), rng.integers(0, 2, shape).astype(np.float64)]


def regression(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """Predictions and targets at least 0.1 apart: no kink of |y - p| at 0."""
    (shape, _) = shapes
    y = rng.standard_normal(shape)
    gap = rng.uniform(0.1, 1.0, shape) * rng.choice([-1.0, 1.0], shape)
    return [y + gap, y]


def _times(fn: Any, k: float) -> Any:
    """fn whose gradient is k times its own (a bug's model)."""

    def scaled(p: Any, y: Any) -> Any:
        value = fn(p, y)
        return jax.lax.stop_gradient(value) + k * (value - jax.lax.stop_gradient(value))

    return scaled


def _per_output(fn: Any) -> Any:
    """The gradient a backward gives when it forgets to divide by the number of outputs per sample."""

    def model(p: Any, y: Any) -> Any:
        return _times(fn, p.shape[1])(p, y)

    return model


def _loss(name: str, fn: Any, shapes: Any, sample: Any, bugs: tuple[Any, ...] = ()) -> None:
    applies_with_backward(name)
    declare(
        Reference(
            name,
            LOSS_OBJECT,
            fn,
            ("y_pred",),
            shapes,
            sample,
            call=loss_object_call(name),
            names=(name,),
            upstream=False,
            bugs=bugs,
        )
    )


_loss("Loss_CategoricalCrossentropy", categorical, CLASS_SHAPES, probabilities)
_loss(
    "Loss_BinaryCrossentropy",
    binary,
    OUTPUT_SHAPES,
    binary_outputs,
    (gradient_bug("the gradient not divided by the number of outputs per sample", _per_output(binary)),),
)
_loss(
    "Loss_MeanSquaredError",
    squared,
    OUTPUT_SHAPES,
    regression,
    (
        gradient_bug("the gradient not divided by the number of outputs per sample", _per_output(squared)),
        gradient_bug("the factor 2 of the square's derivative missing", _times(squared, 0.5)),
    ),
)
_loss(
    "Loss_MeanAbsoluteError",
    absolute,
    OUTPUT_SHAPES,
    regression,
    (
        gradient_bug(
            "np.sign(y_true - dvalues): the sign reversed, as the book prints it", _times(absolute, -1.0)
        ),
        gradient_bug("the gradient not divided by the number of outputs per sample", _per_output(absolute)),
    ),
)
declare(
    Reference(
        "Activation_Softmax_Loss_CategoricalCrossentropy",
        LOSS_OBJECT,
        softmax_categorical,
        ("inputs",),
        CLASS_SHAPES,
        scores,
        call=combined_call("Activation_Softmax_Loss_CategoricalCrossentropy"),
        names=("Activation_Softmax_Loss_CategoricalCrossentropy",),
        upstream=False,
    )
)
