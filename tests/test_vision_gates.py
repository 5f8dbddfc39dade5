"""The vision layers' gates (``reference.layers``): forward against plain loops, backward against finite
differences, their conventions (pooling ties, dropout's mask), the graph format and ``Value`` methods.

``VISION_CASES`` and ``VISION_NUMPY`` are also rows of the engine's gate tables in
``tests/test_gates.py``, so every gate test (float32, shape rules) covers them too.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from reference import GATES, ComputationalGraph, GraphError, Value, apply
from reference.checks import REQUIRED
from reference.layers import COUNT, EPS, OFFSET, PROBABILITY, dropout_mask

RNG = np.random.default_rng(11)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def distinct(*shape: int) -> np.ndarray:
    """Values at least 0.05 apart: a window's maximum is unique and a step of 1e-6 cannot change it."""
    size = int(np.prod(shape))
    return (RNG.permutation(size) * 0.05 + RNG.uniform(0, 0.01, size)).reshape(shape)


# ------------------------------------------------------- plain loops: the forward's reference


def conv_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    n, _, height, width = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, (height + 2 * pad - hh) // stride + 1, (width + 2 * pad - ww) // stride + 1))
    for i, j, k, m in np.ndindex(*out.shape):
        out[i, j, k, m] = (
            np.sum(xp[i, :, k * stride : k * stride + hh, m * stride : m * stride + ww] * w[j]) + b[j]
        )
    return out


def pool_loops(reduce: Any) -> Any:
    def pool(x: np.ndarray, pool_height: int = 2, pool_width: int = 2, stride: int = 2) -> np.ndarray:
        n, c, height, width = x.shape
        out = np.zeros((n, c, (height - pool_height) // stride + 1, (width - pool_width) // stride + 1))
        for i, j, k, m in np.ndindex(*out.shape):
            out[i, j, k, m] = reduce(
                x[i, j, k * stride : k * stride + pool_height, m * stride : m * stride + pool_width]
            )
        return out

    return pool


def norm_loops(groups_of: Any) -> Any:
    """Normalize each group of elements that ``groups_of(x)`` lists (index arrays), then scale and shift."""

    def norm(
        x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5, **attrs: Any
    ) -> np.ndarray:
        out = np.empty_like(x)
        for index in groups_of(x, **attrs):
            values = x[index]
            out[index] = (values - values.mean()) / np.sqrt(values.var() + eps)
        feature = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
        return out * gamma.reshape(feature) + beta.reshape(feature)

    return norm


def _columns(x: np.ndarray) -> list[Any]:
    return [(slice(None), d) for d in range(x.shape[1])]


def _rows(x: np.ndarray) -> list[Any]:
    return [(n,) for n in range(x.shape[0])]


def _channels(x: np.ndarray) -> list[Any]:
    return [(slice(None), c) for c in range(x.shape[1])]


def _groups(x: np.ndarray, G: int) -> list[Any]:
    size = x.shape[1] // G
    return [(n, slice(g * size, (g + 1) * size)) for n in range(x.shape[0]) for g in range(G)]


def dropout_loops(x: np.ndarray, p: float, seed: int = 0) -> np.ndarray:
    keep = np.random.default_rng(seed).random(x.shape) >= p
    return np.where(keep, x / (1 - p), 0.0)


VISION_NUMPY = {
    "conv2d": conv_loops,
    "max_pool2d": pool_loops(np.max),
    "avg_pool2d": pool_loops(np.mean),
    "batchnorm": norm_loops(_columns),
    "layernorm": norm_loops(_rows),
    "spatial_batchnorm": norm_loops(_channels),
    "groupnorm": norm_loops(_groups),
    "dropout": dropout_loops,
}

# (gate, inputs, attrs): inputs away from pooling ties; every stride, padding and overlap
CASES: list[tuple[str, list[np.ndarray], dict[str, Any]]] = [
    ("conv2d", [normal(2, 3, 5, 5), normal(4, 3, 3, 3), normal(4)], {"stride": 1, "pad": 1}),
    ("conv2d", [normal(1, 2, 5, 6), normal(2, 2, 3, 2), normal(2)], {"stride": 2, "pad": 1}),
    ("conv2d", [normal(2, 1, 4, 4), normal(3, 1, 2, 2), normal(3)], {}),
    ("max_pool2d", [distinct(2, 3, 4, 4)], {}),
    ("max_pool2d", [distinct(1, 2, 5, 5)], {"pool_height": 3, "pool_width": 3, "stride": 2}),
    ("max_pool2d", [distinct(1, 1, 4, 6)], {"pool_height": 2, "pool_width": 3, "stride": 1}),
    ("avg_pool2d", [normal(2, 3, 4, 4)], {}),
    ("avg_pool2d", [normal(1, 2, 5, 5)], {"pool_height": 3, "pool_width": 3, "stride": 2}),
    ("batchnorm", [2 * normal(4, 5) + 1, normal(5), normal(5)], {}),
    ("batchnorm", [normal(8, 3), normal(3), normal(3)], {"eps": 0.1}),
    ("layernorm", [2 * normal(4, 5) - 1, normal(5), normal(5)], {}),
    ("spatial_batchnorm", [normal(2, 3, 2, 3), normal(3), normal(3)], {}),
    ("groupnorm", [normal(2, 4, 2, 3), normal(4), normal(4)], {"G": 2}),
    ("groupnorm", [normal(2, 6, 1, 2), normal(6), normal(6)], {"G": 3, "eps": 1e-3}),
    ("dropout", [normal(4, 5)], {"p": 0.5, "seed": 3}),
    ("dropout", [normal(2, 3, 4)], {"p": 0.0}),
    ("dropout", [normal(30)], {"p": 0.9, "seed": 1}),
]
VISION_CASES = [(gate, inputs, GATES[gate].check_attrs(attrs)) for gate, inputs, attrs in CASES]  # every attr


# -------------------------------------------------------------------------- backward


def finite_differences(
    gate: str, inputs: list[np.ndarray], attrs: dict[str, Any], upstream: np.ndarray
) -> list:
    """Central differences of sum(upstream * gate(...)), element by element, float64 (h = 1e-6)."""
    grads = []
    for i, x in enumerate(inputs):
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            sums = []
            for step in (1e-6, -1e-6):
                moved = [a.copy() for a in inputs]
                moved[i][index] += step
                sums.append(np.sum(upstream * GATES[gate].forward(*moved, **attrs)[0]))
            grad[index] = (sums[0] - sums[1]) / 2e-6
        grads.append(grad)
    return grads


@pytest.mark.parametrize(
    ("gate", "inputs", "attrs"), VISION_CASES, ids=[f"{c[0]}{c[2]}" for c in VISION_CASES]
)
def test_backward_matches_finite_differences(
    gate: str, inputs: list[np.ndarray], attrs: dict[str, Any]
) -> None:
    values = [Value(x) for x in inputs]
    out = apply(gate, *values, **attrs)
    upstream = np.random.default_rng(0).uniform(0.5, 2.0, out.shape) * np.random.default_rng(1).choice(
        [-1, 1], out.shape
    )
    out.backward(upstream)
    for value, fd in zip(values, finite_differences(gate, inputs, attrs, upstream), strict=True):
        # h = 1e-6: truncation ~1e-12, rounding ~1e-10 relative to the largest term: far below a bug's 1e-2.
        np.testing.assert_allclose(value.grad, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("gate", "inputs", "attrs"), VISION_CASES, ids=[f"{c[0]}{c[2]}" for c in VISION_CASES]
)
def test_forward_matches_plain_loops(gate: str, inputs: list[np.ndarray], attrs: dict[str, Any]) -> None:
    out = apply(gate, *(Value(x) for x in inputs), **attrs)
    np.testing.assert_allclose(out.data, VISION_NUMPY[gate](*inputs, **attrs), rtol=1e-12, atol=1e-12)


def test_every_vision_gate_has_cases() -> None:
    assert {case[0] for case in VISION_CASES} == set(VISION_NUMPY) <= set(GATES)


# ----------------------------------------------------------------------- conventions


def test_a_tied_window_gives_its_gradient_to_its_first_maximum() -> None:
    x = Value(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]))
    apply("max_pool2d", x).backward(np.array([[[[2.0]]]]))
    assert x.grad.tolist() == [[[[0.0, 2.0], [0.0, 0.0]]]]
    assert "first maximum in row-major order" in GATES["max_pool2d"].kinks


def test_overlapping_windows_add_their_gradients() -> None:
    x = Value(np.array([[[[0.0, 5.0, 1.0]]]]))
    apply("max_pool2d", x, pool_height=1, pool_width=2, stride=1).backward(np.array([[[[1.0, 4.0]]]]))
    assert x.grad.tolist() == [[[[0.0, 5.0, 0.0]]]]  # the 5 wins both windows


def test_dropout_is_a_pure_function_of_its_attributes() -> None:
    x = normal(200)
    a, b = apply("dropout", Value(x), p=0.3, seed=7), apply("dropout", Value(x), p=0.3, seed=7)
    assert np.array_equal(a.data, b.data)
    assert not np.array_equal(a.data, apply("dropout", Value(x), p=0.3, seed=8).data)
    keep = np.random.default_rng(7).random(200) >= 0.3  # the documented draw
    assert np.array_equal(dropout_mask((200,), 0.3, 7), keep)
    np.testing.assert_allclose(a.data, np.where(keep, x / 0.7, 0.0), rtol=1e-15)
    assert np.array_equal(apply("dropout", Value(x), p=0.0).data, x)


def test_a_constant_feature_stays_finite_thanks_to_eps() -> None:
    x = normal(4, 3)
    x[:, 1] = 2.0
    values = [Value(x), Value(normal(3)), Value(normal(3))]
    out = apply("batchnorm", *values)
    out.backward(np.ones((4, 3)) + normal(4, 3))
    assert np.isfinite(out.data).all() and all(np.isfinite(v.grad).all() for v in values)
    assert np.allclose(out.data[:, 1], values[2].data[1])  # xhat = 0: the output is beta


# --------------------------------------------------------------- graphs, methods, checks

POOL = {"pool_height": (COUNT, 2), "pool_width": (COUNT, 2), "stride": (COUNT, 2)}
NORM = {"eps": (EPS, 1e-5)}
VISION_ATTRS = {  # each gate's attrs: (type, default); also a row of test_reference_registry's table
    "conv2d": {"stride": (COUNT, 1), "pad": (OFFSET, 0)},
    "max_pool2d": POOL,
    "avg_pool2d": POOL,
    "batchnorm": NORM,
    "layernorm": NORM,
    "spatial_batchnorm": NORM,
    "groupnorm": {"G": (COUNT, REQUIRED), **NORM},
    "dropout": {"p": (PROBABILITY, REQUIRED), "seed": (OFFSET, 0)},
}
JSON_EXAMPLES = {COUNT: 1, OFFSET: 0, EPS: 0.001, PROBABILITY: 0.5}  # an attr as json.loads gives it


@pytest.mark.parametrize("name", sorted(VISION_ATTRS))
def test_every_vision_gate_takes_its_attrs_from_json(name: str) -> None:
    gate = GATES[name]
    assert {a: (attr.kind, attr.default) for a, attr in gate.attrs.items()} == VISION_ATTRS[name]
    case = next(c for c in VISION_CASES if c[0] == name)
    inputs = {f"a{i}": list(x.shape) for i, x in enumerate(case[1])}
    attrs = {a: JSON_EXAMPLES[attr.kind] for a, attr in gate.attrs.items()}
    if name == "groupnorm":
        attrs["G"] = 2
    node = {"id": "n", "op": name, "args": list(inputs), "attrs": attrs}
    cg = ComputationalGraph(json.loads(json.dumps({"inputs": inputs, "nodes": [node], "output": "n"})))
    cg.forward({f"a{i}": x for i, x in enumerate(case[1])})
    assert {k: v.shape for k, v in cg.backward(np.ones(cg.graph.nodes[0].shape)).items()} == {
        k: tuple(s) for k, s in inputs.items()
    }


def test_a_graph_of_vision_layers_runs_from_json() -> None:
    graph = {
        "inputs": {"x": [2, 3, 6, 6], "w": [4, 3, 3, 3], "b": [4], "gamma": [4], "beta": [4]},
        "nodes": [
            {"id": "c", "op": "conv2d", "args": ["x", "w", "b"], "attrs": {"stride": 1, "pad": 1}},
            {"id": "n", "op": "spatial_batchnorm", "args": ["c", "gamma", "beta"]},
            {"id": "r", "op": "relu", "args": ["n"]},
            {"id": "p", "op": "max_pool2d", "args": ["r"]},
            {"id": "d", "op": "dropout", "args": ["p"], "attrs": {"p": 0.25, "seed": 1}},
            {"id": "s", "op": "sum", "args": ["d"]},
        ],
        "output": "s",
    }
    cg = ComputationalGraph(json.loads(json.dumps(graph)))
    values = {name: normal(*shape) for name, shape in graph["inputs"].items()}
    out = cg.forward(values)
    grads = cg.backward()
    assert np.shape(out) == () and {k: v.shape for k, v in grads.items()} == {
        k: tuple(s) for k, s in graph["inputs"].items()
    }


def test_value_methods_are_derived() -> None:
    x, w, b = Value(normal(1, 2, 4, 4)), Value(normal(3, 2, 3, 3)), Value(normal(3))
    out = x.conv2d(w, b, pad=1).max_pool2d().avg_pool2d(pool_height=1, pool_width=1, stride=1)
    assert out.shape == (1, 3, 2, 2)
    assert x.groupnorm(Value(normal(2)), Value(normal(2)), G=1).shape == x.shape
    assert x.dropout(p=0.5).shape == x.shape


@pytest.mark.parametrize(
    ("op", "shapes", "attrs", "says"),
    [
        ("conv2d", [(1, 2, 4, 4), (3, 3, 3, 3), (3,)], {}, "w must be (F, C=2, HH, WW)"),
        ("conv2d", [(1, 2, 4, 4), (3, 2, 3, 3), (2,)], {}, "b must have one bias per filter"),
        ("conv2d", [(1, 2, 2, 2), (3, 2, 3, 3), (3,)], {}, "a window of 3 does not fit a height of 2"),
        (
            "conv2d",
            [(1, 2, 4, 4), (3, 2, 3, 3), (3,)],
            {"stride": 0},
            "attr 'stride' must be a positive integer",
        ),
        ("conv2d", [(1, 2, 4, 4), (3, 2, 3, 3), (3,)], {"pad": -1}, "must be a non-negative integer"),
        ("max_pool2d", [(2, 4, 4)], {}, "x must be 4-D (N, C, H, W)"),
        ("max_pool2d", [(1, 1, 4, 4)], {"stride": 1.5}, "attr 'stride' must be a positive integer"),
        ("batchnorm", [(4, 5), (4,), (5,)], {}, "gamma must have shape [5]"),
        ("batchnorm", [(4, 5), (5,), (5,)], {"eps": 0}, "attr 'eps' must be a positive finite number"),
        ("groupnorm", [(1, 4, 2, 2), (4,), (4,)], {"G": 3}, "G = 3 groups do not divide C = 4"),
        ("groupnorm", [(1, 4, 2, 2), (4,), (4,)], {}, "missing attr 'G'"),
        ("dropout", [(3,)], {"p": 1.0}, "attr 'p' must be a number in [0, 1)"),
        ("dropout", [(3,)], {"p": 0.5, "seed": -1}, "attr 'seed' must be a non-negative integer"),
    ],
)
def test_bad_uses_are_refused_with_the_reason(
    op: str, shapes: list[tuple[int, ...]], attrs: dict[str, Any], says: str
) -> None:
    with pytest.raises(GraphError, match=None) as info:
        apply(op, *(Value(np.zeros(s)) for s in shapes), **attrs)
    assert says in str(info.value), str(info.value)


def test_float32_stays_float32() -> None:
    for gate, inputs, attrs in VISION_CASES:
        values = [Value(x.astype(np.float32)) for x in inputs]
        out = apply(gate, *values, **attrs)
        out.backward(np.ones(out.shape, dtype=np.float32))
        assert out.dtype == np.float32 and all(v.grad.dtype == np.float32 for v in values), gate


# ------------------------------------------------------------------ the oracle's side (oracle.ops.vision)


def test_the_oracles_defaults_are_the_engines() -> None:
    import inspect

    from oracle import ops

    for name in VISION_NUMPY:
        signature = inspect.signature(ops.REGISTRY[name].jax).parameters
        for attr, declared in GATES[name].attrs.items():
            default = signature[attr].default
            assert (default is inspect.Parameter.empty) == declared.required, (name, attr)
            assert declared.required or default == declared.default, (name, attr)


def test_the_max_pool_kink_mask_marks_exactly_where_one_sided_slopes_differ() -> None:
    from oracle import ops

    rng = np.random.default_rng(3)
    marked = 0
    for attrs in (
        {},
        {"pool_height": 2, "pool_width": 2, "stride": 1},
        {"pool_height": 1, "pool_width": 2, "stride": 1},
    ):
        for _ in range(5):
            x = rng.choice([0.0, 1.0, -1.0, 0.5], (1, 2, 3, 4))
            filled = GATES["max_pool2d"].check_attrs(attrs)
            (mask,) = ops.kink_masks("max_pool2d", x, **filled)
            out, _ = GATES["max_pool2d"].forward(x, **filled)
            cot = rng.uniform(0.5, 1.5, out.shape)  # positive: no two slopes cancel

            def loss(
                index: tuple[int, ...], d: float, x: Any = x, cot: Any = cot, filled: Any = filled
            ) -> float:
                moved = x.copy()
                moved[index] += d
                return float(np.sum(cot * GATES["max_pool2d"].forward(moved, **filled)[0]))

            for index in np.ndindex(x.shape):
                left = (loss(index, 0.0) - loss(index, -1e-3)) / 1e-3
                right = (loss(index, 1e-3) - loss(index, 0.0)) / 1e-3
                assert mask[index] == (abs(right - left) > 1e-6), (attrs, index)
                marked += int(mask[index])
    assert marked >= 10


@pytest.mark.parametrize("mode", ["default", "edge"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_random_graphs_of_vision_layers_match_jax(mode: str, dtype: str) -> None:
    """The engine's gates against JAX on campaign graphs made of them (and add, tanh): match, or a
    kink where a tie sits; max pooling's ties even match (both give the first maximum)."""
    from oracle import strategies
    from oracle.campaign.judge import judge
    from oracle.core.case import make_case
    from oracle.core.record import KINK, MATCH

    images = [
        "conv2d",
        "max_pool2d",
        "avg_pool2d",
        "spatial_batchnorm",
        "groupnorm",
        "dropout",
        "add",
        "tanh",
    ]
    rows = ["batchnorm", "layernorm", "dropout", "add", "tanh", "sum", "matmul"]
    seen, statuses = set(), set()
    for vocabulary in (images, rows):
        for index in range(30):
            graph = strategies.campaign_graph(4, index, ops=vocabulary)
            values, cotangent = strategies.campaign_inputs(graph, 4, index, 0, dtype=dtype, mode=mode)
            case = {"graph": graph, "values": values, "cotangent": cotangent, "dtype": dtype}
            records = judge([make_case(case)])[0]
            statuses |= {r.status for r in records}
            seen |= {n["op"] for n in graph["nodes"]}
            assert all(r.status in (MATCH, KINK) for r in records), [(r.status, r.detail) for r in records]
    assert set(VISION_NUMPY) <= seen and MATCH in statuses
