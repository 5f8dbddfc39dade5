"""The book's ``Network``: ``backprop(x, y) -> (nabla_b, nabla_w)``, and network2.py's costs.

- ``nielsen.Network`` (a class ``Network(sizes)``; ``nielsen.NeuralNet`` for the rewrites that
  call it so): built with sizes (4, 5, 3, 2), its ``biases`` and ``weights`` set to the case's
  (column-vector biases (n, 1), weights (n_out, n_in)), then ``backprop(x, y)`` for one example
  x (4, 1), y (2, 1). The gradients are of one example's cost, no 1/n: the quadratic cost
  0.5 * ||a - y||**2 (network.py) or the cross-entropy (network2.py's default), whichever the
  student's output-layer delta is (``adapt``: noted on the row). The forward output compared is
  the cost of the network's own ``feedforward(x)`` (or ``forward``, ``feed_forward``). Ports
  that return ``(nabla_w, nabla_b)``, weights first, are read so (a convention, noted) unless
  the class's own caller unpacks the other order: then the two are swapped in use, a bug.
- ``nielsen.QuadraticCost``, ``nielsen.CrossEntropyCost``: ``delta(z, a, y)`` is the gradient of
  ``fn(a, y)`` with respect to z, a = sigmoid(z).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome, describe
from oracle.core.lazy_jax import jax, jnp
from oracle.course.calling.calls import Problem, Watch, buildable, copy_for_student, edited, kept, notes, step
from oracle.course.judging.bugs import gradient_bug
from oracle.course.judging.conventions import CONVENTION, joined
from oracle.course.reference import Reference, Shape, declare

SIZES = (4, 5, 3, 2)
LAYERS = len(SIZES) - 1
BIASES = tuple(f"b{k + 1}" for k in range(LAYERS))
WEIGHTS = tuple(f"w{k + 1}" for k in range(LAYERS))
SHAPES = (
    tuple((n, 1) for n in SIZES[1:])
    + tuple((n_out, n_in) for n_in, n_out in itertools.pairwise(SIZES))
    + ((SIZES[0], 1), (SIZES[-1], 1)),
)
FORWARDS = ("feedforward", "forward", "feed_forward")
WEIGHTS_FIRST = CONVENTION + "backprop returns (nabla_w, nabla_b), weights first, as this port does"


def cost_of(a: Any, y: Any, cost: str) -> Any:
    if cost == "cross_entropy":
        return jnp.sum(-y * jnp.log(a) - (1 - y) * jnp.log(1 - a))
    return 0.5 * jnp.sum((a - y) ** 2)


def network(
    *arrays: Any, cost: str = "quadratic", prime_of_activation: bool = False, stale: bool = False
) -> Any:
    """One example's cost; ``prime_of_activation``: a bug's model, sigmoid' taken of a, not z."""
    biases, weights = arrays[:LAYERS], arrays[LAYERS : 2 * LAYERS]
    x, y = arrays[2 * LAYERS :]
    a = x
    for b, w in zip(biases, weights, strict=True):
        z = w @ a + b
        s = jax.nn.sigmoid(z)
        if prime_of_activation:  # the value of sigmoid(z), the slope of sigmoid at sigmoid(z)
            t = jax.nn.sigmoid(jax.lax.stop_gradient(s))
            slope = t * (1 - t) / jax.lax.stop_gradient(s * (1 - s))
            s = jax.lax.stop_gradient(s) + slope * (s - jax.lax.stop_gradient(s))
        a = s
    return cost_of(a, y, cost)


def sample(rng: np.random.Generator, shapes: Sequence[Shape]) -> list[np.ndarray]:
    *params, x_shape, y_shape = shapes
    values = [np.asarray(rng.standard_normal(s)) for s in params]
    y = np.zeros(y_shape)
    y[rng.integers(0, y_shape[0]), 0] = 1.0  # one-hot, as the training data's
    return [*values, np.asarray(rng.standard_normal(x_shape)), y]


def _output(net: Any, x: np.ndarray) -> Any:
    for name in FORWARDS:
        method = getattr(net, name, None)
        if callable(method):
            return step(f"{type(net).__name__}.{name}", method, x)
    return None


def _cost_value(net: Any, a: Any, y: np.ndarray) -> Any:
    """The cost of the output ``a``: the network's own ``cost.fn`` if it has one, else the quadratic."""
    own = getattr(getattr(net, "cost", None), "fn", None)
    if callable(own):
        return step(f"{type(net).__name__}.cost.fn", own, copy_for_student(a), copy_for_student(y))
    return 0.5 * float(np.sum((np.asarray(a, dtype=np.float64) - y) ** 2))


def unpacked_order(cls: type) -> str:
    """'b' or 'w': which the class's own caller of backprop unpacks first ('' if none does)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return ""
    found = re.search(r"(\w+)\s*,\s*(\w+)\s*=\s*self\.backprop\(", source)
    if not found:
        return ""
    first, second = found.group(1).lower(), found.group(2).lower()
    if first.endswith("b") and second.endswith("w"):
        return "b"
    return "w" if first.endswith("w") and second.endswith("b") else ""


def backprop_call(class_name: str) -> Any:
    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        (cls,) = impl
        buildable(class_name, _sizes_only(cls))
        net = step(f"{class_name}({list(SIZES)})", cls, list(SIZES))
        biases = [np.array(v) for v in inputs[:LAYERS]]
        weights = [np.array(v) for v in inputs[LAYERS : 2 * LAYERS]]
        x, y = inputs[2 * LAYERS :]
        net.biases, net.weights = biases, weights
        watch = Watch()
        watch.watch("x", x)
        watch.watch("self.biases", biases)
        watch.watch("self.weights", weights)
        returned = step(f"{class_name}.backprop", net.backprop, x, y)
        if not isinstance(returned, list | tuple) or len(returned) != 2:
            raise Problem(f"{class_name}.backprop returned {describe(returned)}, expected (nabla_b, nabla_w)")
        first, second = (list(r) if isinstance(r, list | tuple) else r for r in returned)
        warning, problem = "", ""
        if _shapes(first) == [w.shape for w in weights] and _shapes(second) == [b.shape for b in biases]:
            first, second = second, first
            if unpacked_order(cls) == "b":
                problem = (
                    f"{class_name}.backprop returns (nabla_w, nabla_b), weights first, but the class's own "
                    "caller unpacks the biases' gradients first: each gets the other's"
                )
            else:
                warning = WEIGHTS_FIRST
        grads: dict[str, Any] = {}
        for name, part, count in ((BIASES, first, LAYERS), (WEIGHTS, second, LAYERS)):
            if not isinstance(part, list) or len(part) != count:
                problem = problem or (
                    f"{class_name}.backprop returned {describe(part)} where a list of {count} "
                    "gradients belongs"
                )
                continue
            grads.update({n: kept(g) for n, g in zip(name, part, strict=True)})
        a = _output(net, copy_for_student(x))
        cost = _cost_value(net, a, y) if a is not None else _plain_cost(biases, weights, x, y)
        return Outcome(
            kept(cost),
            grads,
            problem=problem,
            warning=notes(warning, edited(f"{class_name}.backprop", watch)),
        )

    return call


def _plain_cost(biases: Sequence[np.ndarray], weights: Sequence[np.ndarray], x: Any, y: Any) -> float:
    a = x
    for b, w in zip(biases, weights, strict=True):
        a = 1 / (1 + np.exp(-(w @ a + b)))
    return 0.5 * float(np.sum((a - y) ** 2))


def _shapes(part: Any) -> list[Any]:
    if not isinstance(part, list):
        return []
    return [np.shape(g) for g in part]


def _sizes_only(cls: Any) -> Any:
    """A stand-in whose signature is the class's after its first argument (the sizes) is given."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return cls
    rest = list(signature.parameters.values())[1:]

    def built(*args: Any, **kwargs: Any) -> None: ...

    built.__signature__ = signature.replace(parameters=rest)  # type: ignore[attr-defined]
    return built


def infer_cost(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """Quadratic (network.py) or cross-entropy (network2.py): the cost the student's network reports
    (its ``cost.fn`` of its own output), else the one its output-layer delta is."""
    args = [jnp.asarray(v) for v in inputs]
    for cost in COSTS:
        if _close(student.out, network(*args, cost=cost)):
            return _chosen(settings, student, cost, "your network's cost")
    got = student.grads.get(BIASES[-1])
    for cost in COSTS:
        grads = jax.grad(lambda *p, c=cost: network(*p, *args[2 * LAYERS :], cost=c), argnums=LAYERS - 1)(
            *args[: 2 * LAYERS]
        )
        if got is not None and _close(got, grads):
            return _chosen(settings, student, cost, "your output delta")
    return settings


COSTS = ("quadratic", "cross_entropy")


def _close(got: Any, expected: Any) -> bool:
    try:
        got64 = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected64 = np.asarray(expected, dtype=np.float64)
    return got64.shape == expected64.shape and compare(got64, expected64, "float64").ok


def _chosen(settings: Mapping[str, Any], student: Outcome, cost: str, source: str) -> Mapping[str, Any]:
    if cost == "cross_entropy":
        note = f"{CONVENTION}the cross-entropy cost (network2.py's), read off {source}"
        student.warning = joined(student.warning, note)
    return {**settings, "cost": cost}


def _quadratic_delta(*arrays: Any, **settings: Any) -> Any:
    return network(*arrays, **{**settings, "cost": "quadratic"})


for _name in ("Network", "NeuralNet"):
    declare(
        Reference(
            f"nielsen.{_name}", "nielsen", network, BIASES + WEIGHTS, SHAPES, sample,
            call=backprop_call(_name), names=(_name,), upstream=False, adapt=infer_cost,
            bugs=(
                gradient_bug(
                    "the output delta keeps sigmoid_prime(z) with the cross-entropy cost "
                    "(the quadratic cost's delta)",
                    _quadratic_delta,
                ),
                gradient_bug(
                    "sigmoid_prime taken of the activation a, not of z",
                    functools.partial(network, prime_of_activation=True),
                ),
            ),
        )
    )  # fmt: skip
