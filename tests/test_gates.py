"""Every gate of ``reference.GATES``: forward against plain numpy, backward against finite differences.

The finite-difference cases iterate over the gate table: a gate added to ``GATES``
without a case here fails ``test_every_gate_has_finite_difference_cases``.
Inputs are chosen away from kinks (ties, 0 for relu/abs, svm margins of 0) and
from the singularities of log, sqrt, reciprocal and div, so central differences
are exact up to rounding there. The kinks themselves have their own tests below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from test_vision_gates import VISION_CASES, VISION_NUMPY  # the vision layers' rows (reference.layers)

from reference import GATES, Value, apply

# ------------------------------------------------------------------ helpers


def finite_difference_grads(
    f: Callable[..., np.ndarray], inputs: list[np.ndarray], upstream: np.ndarray, h: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of L = sum(upstream * f(*inputs)), one element of one input at a time (float64)."""
    grads = []
    for i, x in enumerate(inputs):
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):

            def loss(delta: float, i: int = i, index: tuple[int, ...] = index) -> float:
                moved = [a.copy() for a in inputs]
                moved[i][index] += delta
                return float(np.sum(upstream * f(*moved)))

            grad[index] = (loss(h) - loss(-h)) / (2 * h)
        grads.append(grad)
    return grads


def engine_grads(
    build: Callable[..., Value], inputs: list[np.ndarray], upstream: np.ndarray
) -> tuple[Value, list[np.ndarray]]:
    values = [Value(x) for x in inputs]
    out = build(*values)
    out.backward(upstream)
    return out, [v.grad for v in values]


def assert_matches_finite_differences(
    build: Callable[..., Value], inputs: list[np.ndarray], seed: int = 0
) -> None:
    rng = np.random.default_rng(seed)
    out_shape = build(*(Value(x) for x in inputs)).shape
    upstream = rng.uniform(0.5, 2.0, size=out_shape) * rng.choice([-1.0, 1.0], size=out_shape)  # non-unit
    _, grads = engine_grads(build, inputs, upstream)
    expected = finite_difference_grads(lambda *xs: build(*(Value(x) for x in xs)).data, inputs, upstream)
    for x, grad, fd in zip(inputs, grads, expected, strict=True):
        assert grad is not None
        assert grad.shape == x.shape
        assert grad.dtype == np.float64
        # h = 1e-6 in float64: truncation error ~h^2 = 1e-12, rounding error ~eps * |L| / h ~ 1e-9,
        # so rtol 1e-6 / atol 1e-8 leaves a margin of ~10x and still catches any wrong factor or sign.
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------ input makers

RNG = np.random.default_rng(20240611)


def normal(*shape: int) -> np.ndarray:
    return np.asarray(RNG.normal(size=shape), dtype=np.float64)


def positive(*shape: int) -> np.ndarray:
    """Away from the singularities of log, sqrt and pow at 0."""
    return np.asarray(RNG.uniform(0.5, 2.0, size=shape), dtype=np.float64)


def away_from_zero(*shape: int, low: float = 0.2) -> np.ndarray:
    """Away from the kinks of relu and abs, and from poles of 1/x."""
    return np.asarray(RNG.choice([-1.0, 1.0], size=shape) * RNG.uniform(low, 2.0, size=shape))


def grid(*shape: int, offset: float = 0.0) -> np.ndarray:
    """Multiples of 0.5 (plus offset): x on the grid and y a quarter off never tie in maximum/minimum."""
    return np.asarray(RNG.integers(-4, 5, size=shape) * 0.5 + offset, dtype=np.float64)


def distinct(*shape: int) -> np.ndarray:
    """Values at least 0.2 apart: a max reduction has a unique winner that a step of 1e-6 cannot change."""
    size = math.prod(shape)
    return (RNG.permutation(size) * 0.3 + RNG.uniform(0.0, 0.1, size) - 1.0).reshape(shape)


def svm_scores(n: int, c: int, labels: list[int]) -> np.ndarray:
    """Scores whose margins are all at least 0.05 away from 0, with active and inactive ones."""
    while True:
        scores = RNG.uniform(-1.5, 1.5, size=(n, c))
        margins = scores - scores[np.arange(n), labels][:, None] + 1
        margins[np.arange(n), labels] = 1.0  # the correct class has no margin
        if np.all(np.abs(margins) > 0.05) and (margins < 0).any() and (margins > 0).sum() > n:
            return scores


# ------------------------------------------------------------ the cases


@dataclass
class Case:
    gate: str
    inputs: list[np.ndarray]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.inputs = [np.array(x, dtype=np.float64) for x in self.inputs]  # 0-d arrays, not numpy scalars

    @property
    def id(self) -> str:
        shapes = "_".join("x".join(map(str, x.shape)) or "scalar" for x in self.inputs)
        attrs = ",".join(f"{k}={v}" for k, v in self.attrs.items())
        return f"{self.gate}[{shapes}]{'{' + attrs + '}' if attrs else ''}"

    def build(self, *values: Value) -> Value:
        return apply(self.gate, *values, **self.attrs)


BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((), (3, 4)),
    ((2, 3), ()),
    ((), ()),
    ((2, 1, 3), (4, 1)),
]
UNARY_SHAPES = [(), (5,), (3, 4)]


def make_cases() -> list[Case]:
    cases: list[Case] = []
    for x_shape, y_shape in BROADCAST_SHAPES:
        cases += [
            Case("add", [normal(*x_shape), normal(*y_shape)]),
            Case("sub", [normal(*x_shape), normal(*y_shape)]),
            Case("mul", [normal(*x_shape), normal(*y_shape)]),
            Case("div", [normal(*x_shape), away_from_zero(*y_shape, low=0.5)]),
            Case("maximum", [grid(*x_shape), grid(*y_shape, offset=0.25)]),
            Case("minimum", [grid(*x_shape, offset=0.25), grid(*y_shape)]),
        ]
    for shape in UNARY_SHAPES:
        cases += [
            Case("neg", [normal(*shape)]),
            Case("reciprocal", [away_from_zero(*shape, low=0.5)]),
            Case("exp", [normal(*shape)]),
            Case("log", [positive(*shape)]),
            Case("sqrt", [positive(*shape)]),
            Case("square", [normal(*shape)]),
            Case("tanh", [normal(*shape)]),
            Case("sigmoid", [2 * normal(*shape)]),
            Case("relu", [away_from_zero(*shape)]),
            Case("abs", [away_from_zero(*shape)]),
            Case("leaky_relu", [away_from_zero(*shape)], {"alpha": 0.1}),
            Case("add_const", [normal(*shape)], {"c": 2.5}),
            Case("add_const", [normal(*shape)], {"c": -1}),
            Case("mul_const", [normal(*shape)], {"c": -3.0}),
            Case("mul_const", [normal(*shape)], {"c": 0.5}),
            Case("pow_const", [normal(*shape)], {"p": 2}),
            Case("pow_const", [normal(*shape)], {"p": 3}),
            Case("pow_const", [normal(*shape)], {"p": 1}),
            Case("pow_const", [away_from_zero(*shape, low=0.5)], {"p": -2}),
            Case("pow_const", [positive(*shape)], {"p": 0.5}),
            Case("pow_const", [positive(*shape)], {"p": -1.5}),
        ]
    for x_shape, y_shape in [
        ((3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((1, 3), (3, 1)),
    ]:
        cases.append(Case("matmul", [normal(*x_shape), normal(*y_shape)]))
    reductions = [((3, 4), axis, keepdims) for axis in (None, 0, 1, -1) for keepdims in (False, True)]
    reductions += [((2, 3, 4), -2, False), ((2, 3, 4), 2, True), ((5,), 0, False), ((5,), None, True)]
    reductions += [((), None, False)]
    for shape, axis, keepdims in reductions:
        attrs = {"axis": axis, "keepdims": keepdims}
        cases += [
            Case("sum", [normal(*shape)], attrs),
            Case("mean", [normal(*shape)], attrs),
            Case("max", [distinct(*shape)], attrs),
        ]
    for shape in [(3, 4), (1, 5), (4, 1)]:
        cases.append(Case("transpose", [normal(*shape)]))
    for shape, target in [
        ((3, 4), (4, 3)),
        ((3, 4), (2, -1)),
        ((3, 4), (-1,)),
        ((12,), (3, -1, 2)),
        ((2, 3, 4), (6, 4)),
        ((1,), ()),
        ((), (1, 1)),
    ]:
        cases.append(Case("reshape", [normal(*shape)], {"shape": target}))
    for n, c in [(5, 4), (1, 3), (6, 2)]:
        labels = [int(label) for label in RNG.integers(0, c, size=n)]
        cases.append(Case("svm_loss", [svm_scores(n, c, labels)], {"labels": labels}))
        cases.append(Case("softmax_loss", [3 * normal(n, c)], {"labels": labels}))
    # reference.sequence: the recurrent layers' gates (repeated words must accumulate)
    for indices in ([[0, 1, 1], [3, 0, 1]], [2, 2, 2, 0], [3], 1):
        cases.append(Case("embedding", [normal(4, 3)], {"indices": indices}))
    for shape, axis, start, size in [
        ((3, 4), 0, 1, 2),
        ((3, 4), 1, 0, 1),
        ((3, 4), -1, 1, 3),
        ((2, 3, 4), 2, 2, 2),
    ]:
        cases.append(Case("slice", [normal(*shape)], {"axis": axis, "start": start, "size": size}))
    for x_shape, y_shape, axis in [
        ((3, 4), (3, 2), 1),
        ((2, 3), (1, 3), 0),
        ((2, 3, 4), (2, 3, 4), -1),
        ((5,), (2,), 0),
    ]:
        cases.append(Case("concat", [normal(*x_shape), normal(*y_shape)], {"axis": axis}))
    for shape in [(2, 3, 5), (4, 3)]:
        positions = math.prod(shape[:-1])
        labels = [int(label) for label in RNG.integers(0, shape[-1], size=positions)]
        mask = [True] + [bool(m) for m in RNG.integers(0, 2, size=positions - 1)]
        cases.append(Case("temporal_softmax_loss", [3 * normal(*shape)], {"labels": labels, "mask": mask}))
    cases += [Case(gate, inputs, attrs) for gate, inputs, attrs in VISION_CASES]
    return cases


CASES = make_cases()


def test_every_gate_has_finite_difference_cases():
    assert {case.gate for case in CASES} == set(GATES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_backward_matches_central_finite_differences(case):
    assert_matches_finite_differences(case.build, case.inputs)


# ---------------------------------------------------- forward against numpy


def svm_loss_loops(scores: np.ndarray, labels: list[int]) -> float:
    total = 0.0
    for i, y in enumerate(labels):
        for j in range(scores.shape[1]):
            if j != y:
                total += max(0.0, scores[i, j] - scores[i, y] + 1)
    return total / len(labels)


def softmax_loss_loops(scores: np.ndarray, labels: list[int]) -> float:
    total = 0.0
    for i, y in enumerate(labels):
        total -= math.log(math.exp(scores[i, y]) / sum(math.exp(s) for s in scores[i]))
    return total / len(labels)


def embedding_loops(W: np.ndarray, indices: Any) -> np.ndarray:
    index = np.asarray(indices)
    rows = [W[int(i)] for i in index.reshape(-1)]
    return np.array(rows).reshape(*index.shape, W.shape[1])


def temporal_softmax_loss_loops(scores: np.ndarray, labels: list[int], mask: list[bool]) -> float:
    flat = scores.reshape(-1, scores.shape[-1])
    total = 0.0
    for row, y, keep in zip(flat, labels, mask, strict=True):
        if keep:
            total -= math.log(math.exp(row[y]) / sum(math.exp(s) for s in row))
    return total / scores.shape[0]


NUMPY: dict[str, Callable[..., Any]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "neg": lambda x: -x,
    "reciprocal": lambda x: 1 / x,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "square": np.square,
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x, alpha: np.where(x > 0, x, alpha * x),
    "abs": np.abs,
    "add_const": lambda x, c: x + c,
    "mul_const": lambda x, c: x * c,
    "pow_const": lambda x, p: np.power(x, p),
    "matmul": np.matmul,
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "transpose": np.transpose,
    "reshape": np.reshape,
    "svm_loss": svm_loss_loops,
    "softmax_loss": softmax_loss_loops,
    "embedding": embedding_loops,
    "slice": lambda x, axis, start, size: np.take(x, range(start, start + size), axis=axis),
    "concat": lambda x, y, axis: np.concatenate([x, y], axis=axis),
    "temporal_softmax_loss": temporal_softmax_loss_loops,
    **VISION_NUMPY,
}


def test_every_gate_has_a_numpy_forward():
    assert set(NUMPY) == set(GATES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_forward_and_shape_rule_agree_with_numpy(case):
    out, vjps = GATES[case.gate].forward(*case.inputs, **case.attrs)
    expected = np.asarray(NUMPY[case.gate](*case.inputs, **case.attrs))
    assert np.shape(out) == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    assert GATES[case.gate].shape(*(x.shape for x in case.inputs), **case.attrs) == expected.shape
    assert len(vjps) == GATES[case.gate].arity == len(case.inputs)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_float32_stays_float32_and_agrees_with_float64(case):
    rng = np.random.default_rng(1)
    values64 = [Value(x) for x in case.inputs]
    out64 = case.build(*values64)
    upstream = rng.uniform(0.5, 2.0, size=out64.shape)
    out64.backward(upstream)
    values = [Value(x.astype(np.float32)) for x in case.inputs]
    out = case.build(*values)
    out.backward(upstream.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, out64.data, rtol=1e-5, atol=1e-5)
    for value, x in zip(values, case.inputs, strict=True):
        assert value.grad.dtype == np.float32
        assert value.grad.shape == x.shape
    for value, reference in zip(values, values64, strict=True):
        np.testing.assert_allclose(value.grad, reference.grad, rtol=1e-4, atol=1e-4)


# -------------------------------------------------------------------- fan-out


FAN_OUT: list[tuple[str, Callable[..., Value], list[np.ndarray]]] = [
    ("mul(x, x)", lambda x: apply("mul", x, x), [normal(3, 4)]),
    ("add(x, x)", lambda x: apply("add", x, x), [normal(3)]),
    ("div(x, x)", lambda x: apply("div", x, x), [positive(3)]),
    ("matmul(A, A)", lambda a: apply("matmul", a, a), [normal(3, 3)]),
    ("x * x.T broadcast", lambda x: x * x.T, [normal(3, 1)]),
    (
        "one node feeds two",
        lambda x, y: (lambda a: (a * x + a.exp()).sum())((x * y).tanh()),
        [normal(4), normal(4)],
    ),
    (
        "diamond",
        lambda x: (lambda a: (a.sigmoid() * (a * 2.0) - a.square().mean(axis=0)).sum())(x.exp()),
        [normal(3, 2)],
    ),
]


@pytest.mark.parametrize(("build", "inputs"), [c[1:] for c in FAN_OUT], ids=[c[0] for c in FAN_OUT])
def test_fan_out_adds_the_shares(build, inputs):
    assert_matches_finite_differences(build, inputs)


def test_fan_out_analytic():
    x = Value([1.5, -2.0])
    apply("mul", x, x).backward(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [3.0, -12.0])  # d(x^2)/dx = 2x
    x = Value([1.5, -2.0])
    apply("sub", x, x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


# ------------------------------------------------------------------ kinks


def grads_of(op: str, *arrays: Any, upstream: Any = None, **attrs: Any) -> tuple[Value, list[np.ndarray]]:
    values = [Value(a) for a in arrays]
    out = apply(op, *values, **attrs)
    out.backward(np.ones(out.shape) if upstream is None else upstream)
    return out, [v.grad for v in values]


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_tie_sends_everything_to_the_first_input(op):
    upstream = np.array([2.0, 3.0, 5.0])
    out, (dx, dy) = grads_of(op, [1.0, 2.0, -3.0], [1.0, 2.0, -3.0], upstream=upstream)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, -3.0])
    np.testing.assert_array_equal(dx, upstream)
    np.testing.assert_array_equal(dy, [0.0, 0.0, 0.0])


# (op, x, y) -> (dx, dy) for upstream [2, 3, 5]; the tie is at the middle element, and it goes to x.
PARTIAL_TIES = [
    ("maximum", [1.0, 2.0, 3.0], 2.0, [0.0, 3.0, 5.0], 2.0),
    ("minimum", [1.0, 2.0, 3.0], 2.0, [2.0, 3.0, 0.0], 5.0),
    ("maximum", 2.0, [1.0, 2.0, 3.0], 5.0, [0.0, 0.0, 5.0]),
    ("minimum", 2.0, [1.0, 2.0, 3.0], 8.0, [2.0, 0.0, 0.0]),
]


@pytest.mark.parametrize(("op", "x", "y", "dx", "dy"), PARTIAL_TIES)
def test_maximum_minimum_partial_tie_with_broadcasting(op, x, y, dx, dy):
    _, grads = grads_of(op, x, y, upstream=np.array([2.0, 3.0, 5.0]))
    np.testing.assert_array_equal(grads[0], dx)
    np.testing.assert_array_equal(grads[1], dy)
    assert grads[0].shape == np.shape(x) and grads[1].shape == np.shape(y)


def test_max_reduction_ties_go_to_the_first_winner():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])
    _, (dx,) = grads_of("max", x, upstream=np.array([2.0, 3.0, 4.0]), axis=1, keepdims=False)
    np.testing.assert_array_equal(dx, [[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [4.0, 0.0, 0.0]])
    _, (dx,) = grads_of("max", x, upstream=np.array([[2.0], [3.0], [4.0]]), axis=-1, keepdims=True)
    np.testing.assert_array_equal(dx, [[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [4.0, 0.0, 0.0]])
    _, (dx,) = grads_of("max", x, upstream=np.array([2.0, 3.0, 4.0]), axis=0, keepdims=False)
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 3.0, 4.0]])
    _, (dx,) = grads_of("max", x, upstream=np.array(7.0), axis=None, keepdims=False)
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [7.0, 0.0, 0.0]])
    # the engine's choice is numpy's argmax
    assert np.argmax(x) == 6
    _, (dx,) = grads_of("max", x, upstream=np.array([[7.0]]), axis=None, keepdims=True)
    assert dx.flat[6] == 7.0 and np.count_nonzero(dx) == 1


@pytest.mark.parametrize("op", ["relu", "abs"])
def test_relu_and_abs_have_gradient_zero_at_zero(op):
    out, (dx,) = grads_of(op, [0.0, -0.0, 2.0, -2.0], upstream=np.array([3.0, 3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 2.0, 0.0 if op == "relu" else 2.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 3.0, 0.0 if op == "relu" else -3.0])


def test_svm_margin_of_exactly_zero_is_inactive():
    # row 0: margin of class 1 is 1 - 2 + 1 = 0 exactly; row 1: class 0 is active (0.5), class 2 at 0
    scores = np.array([[2.0, 1.0, -5.0], [1.5, 2.0, 1.0]])
    out, (ds,) = grads_of("svm_loss", scores, labels=[0, 1], upstream=np.array(2.0))
    assert out.data == pytest.approx(0.5 / 2)
    np.testing.assert_array_equal(ds, np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]]) * 2.0 / 2)


# ------------------------------------------------------ numerical stability


def test_sigmoid_and_softmax_loss_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out, (dx,) = grads_of("sigmoid", [-1000.0, 0.0, 1000.0])
        np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(dx, [0.0, 0.25, 0.0])
        out, (ds,) = grads_of(
            "softmax_loss", [[1000.0, 0.0], [0.0, 1000.0]], labels=[0, 0], upstream=np.array(1.0)
        )
        assert out.data == pytest.approx(500.0)  # row 0 costs 0, row 1 costs 1000
        np.testing.assert_allclose(ds, [[0.0, 0.0], [-0.5, 0.5]], atol=1e-300)
