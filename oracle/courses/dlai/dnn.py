"""Course 1, week 4: "Building your Deep Neural Network: Step by Step".

Features by examples: A (n_prev, m), W (n, n_prev), b (n, 1), Z = W A + b. The course's
dW and db carry 1/m, dA_prev does not (``conventions``). Targets:

- ``dlai.linear``: ``linear_forward(A, W, b) -> (Z, (A, W, b))``, ``linear_backward(dZ, cache)
  -> (dA_prev, dW, db)``;
- ``dlai.linear_activation_relu`` and ``dlai.linear_activation_sigmoid``:
  ``linear_activation_forward(A_prev, W, b, activation) -> (A, ((A_prev, W, b), Z))`` and
  ``linear_activation_backward(dA, cache, activation)``, once per activation;
- ``dlai.L_model``: ``L_model_forward(X, parameters) -> (AL, caches)`` and
  ``L_model_backward(AL, Y, caches) -> grads`` (``dA0`` for X, ``dW1``, ``db1``...), three
  layers [LINEAR->RELU]*2 -> LINEAR->SIGMOID; judged on the cross-entropy summed over the
  examples (the course's dAL), its AL compared too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import (
    Problem,
    Watch,
    copy_for_student,
    edited,
    kept,
    notes,
    output,
    pair,
    step,
)
from oracle.course.judging.bugs import GRADIENTS, Bug, Suspect, gradient_bug, returns
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.dlai.calls import cached_call, from_dict
from oracle.courses.dlai.conventions import mean_convention, scaled


def normal(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    return [np.asarray(rng.standard_normal(shape)) for shape in shapes]


LINEAR_SHAPES = (((4, 5), (3, 4), (3, 1)), ((6, 3), (2, 6), (2, 1)))


def activate(Z: Any, activation: str, grad_of: str = "") -> Any:
    """The activation's value; its gradient that of ``grad_of`` (a bug's model) when given."""
    value = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid}
    if activation not in value:
        return Z
    out = value[activation](Z)
    if grad_of and grad_of != activation:
        other = value[grad_of](Z)
        out = jax.lax.stop_gradient(out - other) + other
    return out


def linear(
    A: Any,
    W: Any,
    b: Any,
    *,
    mean: bool = True,
    activation: str = "",
    grad_of: str = "",
    dA_over_m: bool = False,
    m_rows: bool = False,
) -> Any:
    """W A + b (then the activation); dW and db with 1/m when ``mean``. The other keywords model bugs."""
    m = A.shape[0] if m_rows else A.shape[1]
    k = 1.0 / m if mean else 1.0
    A_in = scaled(A, 1.0 / A.shape[1]) if dA_over_m else A
    return activate(scaled(W, k) @ A_in + scaled(b, k), activation, grad_of)


def _flat(s: Suspect) -> Any:
    """JAX's gradient of a bias, flattened: what a sum without keepdims gives."""
    expected = np.asarray(s.jax.grads[s.name])
    return expected.reshape(-1) if s.name.startswith("b") and expected.ndim == 2 else None


KEEPDIMS = Bug("db summed without keepdims=True: shape (n,) instead of (n, 1)", GRADIENTS, returns(_flat))


def linear_bugs(activation: str) -> tuple[Bug, ...]:
    found: list[Bug] = [
        KEEPDIMS,
        gradient_bug(
            "dA_prev carries 1/m too (the course puts 1/m in dW and db only)",
            functools.partial(linear, dA_over_m=True, activation=activation),
            inputs=("A",),
        ),
        gradient_bug(
            "m read as A_prev.shape[0] (the examples are the columns: m = A_prev.shape[1])",
            functools.partial(linear, m_rows=True, activation=activation),
            inputs=("W", "b"),
        ),
    ]
    if activation:
        other = "sigmoid" if activation == "relu" else "relu"
        found.append(
            gradient_bug(
                f"dZ taken with {other}_backward for a {activation} layer",
                functools.partial(linear, activation=activation, grad_of=other),
            )
        )
    return tuple(found)


declare(
    Reference(
        "dlai.linear", "dlai", linear, ("A", "W", "b"), LINEAR_SHAPES, normal,
        call=cached_call("linear_forward", "linear_backward"),
        names=("linear_forward", "linear_backward"),
        adapt=mean_convention(linear, 3, 1, "W"), bugs=linear_bugs(""),
    )
)  # fmt: skip

ACTIVATION_PAIR = ("linear_activation_forward", "linear_activation_backward")
for _activation in ("relu", "sigmoid"):
    _fn = functools.partial(linear, activation=_activation)
    declare(
        Reference(
            f"dlai.linear_activation_{_activation}", "dlai", linear, ("A", "W", "b"), LINEAR_SHAPES,
            normal,
            call=cached_call(*ACTIVATION_PAIR, activation="activation"),
            names=ACTIVATION_PAIR,
            settings=({"activation": _activation},), adapt=mean_convention(linear, 3, 1, "W"),
            bugs=linear_bugs(_activation),
        )
    )  # fmt: skip


# ------------------------------------------------------------------ L_model

LAYERS = ("W1", "b1", "W2", "b2", "W3", "b3")
L_NAMES = ("X", *LAYERS)
L_KEYS = ("dA0", "dW1", "db1", "dW2", "db2", "dW3", "db3")
L_SHAPES = (((4, 5), (3, 4), (3, 1), (2, 3), (2, 1), (1, 2), (1, 1), (1, 5)),)


def l_model(
    X: Any,
    *rest: Any,
    mean: bool = True,
    last: str = "sigmoid",
    dAL_over_m: bool = False,
    dA_over_m: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The cross-entropy summed over the examples, and AL; dW, db with 1/m when ``mean``."""
    *params, Y = rest
    m = X.shape[1]
    k = 1.0 / m if mean else 1.0
    A = X
    layers = len(params) // 2
    for layer in range(layers):
        W, b = scaled(params[2 * layer], k), scaled(params[2 * layer + 1], k)
        Z = W @ (scaled(A, 1.0 / m) if dA_over_m else A) + b
        A = activate(Z, "relu") if layer < layers - 1 else activate(Z, "sigmoid", last)
    AL = A
    loss = -jnp.sum(Y * jnp.log(AL) + (1 - Y) * jnp.log(1 - AL))
    return (scaled(loss, 1.0 / m) if dAL_over_m else loss), {"AL": AL}


def l_sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    *arrays, (_, m) = shapes
    values = [np.asarray(rng.standard_normal(s)) for s in arrays]
    return [*values, rng.integers(0, 2, (1, m)).astype(np.float64)]


KEYED_2017 = (
    "grads keyed as in the 2017 notebook (grads['dA' + str(l + 1)] holds layer l + 1's dA_prev: dA1 is "
    "X's gradient, no dA0); judged so"
)


def shifted_keys(returned: Any, layers: int) -> tuple[Any, str]:
    """The 2017 template's dA keys, one up (``dA1`` for X ... ``dA{L}``), read as today's ``dA0..``."""
    if not isinstance(returned, Mapping) or "dA0" in returned or f"dA{layers}" not in returned:
        return returned, ""
    moved = {k: v for k, v in returned.items() if not k.startswith("dA")}
    moved.update({f"dA{k - 1}": returned[f"dA{k}"] for k in range(1, layers + 1) if f"dA{k}" in returned})
    return moved, KEYED_2017


def l_model_call(
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[Any],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    forward, backward = impl
    X, *params, Y = inputs
    parameters = dict(zip(LAYERS, params, strict=True))
    before = Watch()
    before.watch("X", X)
    before.watch("parameters", parameters)
    AL, caches = pair(step("L_model_forward", forward, X, parameters), "L_model_forward", "(AL, caches)")
    AL = output(AL, "L_model_forward")
    forward_edits = edited("L_model_forward", before)
    try:
        probs = np.asarray(AL, dtype=np.float64)
        loss = -np.sum(Y * np.log(probs) + (1 - Y) * np.log(1 - probs))
    except (TypeError, ValueError) as exc:
        raise Problem(f"L_model_forward returned AL = {describe(AL)}, not an array of probabilities") from exc
    after = Watch({"X": X})
    given = copy_for_student(AL)
    after.watch("AL", given)
    after.watch("caches", caches)
    returned = step("L_model_backward", backward, given, copy_for_student(Y), caches)
    returned, keyed_2017 = shifted_keys(returned, len(params) // 2)
    grads, problem = from_dict(returned, names, L_KEYS, "L_model_backward")
    warning = notes(forward_edits, edited("L_model_backward", after), keyed_2017)
    return Outcome(loss, grads, extras={"AL": kept(AL)}, problem=problem, warning=warning)


declare(
    Reference(
        "dlai.L_model", "dlai", l_model, L_NAMES, L_SHAPES, l_sample,
        call=l_model_call, names=("L_model_forward", "L_model_backward"), aux=True, upstream=False,
        adapt=mean_convention(l_model, len(L_NAMES), 1, "W1"),
        bugs=(
            KEEPDIMS,
            gradient_bug("dA_prev carries 1/m too (the course puts 1/m in dW and db only)",
                         functools.partial(l_model, dA_over_m=True)),
            gradient_bug("the last layer's dZ taken with relu_backward, not sigmoid_backward",
                         functools.partial(l_model, last="relu")),
            gradient_bug("dAL divided by m (the course's 1/m is in dW and db already)",
                         functools.partial(l_model, dAL_over_m=True)),
        ),
    )
)  # fmt: skip
