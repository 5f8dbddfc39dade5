"""HW1P1: ``Linear``, the activations, ``BatchNorm1d``, ``MSELoss`` and ``CrossEntropyLoss``.

The current handout (Fall 2022 on): ``Linear(in_features, out_features)``, W (out, in) and b
(out, 1) set after building; ``forward(A)``, ``backward(dLdZ)`` returns dLdA and leaves
``self.dLdW``, ``self.dLdb``, sums over the batch (the loss holds the 1/N). Activations
``forward(Z)``, ``backward(dLdA)`` -> dLdZ; the Fall 2020-2021 handout's ``derivative()``
returns dA/dZ for the caller to multiply, and is called so (noted on the row). Losses
``forward(A, Y)`` return the mean, ``backward()`` takes no gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.objects import Layer, object_call
from oracle.course.judging.bugs import Bug, returns
from oracle.course.judging.conventions import CONVENTION, joined
from oracle.course.judging.samplers import at_zero, normal, with_zeros
from oracle.course.reference import LAYER, LOSS, Reference, declare
from oracle.ops import vision

P = "cmu."
OLD = f"{CONVENTION}derivative() returns dA/dZ, multiplied by the checker (the Fall 2020-2021 handout)"
LOCAL = (
    f"{CONVENTION}backward() takes no dLdA and returns dA/dZ, multiplied by the checker "
    "(some terms' HW2P1 and HW3P1 handouts, Fall 2024's)"
)
ELEMENTWISE = (((4, 5),), ((3, 7),))


def _activation(name: str, fn: Any, **more: Any) -> None:
    layer = Layer(name, derivative=OLD, local_backward=LOCAL)
    declare(Reference(P + name, LAYER, fn, ("Z",), more.pop("shapes", ELEMENTWISE), normal,
                      call=object_call(layer), names=(name,), **more))  # fmt: skip


_activation("Identity", lambda z: z)
_activation(
    "Sigmoid",
    jax.nn.sigmoid,
    bugs=(
        Bug(
            "the derivative taken of Z, Z (1 - Z), instead of A (1 - A)",
            "Z",
            returns(lambda s: None if s.upstream is None else s.upstream * s.inputs[0] * (1 - s.inputs[0])),
        ),
    ),
)
_activation("Tanh", jnp.tanh)
_activation(
    "ReLU",
    jax.nn.relu,
    kinks=at_zero,
    edge=with_zeros,
    kink_text="relu at Z == 0",
    edge_text="exact zeros in Z",
)
_activation("GELU", lambda z: jax.nn.gelu(z, approximate=False))
_activation("Softmax", lambda z: jax.nn.softmax(z, axis=1))


def linear(a: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """Z = A W^T + 1 b^T: W (out, in), b (out, 1) as the handout makes them."""
    return a @ w.T + jnp.reshape(b, (1, -1))


def _sizes(
    inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    out_features, in_features = inputs[1].shape
    return (in_features, out_features), {}


def _per_batch(s: Any, part: str) -> Any:
    """The handout's gradient of ``part`` divided by N: the old handout's average, twice scaled now."""
    n = s.inputs[0].shape[0]
    return None if s.upstream is None else np.asarray(s.jax.grads[part]) / n


declare(
    Reference(
        P + "Linear",
        LAYER,
        linear,
        ("A", "W", "b"),
        (((4, 5), (3, 5), (3, 1)), ((6, 2), (4, 2), (4, 1))),
        normal,
        call=object_call(
            Layer("Linear", build=_sizes, attributes={"W": 1, "b": 2}, grads=("return", "dLdW", "dLdb"))
        ),
        names=("Linear",),
        bugs=(
            Bug(
                "dLdW divided by N: the loss's backward already holds the 1/N",
                "W",
                returns(lambda s: _per_batch(s, "W")),
            ),
            Bug(
                "dLdb divided by N: the loss's backward already holds the 1/N",
                "b",
                returns(lambda s: _per_batch(s, "b")),
            ),
            Bug(
                "dLdb of shape (out,): the handout's b is a column (out, 1)",
                "b",
                returns(lambda s: np.asarray(s.jax.grads["b"]).reshape(-1)),
            ),
        ),
    )
)

# ------------------------------------------------------------------ batch norm

BN_EPS = (1e-8, 1e-5, 1e-6, 1e-7, 1e-3, 0.0)  # the handout's 1e-8 first


def batchnorm(z: jax.Array, bw: jax.Array, bb: jax.Array, eps: float = 1e-8) -> jax.Array:
    return vision.batchnorm(z, jnp.reshape(bw, (-1,)), jnp.reshape(bb, (-1,)), eps)


def infer_eps(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """The epsilon of the student's variance, read off their output: the handout's 1e-8, else the best fit."""
    out, _ = as_numbers(student.out, "out")
    z, bw, bb = (np.asarray(v, dtype=np.float64) for v in inputs[:3])
    if out is None or out.shape != z.shape:
        return settings
    centred = z - z.mean(axis=0)
    var = (centred**2).mean(axis=0)
    errors = [float(np.max(np.abs(out - (bw * centred / np.sqrt(var + e) + bb)))) for e in BN_EPS]
    eps = BN_EPS[int(np.argmin(errors))]
    if eps != BN_EPS[0]:
        student.warning = joined(
            student.warning, f"{CONVENTION}eps = {eps:g} in the variance (read off your output)"
        )
    return {**settings, "eps": eps}


def _features(
    inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (inputs[1].size,), {}


declare(
    Reference(
        P + "BatchNorm1d",
        LAYER,
        batchnorm,
        ("Z", "BW", "Bb"),
        (((6, 5), (1, 5), (1, 5)), ((8, 3), (1, 3), (1, 3))),
        normal,
        call=object_call(
            Layer(
                "BatchNorm1d",
                build=_features,
                attributes={"BW": 1, "Bb": 2},
                grads=("return", "dLdBW", "dLdBb"),
            )
        ),
        names=("BatchNorm1d",),
        adapt=infer_eps,
        bugs=(
            Bug(
                "dLdZ of shape (1, N, D): a product with a list (x * [y]) adds an axis",
                "Z",
                returns(lambda s: None if s.upstream is None else np.asarray(s.jax.grads["Z"])[None]),
            ),
        ),
    )
)

# ------------------------------------------------------------------ losses


def mse(a: jax.Array, y: jax.Array) -> jax.Array:
    return jnp.mean(jnp.square(a - y))


def cross_entropy(a: jax.Array, y: jax.Array) -> jax.Array:
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(a, axis=1), axis=1))


def one_hot(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    return [rng.standard_normal(shape), np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]]


def targets(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    return [rng.standard_normal(shape), rng.standard_normal(shape)]


LOSS_SHAPES = (((5, 4),), ((8, 3),))


def _nc(s: Any) -> float:
    return float(np.prod(s.inputs[0].shape))


declare(
    Reference(
        P + "MSELoss",
        LOSS,
        mse,
        ("A",),
        LOSS_SHAPES,
        targets,
        call=object_call(Layer("MSELoss", forward=(0, 1), upstream=False, scalar=True)),
        names=("MSELoss",),
        bugs=(
            Bug(
                "backward without the 1/(N*C) of the mean: 2 (A - Y)",
                "A",
                returns(lambda s: 2 * (s.inputs[0] - s.inputs[1])),
            ),
            Bug(
                "backward without the 2: (A - Y) / (N*C)",
                "A",
                returns(lambda s: (s.inputs[0] - s.inputs[1]) / _nc(s)),
            ),
        ),
    )
)
declare(
    Reference(
        P + "CrossEntropyLoss",
        LOSS,
        cross_entropy,
        ("A",),
        LOSS_SHAPES,
        one_hot,
        call=object_call(Layer("CrossEntropyLoss", forward=(0, 1), upstream=False, scalar=True)),
        names=("CrossEntropyLoss",),
    )
)
