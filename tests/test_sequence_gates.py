"""The recurrent layers' gates (``reference.sequence``) and the layers built from them, against JAX.

An RNN step and an LSTM step are composites of gates, as the lecture builds the sigmoid
from smaller ones: built with ``Value`` methods, their outputs and gradients must equal
``jax.vjp`` of the course targets' references (``oracle.courses.cs231n.sequence``). The
finite-difference checks of each gate are in ``tests/test_gates.py`` (its table), their JAX
ops in ``oracle.ops.sequence``; random graphs of them go through the campaign judge here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from oracle.campaign.judge import judge
from oracle.core.case import make_case
from oracle.core.record import FAILING, MATCH
from oracle.courses.cs231n import sequence as targets
from oracle.strategies import campaign_graph, campaign_inputs
from reference import GATES, ComputationalGraph, GraphError, Value, check_graph
from reference.checks import LABELS, Attr
from reference.sequence import INDEX, INDICES, MASK

N, T, D, H, V = 3, 4, 5, 6, 7
RNG = np.random.default_rng(20240612)
SEQUENCE_OPS = ("embedding", "slice", "concat", "temporal_softmax_loss")


def normal(*shape: int, scale: float = 1.0) -> np.ndarray:
    return scale * RNG.standard_normal(shape)


def engine_vjp(
    build: Callable[..., Value], inputs: Sequence[np.ndarray], upstream: np.ndarray | None
) -> tuple[np.ndarray, list[np.ndarray]]:
    values = [Value(x) for x in inputs]
    out = build(*values)
    out.backward(upstream)
    return out.data, [v.grad for v in values]


def jax_vjp(
    fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    upstream: np.ndarray | None,
    rest: Sequence[Any] = (),
) -> tuple[np.ndarray, list[np.ndarray]]:
    out, pullback = jax.vjp(lambda *a: fn(*a, *rest), *(jnp.asarray(x) for x in inputs))
    cotangent = jnp.ones_like(out) if upstream is None else jnp.asarray(upstream)
    return np.asarray(out), [np.asarray(g) for g in pullback(cotangent)]


def assert_same(
    engine: tuple[np.ndarray, list[np.ndarray]], reference: tuple[np.ndarray, list[np.ndarray]]
) -> None:
    # Both sides are exact reverse mode in float64: they differ by rounding only (oracle.core.compare's
    # float64 row, rtol 1e-9); a wrong rule is off by far more.
    np.testing.assert_allclose(engine[0], reference[0], rtol=1e-9, atol=1e-12)
    for got, expected in zip(engine[1], reference[1], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ composites


def rnn_step(x: Value, h: Value, Wx: Value, Wh: Value, b: Value) -> Value:
    return (x @ Wx + h @ Wh + b).tanh()


def lstm_step(x: Value, h: Value, c: Value, Wx: Value, Wh: Value, b: Value) -> Value:
    """The course's LSTM step from gates: four blocks of H columns (i, f, o, g), next_h and next_c joined."""
    a = x @ Wx + h @ Wh + b
    i, f, o = (a.slice(1, k * H, H).sigmoid() for k in range(3))
    g = a.slice(1, 3 * H, H).tanh()
    next_c = f * c + i * g
    return (o * next_c.tanh()).concat(next_c, 1)


def test_an_rnn_step_built_from_gates_is_the_course_target() -> None:
    inputs = [normal(N, D), normal(N, H), normal(D, H, scale=0.5), normal(H, H, scale=0.5), normal(H)]
    upstream = normal(N, H)
    assert_same(engine_vjp(rnn_step, inputs, upstream), jax_vjp(targets.rnn_step, inputs, upstream))


def test_an_lstm_step_built_from_gates_is_the_course_target() -> None:
    inputs = [
        normal(N, D),
        normal(N, H),
        normal(N, H),
        normal(D, 4 * H, scale=0.5),
        normal(H, 4 * H, scale=0.5),
    ]
    inputs.append(normal(4 * H))
    upstream = normal(N, 2 * H)  # next_h's and next_c's upstream gradients side by side
    assert_same(engine_vjp(lstm_step, inputs, upstream), jax_vjp(targets.lstm_step, inputs, upstream))


def test_an_rnn_over_a_sequence_slices_time_steps_and_joins_them() -> None:
    """h_t for t = 1..T, each step sliced out of x (N, T, D), the states joined along a new time axis."""

    def rnn(x: Value, h0: Value, Wx: Value, Wh: Value, b: Value) -> Value:
        h, states = h0, []
        for t in range(T):
            h = rnn_step(x.slice(1, t, 1).reshape(N, D), h, Wx, Wh, b)
            states.append(h.reshape(N, 1, H))
        out = states[0]
        for state in states[1:]:
            out = out.concat(state, 1)
        return out

    inputs = [normal(N, T, D), normal(N, H), normal(D, H, scale=0.5), normal(H, H, scale=0.5), normal(H)]
    upstream = normal(N, T, H)
    assert_same(engine_vjp(rnn, inputs, upstream), jax_vjp(targets.rnn, inputs, upstream))


def test_repeated_words_accumulate_their_gradients() -> None:
    words = [[0, 3, 3, 1], [3, 0, 6, 6], [2, 2, 2, 2]]
    W, upstream = normal(V, D), normal(N, T, D)
    out, (dW,) = engine_vjp(lambda w: w.embedding(words), [W], upstream)
    np.testing.assert_array_equal(out, W[np.asarray(words)])
    for v in range(V):
        np.testing.assert_allclose(dW[v], upstream[np.asarray(words) == v].sum(axis=0), rtol=1e-12, atol=0)
    assert_same((out, [dW]), jax_vjp(targets.word_embedding, [W], upstream, rest=[np.asarray(words)]))


def test_a_captioning_loss_from_gates_is_the_course_targets_composed() -> None:
    """Words looked up, a temporal affine layer, the masked temporal softmax loss: as one graph of gates."""
    words = RNG.integers(0, V, (N, T))
    labels = RNG.integers(0, V, (N, T))
    mask = RNG.random((N, T)) < 0.7
    mask[0, 0], mask[-1, -1] = True, False

    def engine(W: Value, w: Value, b: Value) -> Value:
        scores = (W.embedding(words.tolist()).reshape(N * T, D) @ w + b).reshape(N, T, V)
        return scores.temporal_softmax_loss(labels.reshape(-1).tolist(), mask.reshape(-1).tolist())

    def reference(W: Any, w: Any, b: Any) -> Any:
        scores = targets.temporal_affine(targets.word_embedding(W, jnp.asarray(words)), w, b)
        return targets.temporal_softmax_loss(scores, jnp.asarray(labels), jnp.asarray(mask))

    inputs = [normal(V, D), normal(D, V), normal(V)]
    assert_same(engine_vjp(engine, inputs, None), jax_vjp(reference, inputs, None))


def test_the_masked_loss_gives_masked_positions_no_gradient() -> None:
    scores, labels = normal(2, 3, 4), [0, 1, 2, 3, 0, 1]
    mask = [True, False, True, False, False, True]
    _, (dscores,) = engine_vjp(lambda s: s.temporal_softmax_loss(labels, mask), [scores], None)
    dropped = ~np.asarray(mask).reshape(2, 3)
    assert np.all(dscores[dropped] == 0) and np.all(dscores[~dropped] != 0)


def test_float32_stays_float32() -> None:
    x = Value(normal(N, 2 * H).astype(np.float32))
    out = x.slice(1, H, H).concat(x.slice(1, 0, H), 0).temporal_softmax_loss([1] * (2 * N), [True] * (2 * N))
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


# ------------------------------------------------------------------ the graph format


def test_the_declarations() -> None:
    required = Attr(INDEX).default
    declared = {
        name: {a: (attr.kind, attr.default) for a, attr in GATES[name].attrs.items()} for name in SEQUENCE_OPS
    }
    assert declared == {
        "embedding": {"indices": (INDICES, required)},
        "slice": {"axis": (INDEX, required), "start": (INDEX, required), "size": (INDEX, required)},
        "concat": {"axis": (INDEX, 0)},
        "temporal_softmax_loss": {"labels": (LABELS, required), "mask": (MASK, required)},
    }
    assert not any(GATES[name].kinks for name in SEQUENCE_OPS)  # linear, or smooth
    assert all("; d" in GATES[name].doc for name in SEQUENCE_OPS)  # forward; local gradients


def graph(op: str, inputs: dict[str, list[int]], args: list[str], attrs: dict[str, Any]) -> dict[str, Any]:
    return {"inputs": inputs, "nodes": [{"id": "n", "op": op, "args": args, "attrs": attrs}], "output": "n"}


def test_the_gates_run_from_json() -> None:
    table = ComputationalGraph(graph("embedding", {"W": [4, 2]}, ["W"], {"indices": [[0, 3], [3, 3]]}))
    W = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(table.forward({"W": W}), W[[[0, 3], [3, 3]]])
    (dW,) = table.backward(np.ones((2, 2, 2))).values()
    np.testing.assert_array_equal(dW, [[1, 1], [0, 0], [0, 0], [3, 3]])
    joined = ComputationalGraph(graph("concat", {"x": [2, 1], "y": [2, 3]}, ["x", "y"], {"axis": -1}))
    assert joined.forward({"x": np.ones((2, 1)), "y": np.zeros((2, 3))}).shape == (2, 4)


@pytest.mark.parametrize(
    ("op", "inputs", "args", "attrs", "says"),
    [
        ("embedding", {"W": [4, 2]}, ["W"], {"indices": [0, 4]}, r"indices must lie in \[0, 4\), got 4"),
        ("embedding", {"W": [4, 2]}, ["W"], {"indices": [[0], [1, 2]]}, "must be a nested list of"),
        ("embedding", {"W": [4]}, ["W"], {"indices": [0]}, r"the table must be 2-D \(V, D\)"),
        (
            "slice",
            {"x": [3, 4]},
            ["x"],
            {"axis": 1, "start": 2, "size": 3},
            "start \\+ size <= 4 along axis 1",
        ),
        ("slice", {"x": [3, 4]}, ["x"], {"axis": 2, "start": 0, "size": 1}, "axis 2 is out of range"),
        ("slice", {"x": [3, 4]}, ["x"], {"axis": 0, "start": 0, "size": 1.5}, "must be an integer"),
        (
            "concat",
            {"x": [2, 3], "y": [3, 3]},
            ["x", "y"],
            {"axis": 1},
            r"shapes \[2, 3\] and \[3, 3\] differ",
        ),
        (
            "temporal_softmax_loss",
            {"s": [2, 3, 4]},
            ["s"],
            {"labels": [0] * 6, "mask": [True] * 5},
            r"mask: expected 6 \(one per position of \[2, 3\]\), got 5",
        ),
        (
            "temporal_softmax_loss",
            {"s": [2, 3]},
            ["s"],
            {"labels": [0, 1], "mask": [1, 0]},
            "list of true/false",
        ),
    ],
)
def test_bad_attrs_are_graph_errors_naming_the_node(
    op: str, inputs: dict[str, list[int]], args: list[str], attrs: dict[str, Any], says: str
) -> None:
    with pytest.raises(GraphError, match=rf"node 'n' \({op}\).*{says}"):
        check_graph(graph(op, inputs, args, attrs))


# ------------------------------------------------------------------ random graphs


@pytest.mark.parametrize("edge", [False, True])
def test_random_graphs_of_these_ops_match_jax(edge: bool) -> None:
    """Campaign graphs over these ops and a few others: every record matches (no kinks among them)."""
    ops = [*SEQUENCE_OPS, "add", "tanh", "matmul", "sum"]
    seen: set[str] = set()
    for index in range(40):
        g = campaign_graph(5, index, 6, ops=ops)
        seen |= {n["op"] for n in g["nodes"]}
        cases = []
        for k in range(2):
            values, cotangent = campaign_inputs(g, 5, index, k, "float64", edge)
            cases.append(
                make_case({"graph": g, "values": values, "cotangent": cotangent, "dtype": "float64"})
            )
        for records in judge(cases):
            failed = [r for r in records if r.status in FAILING]
            assert not failed, (g, [(r.status, r.detail) for r in failed])
            assert {r.status for r in records} <= {MATCH}
    assert set(SEQUENCE_OPS) <= seen
