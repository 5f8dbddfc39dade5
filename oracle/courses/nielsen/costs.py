"""network2.py's cost classes: ``fn(a, y)`` the cost, ``delta(z, a, y)`` its gradient with respect to z.

``nielsen.QuadraticCost`` and ``nielsen.CrossEntropyCost``: a = sigmoid(z) for one column-vector
example. The delta's arguments are passed by name when the student's static method names
them z, a, y in another order (``delta(a, y, z=None)`` in some rewrites), else as the book's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.core.lazy_jax import jax
from oracle.course.calling.calls import copy_for_student, kept, step
from oracle.course.judging.bugs import gradient_bug
from oracle.course.reference import Reference, Shape, declare
from oracle.courses.nielsen.network import cost_of

SHAPES = (((3, 1), (3, 1)), ((10, 1), (10, 1)))


def cost(z: Any, y: Any, *, kind: str, prime: bool = False) -> Any:
    """The cost of a = sigmoid(z); ``prime``: a bug's model, the cross-entropy delta times sigmoid'(z)."""
    a = jax.nn.sigmoid(z)
    if prime:  # gradient (a - y) with respect to z: the sigmoid's slope left out
        return jax.numpy.sum(jax.lax.stop_gradient(a - y) * z) + jax.lax.stop_gradient(
            cost_of(a, y, kind) - jax.numpy.sum((a - y) * z)
        )
    return cost_of(a, y, kind)


def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    z_shape, y_shape = shapes
    y = np.zeros(y_shape)
    y[rng.integers(0, y_shape[0]), 0] = 1.0
    return [np.asarray(rng.standard_normal(z_shape)), y]


def cost_call(class_name: str) -> Any:
    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        (cls,) = impl
        z, y = inputs
        a = 1.0 / (1.0 + np.exp(-np.asarray(z)))
        value = step(f"{class_name}.fn", cls.fn, copy_for_student(a), copy_for_student(y))
        arguments = {"z": copy_for_student(z), "a": copy_for_student(a), "y": copy_for_student(y)}
        try:
            spelled = list(inspect.signature(cls.delta).parameters)
        except (TypeError, ValueError):
            spelled = []
        if set(spelled) == set(arguments) and spelled != ["z", "a", "y"]:
            delta = step(f"{class_name}.delta", cls.delta, **arguments)
        else:
            delta = step(f"{class_name}.delta", cls.delta, *arguments.values())
        return Outcome(kept(value), {"z": kept(delta)})

    return call


KEEPS_PRIME = gradient_bug(
    "the delta keeps sigmoid'(z): (a - y) * sigmoid_prime(z), the quadratic cost's",
    functools.partial(cost, kind="quadratic"),
)
for _name, _kind in (("QuadraticCost", "quadratic"), ("CrossEntropyCost", "cross_entropy")):
    _bugs = (
        (KEEPS_PRIME,)
        if _kind == "cross_entropy"
        else (
            gradient_bug(
                "sigmoid_prime(z) left out of the delta: a - y",
                functools.partial(cost, kind=_kind, prime=True),
            ),
        )
    )
    declare(
        Reference(
            f"nielsen.{_name}", "nielsen", functools.partial(cost, kind=_kind), ("z",), SHAPES, sample,
            call=cost_call(_name), names=(_name,), upstream=False, bugs=_bugs,
        )
    )  # fmt: skip
