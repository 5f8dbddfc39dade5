"""Course 2, week 1: the backward passes of "Regularization" and "Gradient Checking".

The assignments' three-layer network, LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID, features
by examples, its cost the mean cross-entropy (dW and db carry 1/m). Targets:

- ``dlai.backward_propagation_with_regularization(X, Y, cache, lambd)``: the cost plus
  lambd / (2m) * sum of the squared weights, lambd = 0.7; the cache
  ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)`` is built here, by the course's own
  forward (which the student does not write in this exercise);
- ``dlai.backward_propagation_with_dropout(X, Y, cache, keep_prob)``: inverted dropout after
  the two hidden layers with the case's masks D1, D2 (keep_prob = 0.8), the cache
  ``(Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)`` built here likewise;
- ``dlai.gradient_check_n``: ``forward_propagation_n(X, Y, parameters) -> (cost, cache)`` and
  ``backward_propagation_n(X, Y, cache)``, the student's own forward, at the shapes gc_utils
  hard-codes. The template plants two bugs for the gradient check to find (``dW2 ... * 2``,
  ``db1 = 4./m ...``): a student who leaves them gets them named.

The gradients come back in a dict (``dW1``, ``db1``...); its other entries (``dZ3``...) are not judged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import Problem, Watch, copy_for_student, edited, kept, notes, output, step
from oracle.course.judging.bugs import gradient_bug
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.dlai.calls import from_dict
from oracle.courses.dlai.conventions import scaled

PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
KEYS = tuple(f"d{name}" for name in PARAMS)
LAMBD, KEEP_PROB = 0.7, 0.8
SHAPES = (((4, 3), (4, 1), (3, 4), (3, 1), (1, 3), (1, 1), (3, 5), (1, 5)),)
DROPOUT_SHAPES = ((*SHAPES[0], (4, 5), (3, 5)),)
CHECK_SHAPES = (((5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1), (4, 3), (1, 3)),)  # gc_utils' shapes


def three_layers(
    W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any, X: Any, Y: Any, *masks: Any,
    lambd: float = 0.0, keep_prob: float = 1.0, reg_scale: float = 1.0, mask_scale: float = 1.0,
    planted: tuple[float, float] = (1.0, 1.0),
) -> Any:  # fmt: skip
    """The mean cross-entropy (+ L2); the keywords after ``keep_prob`` model bugs: a regularization
    gradient ``reg_scale`` times the course's, a dropout backward ``mask_scale`` times its
    gradient, the planted factors of dW2 and db1."""
    m = X.shape[1]
    W2 = scaled(W2, planted[0])
    b1 = scaled(b1, planted[1])
    A = X
    for k, (W, b) in enumerate(((W1, b1), (W2, b2))):
        A = jax.nn.relu(W @ A + b)
        if masks:
            A = scaled(A * masks[k] / keep_prob, mask_scale)
    AL = jax.nn.sigmoid(W3 @ A + b3)
    cost = -jnp.sum(Y * jnp.log(AL) + (1 - Y) * jnp.log(1 - AL)) / m
    squares = sum(jnp.sum(W * W) for W in (W1, W2, W3))
    penalty = lambd / (2 * m) * squares
    return cost + jax.lax.stop_gradient(penalty) + reg_scale * (penalty - jax.lax.stop_gradient(penalty))


def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    params, (x_shape, y_shape), masks = shapes[:6], shapes[6:8], shapes[8:]
    values = [np.asarray(rng.standard_normal(s)) for s in params]
    X = np.asarray(rng.standard_normal(x_shape))
    Y = rng.integers(0, 2, y_shape).astype(np.float64)
    D = [(rng.random(s) < KEEP_PROB).astype(np.float64) for s in masks]
    return [*values, X, Y, *D]


def forward(
    params: Sequence[np.ndarray], X: np.ndarray, masks: Sequence[np.ndarray], keep_prob: float
) -> list[Any]:
    """The course's forward_propagation(_with_dropout): the cache, in its order."""
    W1, b1, W2, b2, W3, b3 = (np.asarray(p, dtype=np.float64) for p in params)
    Z1 = W1 @ X + b1
    A1 = np.maximum(0, Z1)
    if masks:
        A1 = A1 * masks[0] / keep_prob
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(0, Z2)
    if masks:
        A2 = A2 * masks[1] / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = 1 / (1 + np.exp(-Z3))
    if masks:
        return [Z1, masks[0], A1, W1, b1, Z2, masks[1], A2, W2, b2, Z3, A3, W3, b3]
    return [Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3]


def cost_of(A3: np.ndarray, Y: np.ndarray, params: Sequence[np.ndarray], lambd: float) -> float:
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m
    return float(cost + lambd / (2 * m) * sum(np.sum(np.square(W)) for W in params[::2]))


def given_cache_call(function: str, setting: str) -> Any:
    """``function(X, Y, cache, settings[setting])`` with the cache of the course's own forward."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        (backward,) = impl
        params, X, Y, masks = inputs[:6], inputs[6], inputs[7], inputs[8:]
        keep_prob = float(settings.get("keep_prob", 1.0))
        cache = tuple(forward(params, X, masks, keep_prob))
        value = three_layers(
            *(jnp.asarray(v) for v in inputs), **settings
        )  # the course's forward: not judged
        watch = Watch({"X": X})
        watch.watch("cache", cache)
        returned = step(function, backward, X, copy_for_student(Y), cache, settings[setting])
        grads, problem = from_dict(returned, names, KEYS, function)
        return Outcome(np.asarray(value), grads, problem=problem, warning=edited(function, watch))

    return call


def checking_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    forward_n, backward_n = impl
    params, X, Y = inputs[:6], inputs[6], inputs[7]
    parameters = dict(zip(PARAMS, params, strict=True))
    before = Watch()
    before.watch("parameters", parameters)
    result = step("forward_propagation_n", forward_n, X, Y, parameters)
    if not isinstance(result, list | tuple) or len(result) != 2:
        raise Problem(f"forward_propagation_n returned {describe(result)}, expected (cost, cache)")
    cost, cache = output(result[0], "forward_propagation_n"), result[1]
    forward_edits = edited("forward_propagation_n", before)
    after = Watch({"X": X})
    after.watch("cache", cache)
    returned = step("backward_propagation_n", backward_n, X, copy_for_student(Y), cache)
    grads, problem = from_dict(returned, names, KEYS, "backward_propagation_n")
    warning = notes(forward_edits, edited("backward_propagation_n", after))
    return Outcome(kept(cost), grads, problem=problem, warning=warning)


def _with(**bug: Any) -> Any:
    def model(*arrays: Any, **settings: Any) -> Any:
        return three_layers(*arrays, **{**settings, **bug})

    return model


WEIGHTS = ("W1", "W2", "W3")
REG_BUGS = (
    gradient_bug(
        "the regularization gradient is lambd * W, not lambd / m * W", _with(reg_scale=5.0), WEIGHTS
    ),
    gradient_bug(
        "the regularization gradient is lambd / (2m) * W: the cost's factor, not its derivative's",
        _with(reg_scale=0.5),
        WEIGHTS,
    ),
    gradient_bug("the regularization gradient is missing", _with(reg_scale=0.0), WEIGHTS),
)
DROPOUT_BUGS = (
    gradient_bug("dA is multiplied by the mask D but not divided by keep_prob", _with(mask_scale=KEEP_PROB)),
)
FIND_IT = " (the gradient check is there to find it)"
PLANTED = (
    gradient_bug(
        "the template's planted bug, left in: dW2 = 1./m * np.dot(dZ2, A1.T) * 2" + FIND_IT,
        _with(planted=(2.0, 1.0)),
        ("W2",),
    ),
    gradient_bug(
        "the template's planted bug, left in: db1 = 4./m * np.sum(dZ1, axis=1, keepdims=True)" + FIND_IT,
        _with(planted=(1.0, 4.0)),
        ("b1",),
    ),
)

declare(
    Reference(
        "dlai.backward_propagation_with_regularization", "dlai", three_layers, PARAMS, SHAPES, sample,
        call=given_cache_call("backward_propagation_with_regularization", "lambd"),
        names=("backward_propagation_with_regularization",), upstream=False, settings=({"lambd": LAMBD},),
        bugs=REG_BUGS,
    )
)  # fmt: skip

declare(
    Reference(
        "dlai.backward_propagation_with_dropout", "dlai", three_layers, PARAMS, DROPOUT_SHAPES, sample,
        call=given_cache_call("backward_propagation_with_dropout", "keep_prob"),
        names=("backward_propagation_with_dropout",), upstream=False, settings=({"keep_prob": KEEP_PROB},),
        bugs=DROPOUT_BUGS,
    )
)  # fmt: skip

declare(
    Reference(
        "dlai.gradient_check_n", "dlai", three_layers, PARAMS, CHECK_SHAPES, sample,
        call=checking_call, names=("forward_propagation_n", "backward_propagation_n"), upstream=False,
        bugs=PLANTED,
    )
)  # fmt: skip
