"""CS224n 2017-2018's first assignment before word2vec: ``q2_sigmoid.py`` and ``q2_neural.py``.

- ``sigmoid_grad(s)``: the handout's ``sigmoid_grad`` takes the sigmoid's *value* s =
  sigmoid(x) and returns ds/dx = s (1 - s). The check computes s itself and judges
  sigmoid_grad(s) * upstream as the gradient of x. The target is ``sigmoid_grad`` alone:
  2019 on, ``word2vec.py`` defines a ``sigmoid`` and no ``sigmoid_grad``; the student's own
  ``sigmoid`` is judged where their network uses it.
- ``forward_backward_prop(X, labels, params, dimensions) -> (cost, grad)``: a two-layer
  sigmoid network with a softmax cross-entropy cost, its parameters packed in one flat
  vector in the handout's order (W1 (Dx, H), b1 (1, H), W2 (H, Dy), b2 (1, Dy)), ``labels``
  one-hot (M, Dy), ``dimensions`` = [Dx, H, Dy]; ``grad`` is packed the same way. The 2017
  handout asks for the cost summed over the M examples ("compute cost based on sum not
  mean"); solutions that average it (and divide the gradient by M) follow another year's
  wording: the convention is read off the student's cost and noted on the row.

The files import the student's own ``q1_softmax`` and ``q2_sigmoid``, so a verdict on
``forward_backward_prop`` is on the whole chain, as the course's ``gradcheck_naive`` judges it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import (
    Problem,
    Unfinished,
    Watch,
    copy_for_student,
    edited,
    kept,
    output,
    pair,
    step,
)
from oracle.course.judging.bugs import gradient_bug
from oracle.course.judging.conventions import CONVENTION, as_float, joined
from oracle.course.reference import Reference, Shape, declare

ACTIVATION, NETWORK = "activation", "network"
# (M, Dx, H, Dy): all different within a case, so a transposed or wrongly summed array has the wrong shape
SIZES = ((6, 5, 4, 3), (7, 3, 5, 4))
MEAN = f"{CONVENTION}the cost is the mean over the M examples (the 2017 handout sums them)"


# ------------------------------------------------------------------ references


def _derivative_at_output(x: Any) -> Any:
    """sigmoid(x) whose slope is sigmoid'(sigmoid(x)): sigmoid_grad applied to x, or to s twice."""
    s = jax.nn.sigmoid(x)
    frozen = jax.lax.stop_gradient(s)
    slope = jax.lax.stop_gradient(jax.nn.sigmoid(frozen) * (1 - jax.nn.sigmoid(frozen)))
    return frozen + (x - jax.lax.stop_gradient(x)) * slope


def _sigmoid_slope_of(z: Any, slope: Any) -> Any:
    """sigmoid(z) whose derivative is ``slope`` (computed from z): how a bug's backward sees it."""
    frozen = jax.lax.stop_gradient(jax.nn.sigmoid(z))
    return frozen + (z - jax.lax.stop_gradient(z)) * jax.lax.stop_gradient(slope)


def unpack(params: Any, dx: int, dy: int) -> tuple[Any, Any, Any, Any]:
    """W1, b1, W2, b2 from the flat vector, in the handout's order; H follows from its length."""
    h = (params.shape[0] - dy) // (dx + 1 + dy)
    sizes = np.cumsum([dx * h, h, h * dy])
    W1, b1, W2, b2 = jnp.split(params, sizes)
    return W1.reshape(dx, h), b1.reshape(1, h), W2.reshape(h, dy), b2.reshape(1, dy)


def two_layer(
    params: Any, X: Any, labels: Any, *, mean: bool = False, grad_scale: float = 1.0, slope_at: str = "h"
) -> Any:
    """The cross-entropy cost, summed over the rows (or their mean); the keywords model bugs.

    ``grad_scale`` scales the gradient and not the cost; ``slope_at`` "z" takes the sigmoid's
    derivative as z (1 - z) of the pre-activation z (sigmoid_grad given z instead of h).
    """
    W1, b1, W2, b2 = unpack(params, X.shape[1], labels.shape[1])
    z = X @ W1 + b1
    h = jax.nn.sigmoid(z) if slope_at == "h" else _sigmoid_slope_of(z, z * (1 - z))
    cost = -jnp.sum(labels * jax.nn.log_softmax(h @ W2 + b2, axis=1))
    if mean:
        cost = cost / X.shape[0]
    frozen = jax.lax.stop_gradient(cost)
    return frozen + grad_scale * (cost - frozen)


# -------------------------------------------------------------------- the calls


def sigmoid_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    """``ds = sigmoid_grad(s)`` of the check's s = sigmoid(x): the gradient of x is ds * upstream."""
    x = np.asarray(inputs[0])
    s = 1 / (1 + np.exp(-x))
    slope = step("sigmoid_grad", impl[0], copy_for_student(s))
    if slope is None:
        raise Unfinished("sigmoid_grad returned None")
    try:
        grad = np.asarray(slope) * np.asarray(upstream)
    except (TypeError, ValueError) as exc:
        raise Problem(f"sigmoid_grad returned {type(slope).__name__}, not an array of numbers") from exc
    return Outcome(s, {names[0]: grad})


def network_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    """``forward_backward_prop(X, labels, params, [Dx, H, Dy]) -> (cost, grad)``."""
    params, X, labels = inputs
    dx, dy = X.shape[1], labels.shape[1]
    dimensions = [dx, (params.shape[0] - dy) // (dx + 1 + dy), dy]
    before = Watch()
    for label, value in (("params", params), ("data", X), ("labels", labels)):
        before.watch(label, value)
    stage = "forward_backward_prop"
    cost, grad = pair(step(stage, impl[0], X, labels, params, dimensions), stage, "(cost, grad)")
    return Outcome(output(cost, stage), {names[0]: kept(grad)}, warning=edited(stage, before))


def infer_mean(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """Summed (the handout) or averaged over the M examples: whichever the student's cost is."""
    params, X, labels = (np.asarray(v, dtype=np.float64) for v in inputs)
    cost = as_float(student.out)
    total = float(two_layer(jnp.asarray(params), jnp.asarray(X), jnp.asarray(labels)))
    if cost is None or not np.isfinite(cost):
        return settings
    m = X.shape[0]
    if abs(cost - total / m) < abs(cost - total):
        student.warning = joined(student.warning, MEAN)
        return {**settings, "mean": True}
    return settings


# -------------------------------------------------------------------- samplers


def values(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    return [rng.standard_normal(shapes[0])]


def network_inputs(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    """The flat parameters, the data and one-hot labels (every class drawn when M allows)."""
    (p,), (m, dx), (_, dy) = shapes
    classes = rng.permutation(np.arange(m) % dy)
    labels = np.eye(dy)[classes]
    return [rng.standard_normal(p), rng.standard_normal((m, dx)), labels]


def _network_shapes(m: int, dx: int, h: int, dy: int) -> tuple[Shape, ...]:
    return ((dx * h + h + h * dy + dy,), (m, dx), (m, dy))


declare(
    Reference(
        "sigmoid_grad",
        ACTIVATION,
        jax.nn.sigmoid,
        ("x",),
        (((2, 3),), ((5,),)),
        values,
        call=sigmoid_call,
        names=("sigmoid_grad",),
        bugs=(
            gradient_bug(
                "sigmoid_grad takes x, not s = sigmoid(x): it returns sigmoid(s) * (1 - sigmoid(s))",
                _derivative_at_output,
            ),
        ),
    )
)

declare(
    Reference(
        "forward_backward_prop",
        NETWORK,
        two_layer,
        ("params",),
        tuple(_network_shapes(*sizes) for sizes in SIZES),
        network_inputs,
        call=network_call,
        names=("forward_backward_prop",),
        upstream=False,
        adapt=infer_mean,
        bugs=(
            gradient_bug(
                "the sigmoid's derivative taken of the pre-activation z = X W1 + b1: sigmoid_grad(z), "
                "not sigmoid_grad(h)",
                lambda p, X, y, **s: two_layer(p, X, y, **{**s, "slope_at": "z"}),
            ),
            # each only where the cost follows the other convention (elsewhere it changes nothing)
            gradient_bug(
                "the cost is summed over the M examples but the gradient divided by M",
                lambda p, X, y, **s: two_layer(p, X, y, **s, grad_scale=1.0 if s.get("mean") else 1 / len(X)),
            ),
            gradient_bug(
                "the cost is averaged over the M examples but the gradient is not divided by M",
                lambda p, X, y, **s: two_layer(p, X, y, **s, grad_scale=len(X) if s.get("mean") else 1.0),
            ),
        ),
    )
)
