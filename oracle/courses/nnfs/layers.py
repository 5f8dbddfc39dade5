"""The book's layers and activations: ``Layer_Dense``, ``Activation_ReLU``, ``Activation_Softmax``,
``Activation_Sigmoid``, ``Activation_Linear``.

Each is a class (``oracle.courses.nnfs.calls``): the dense layer is built as
``Layer_Dense(n_inputs, n_neurons)`` for the case's sizes and its ``weights`` (n_inputs,
n_neurons) and ``biases`` (1, n_neurons) set to the case's arrays; the activations are
built with no arguments. The target names are the book's class names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.core.lazy_jax import jax
from oracle.course.judging.bugs import gradient_bug, wrong_axes
from oracle.course.judging.samplers import at_zero, normal, with_zeros
from oracle.course.reference import Reference, declare
from oracle.courses.nnfs.calls import applies_with_backward, layer_object_call

LAYER_OBJECT = "layer object"
DENSE_SHAPES = (((4, 5), (5, 3), (1, 3)), ((6, 2), (2, 7), (1, 7)))  # N != n_neurons
ACTIVATION_SHAPES = (((4, 5),), ((6, 3),))  # (samples, features), as the book's arrays are


def dense(x: Any, weights: Any, biases: Any) -> Any:
    return x @ weights + biases


def _sizes(inputs: Sequence[np.ndarray]) -> tuple[int, int]:
    n_inputs, n_neurons = np.shape(inputs[1])
    return int(n_inputs), int(n_neurons)


applies_with_backward("Layer_Dense")
declare(
    Reference(
        "Layer_Dense",
        LAYER_OBJECT,
        dense,
        ("inputs", "weights", "biases"),
        DENSE_SHAPES,
        normal,
        call=layer_object_call(
            "Layer_Dense", ("weights", "biases"), ("dinputs", "dweights", "dbiases"), _sizes
        ),
        names=("Layer_Dense",),
        bugs=(
            wrong_axes(
                "biases",
                "dbiases summed over the wrong axis (the samples' axis is 0)",
                lambda s: np.asarray(s.upstream),
                (0,),
            ),
        ),
    )
)


def _softmax(x: Any) -> Any:
    return jax.nn.softmax(x, axis=1)


def _softmax_diagonal_only(x: Any) -> Any:
    """What a softmax backward computes when it keeps only the Jacobian's diagonal: s * (1 - s) * dvalues."""
    s = jax.nn.softmax(x, axis=1)
    frozen = jax.lax.stop_gradient(s)
    return frozen + (x - jax.lax.stop_gradient(x)) * frozen * (1 - frozen)


def _activation(name: str, fn: Any, **options: Any) -> None:
    applies_with_backward(name)
    declare(
        Reference(
            name,
            LAYER_OBJECT,
            fn,
            ("inputs",),
            options.pop("shapes", ACTIVATION_SHAPES),
            options.pop("sample", normal),
            call=layer_object_call(name),
            names=(name,),
            **options,
        )
    )


_activation(
    "Activation_ReLU",
    jax.nn.relu,
    kinks=at_zero,
    edge=with_zeros,
    kink_text="relu at inputs == 0",
    edge_text="exact zeros in the inputs",
)
_activation(
    "Activation_Softmax",
    _softmax,
    bugs=(gradient_bug("only the Jacobian's diagonal, s * (1 - s) * dvalues", _softmax_diagonal_only),),
)
_activation(
    "Activation_Sigmoid",
    jax.nn.sigmoid,
    bugs=(
        gradient_bug(
            "the derivative taken at the output: sigmoid'(self.output) instead of output * (1 - output)",
            lambda x: _chain_at(jax.nn.sigmoid, x),
        ),
    ),
)
_activation("Activation_Linear", lambda x: x)


def _chain_at(fn: Any, x: Any) -> Any:
    """fn's output whose slope is fn's derivative at fn(x) instead of at x: the derivative applied twice."""
    s = fn(x)
    frozen = jax.lax.stop_gradient(s)
    slope = jax.lax.stop_gradient(jax.nn.sigmoid(frozen) * (1 - jax.nn.sigmoid(frozen)))
    return frozen + (x - jax.lax.stop_gradient(x)) * slope
