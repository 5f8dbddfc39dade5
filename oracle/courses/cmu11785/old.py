"""The Fall 2020-2021 handouts' HW1 and HW3 ``Linear`` and their ``SoftmaxCrossEntropy``.

``Linear(in_feature, out_feature[, weight_init_fn, bias_init_fn])``: HW1 keeps W as (in, out)
and b as (1, out), HW3 W as (out, in) and b as (out,); both leave ``self.dW`` and ``self.db``
averaged over the batch (dx is not). The layout is read off the object the student's own
constructor built; the gradients are compared in the current handout's layout, times N,
which the row notes. ``SoftmaxCrossEntropy.forward(x, y)`` returns the per-example losses
(N,) and ``derivative()`` softmax - y, for the caller to multiply. ``BatchNorm(in_feature)``
is HW1's batch norm as ``mlp``'s ``BatchNorm1d``, its parameters ``gamma`` and ``beta``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import APPLIES, CannotCall, Problem, Watch, edited, kept, notes, output, step
from oracle.course.calling.objects import Layer, object_call
from oracle.course.judging.conventions import CONVENTION
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cmu11785.mlp import batchnorm, infer_eps

P = "cmu."
AVERAGED = f"{CONVENTION}dW and db averaged over the batch (the Fall 2020-2021 handout): compared times N"


def _parameters(cls: Any) -> list[str]:
    try:
        return [p.name for p in inspect.signature(cls).parameters.values()]
    except (TypeError, ValueError):
        return []


def old_handout(objects: Sequence[Any]) -> bool:
    """A Linear whose __init__ takes ``in_feature`` (singular): the 2020-2021 handouts."""
    return "in_feature" in _parameters(objects[0])


APPLIES[P + "Linear"] = lambda objects: not old_handout(objects)
APPLIES[P + "Linear_2020"] = old_handout


def _weights(d0: int, d1: int) -> np.ndarray:
    return np.zeros((d0, d1))


def _bias(d: int) -> np.ndarray:
    return np.zeros((1, d))  # the HW1 handout's b: a row


def old_linear(names: Sequence[str], impl: Sequence[Any], inputs: Sequence[Any], upstream: Any,
               settings: Mapping[str, Any]) -> Outcome:  # fmt: skip
    """Build with the sizes (and zero initializers if asked), set W and b in the built object's layout."""
    cls = impl[0]
    a, w, b = inputs
    out_f, in_f = w.shape
    required = [p for p in _parameters(cls) if p not in ("self",)]
    args: tuple[Any, ...] = (in_f, out_f, *(_weights, _bias)[: max(0, min(2, len(required) - 2))])
    try:
        inspect.signature(cls).bind(*args)
    except TypeError as exc:
        raise CannotCall(
            f"Linear: built as Linear(in_feature, out_feature, ...), which it does not take ({exc})"
        ) from exc
    obj = step("Linear()", cls, *args)
    transposed = np.shape(getattr(obj, "W", 0)) == (in_f, out_f) and in_f != out_f
    bias_shape = np.shape(getattr(obj, "b", 0))
    obj.W = w.T.copy() if transposed else w
    obj.b = b.reshape(bias_shape) if int(np.prod(bias_shape)) == b.size else b
    before = Watch()
    before.watch("A", a)
    out = output(step("Linear.forward", obj.forward, a), "Linear.forward")
    dout = np.array(upstream, copy=True)
    dx = step("Linear.backward", obj.backward, dout)
    n = a.shape[0]
    grads: dict[str, Any] = {"A": kept(dx)}
    for name, attribute in (("W", "dW"), ("b", "db")):
        value = getattr(obj, attribute, None)
        if value is None:
            raise Problem(
                f"Linear.backward never set self.{attribute}: the trainer reads the gradient of {name} there"
            )
        value = np.asarray(value, dtype=np.float64) * n
        if name == "W" and transposed:
            value = value.T
        if name == "b" and value.size == b.size and value.shape == bias_shape:
            value = value.reshape(b.shape)
        grads[name] = value
    return Outcome(out, grads, warning=notes(edited("Linear.forward", before), AVERAGED))


def linear(a: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    return a @ w.T + jnp.reshape(b, (1, -1))


declare(
    Reference(
        P + "Linear_2020",
        LAYER,
        linear,
        ("A", "W", "b"),
        (((4, 5), (3, 5), (3, 1)), ((6, 2), (4, 2), (4, 1))),
        normal,
        call=old_linear,
        names=("Linear",),
    )
)


def per_example_cross_entropy(x: jax.Array, y: jax.Array) -> jax.Array:
    return -jnp.sum(y * jax.nn.log_softmax(x, axis=1), axis=1)


def _one_hot(rng: np.random.Generator, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    (shape,) = shapes
    return [rng.standard_normal(shape), np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]]


declare(
    Reference(
        P + "SoftmaxCrossEntropy",
        LAYER,
        per_example_cross_entropy,
        ("x",),
        (((5, 4),), ((8, 10),)),
        _one_hot,
        call=object_call(
            Layer(
                "SoftmaxCrossEntropy",
                forward=(0, 1),
                derivative=f"{CONVENTION}derivative() returns softmax - y per example (2020-2021 handout)",
                local_backward=(
                    f"{CONVENTION}backward() returns softmax - y per example "
                    "(the HW3P1 handout of some terms, Fall 2024's)"
                ),
            )
        ),
        names=("SoftmaxCrossEntropy",),
    )
)


def _in_feature(
    inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (inputs[1].size,), {}


declare(
    Reference(
        P + "BatchNorm",
        LAYER,
        batchnorm,
        ("x", "gamma", "beta"),
        (((6, 5), (1, 5), (1, 5)), ((8, 3), (1, 3), (1, 3))),
        normal,
        call=object_call(
            Layer(
                "BatchNorm",
                build=_in_feature,
                attributes={"gamma": 1, "beta": 2},
                grads=("return", "dgamma", "dbeta"),
            )
        ),
        names=("BatchNorm",),
        adapt=infer_eps,
    )
)
