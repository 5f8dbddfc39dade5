"""The op declarations (oracle.ops): the same op set as the engine, a JAX function each, kink masks
of the right shapes at the documented points, and output shapes that are the engine's."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from oracle import ops
from oracle import strategies as S
from oracle.core.jax_graph import JAX_OPS, graph_function
from oracle.core.kinks import kink_counts
from reference import ComputationalGraph, check_graph
from reference.engine import unbroadcast
from reference.gates import GATES

# The ops whose gates the engine documents non-differentiable points for (reference/gates.py's
# docstring and the README's convention table). TODO: read them from the engine's declarations
# (``Gate.kinks``) once reference/ exposes them; the test below already prefers that attribute.
ENGINE_KINK_OPS = frozenset({"maximum", "minimum", "max", "relu", "abs", "svm_loss"})


def engine_kink_ops() -> frozenset[str]:
    if all(hasattr(gate, "kinks") for gate in GATES.values()):
        return frozenset(name for name, gate in GATES.items() if getattr(gate, "kinks"))  # noqa: B009
    return ENGINE_KINK_OPS


# ------------------------------------------------------------------ the op set


def test_the_oracle_declares_exactly_the_engines_ops():
    assert set(ops.REGISTRY) == set(GATES), set(ops.REGISTRY) ^ set(GATES)
    assert tuple(ops.REGISTRY) == S.OPS  # declaration order is the vocabulary's order


def test_every_op_has_a_jax_function_of_the_engines_arity():
    assert ops.jax_table() == JAX_OPS
    for name, op in ops.REGISTRY.items():
        assert callable(op.jax), name
        assert op.arity == GATES[name].arity, name
        assert len(op.domains_for(dict.fromkeys(GATES[name].attrs, 2))) == op.arity, name


def test_every_op_with_engine_kinks_has_a_kink_mask_and_no_other():
    assert ops.kink_ops() == engine_kink_ops()
    for name in ops.kink_ops():
        assert ops.REGISTRY[name].kinks_at, name


def test_a_declaration_is_refused_twice_or_with_undescribed_kinks():
    op = ops.REGISTRY["relu"]
    with pytest.raises(ValueError, match="twice"):
        ops.declare(op)
    with pytest.raises(ValueError, match="kinks_at"):
        ops.declare(ops.Op("leaky", op.jax, op.args, op.interval, kinks=op.kinks))
    with pytest.raises(ValueError, match="unknown op"):
        ops.kink_masks("softplus", 1.0)


@pytest.mark.parametrize("name", list(GATES))
def test_each_jax_function_computes_the_engines_forward(name):
    graphs = (S.campaign_graph(3, i, 3, ops=[name]) for i in range(200))
    graph = next(g for g in graphs if name in {n["op"] for n in g["nodes"]})
    values, _ = S.campaign_inputs(graph, 3, 0, 0)
    engine = ComputationalGraph(graph).forward(values)
    jax_out = graph_function(graph)({k: np.asarray(v) for k, v in values.items()})
    np.testing.assert_allclose(np.asarray(jax_out), engine, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ kink masks: documented points


def masks(name, *args, **attrs):
    return [m.tolist() for m in ops.kink_masks(name, *args, **attrs)]


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_relu_and_abs_masks_mark_exact_zeros(name):
    assert masks(name, [[0.0, 1.0], [-0.0, -2.0]]) == [[[True, False], [True, False]]]
    assert masks(name, 0.0) == [True]
    assert masks(name, 1e-300) == [False]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_masks_mark_ties_in_each_inputs_shape(name):
    assert masks(name, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0]) == [[True, False, True], [True, False, True]]
    # broadcasting: a scalar is marked when it ties with any element it meets
    assert masks(name, [1.0, 2.0, 3.0], 2.0) == [[False, True, False], True]
    assert masks(name, 5.0, [1.0, 2.0]) == [False, [False, False]]
    # (2, 1) against (1, 3): a row of x, a column of y
    x, y = [[1.0], [2.0]], [[3.0, 2.0, 0.0]]
    assert masks(name, x, y) == [[[False], [True]], [[False, True, False]]]


def test_max_mask_marks_the_tied_winners_of_slices_with_more_than_one():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 4.0, 1.0]]
    assert masks("max", x, axis=1) == [[[False, True, True], [True, True, False], [False, False, False]]]
    assert masks("max", x, axis=-1, keepdims=True) == masks("max", x, axis=1)
    assert masks("max", x, axis=0) == [[[False] * 3] * 3]  # every column has one winner
    y = [[1.0, 3.0, 3.0], [1.0, 2.0, 0.0], [0.0, 3.0, 1.0]]
    assert masks("max", y, axis=0) == [[[True, True, False], [True, False, False], [False, True, False]]]
    assert masks("max", x) == [[[False] * 3] * 3]  # one winner overall: 5
    assert masks("max", [[5.0, 1.0], [1.0, 5.0]]) == [[[True, False], [False, True]]]
    assert masks("max", 2.0) == [False]


def test_svm_mask_marks_zero_margins_and_the_correct_score_of_their_rows():
    scores = [[1.0, 0.0, 3.0], [0.0, 1.0, 2.0], [0.0, 5.0, 0.0]]
    # row 0 (label 0): s1 - s0 + 1 = 0; row 1 (label 2): s1 - s2 + 1 = 0; row 2 (label 1): none
    expected = [[[True, True, False], [False, True, True], [False, False, False]]]
    assert masks("svm_loss", scores, labels=[0, 2, 1]) == expected
    assert masks("svm_loss", scores, [0, 2, 1]) == expected  # labels positionally, as course code has them


def test_ops_without_kinks_have_all_false_masks():
    assert masks("add", [1.0, 1.0], 1.0) == [[False, False], False]
    assert ops.kink_count("softmax_loss", [[0.0, 0.0]], labels=[0]) == 0


def _slopes_differ(name, args, attrs, which, index, cot):
    """One-sided slopes of sum(cot * out) along one element differ (through the engine's forward)."""
    forward = GATES[name].forward

    def loss(d):
        moved = [a.copy() for a in args]
        moved[which][index] += d
        return float(np.sum(cot * forward(*moved, **attrs)[0]))

    h = 1e-3  # far below the lattice's spacing of 0.5: no other kink is crossed
    left, right = (loss(0) - loss(-h)) / h, (loss(h) - loss(0)) / h
    return abs(right - left) > 1e-6


SHAPES = [(), (3,), (2, 1), (1, 3), (2, 3)]


def _cases(name, rng):
    """Lattice inputs (many ties and zeros) of several shapes, with the attributes the builder draws."""
    lattice = np.array([0.0, 1.0, -1.0, 0.5, -0.5])
    if name in ("maximum", "minimum"):
        for s, t in itertools.product(SHAPES, SHAPES):
            try:
                np.broadcast_shapes(s, t)
            except ValueError:
                continue
            yield [rng.choice(lattice, s), rng.choice(lattice, t)], {}
    elif name in ("relu", "abs"):
        for s in SHAPES:
            yield [rng.choice(lattice, s)], {}
    elif name == "max":
        for s in SHAPES:
            for axis in [None, *range(len(s)), *range(-len(s), 0)]:
                yield [rng.choice(lattice, s)], {"axis": axis, "keepdims": bool(rng.integers(2))}
    elif name == "svm_loss":
        for s in [(1, 2), (2, 3), (4, 3)]:
            yield [rng.choice(lattice, s)], {"labels": rng.integers(0, s[1], s[0]).tolist()}


@pytest.mark.parametrize("name", sorted(ENGINE_KINK_OPS))
def test_masks_mark_exactly_the_elements_whose_one_sided_slopes_differ(name):
    """On lattice inputs, an element is marked exactly when moving it left and right changes the
    engine's loss at different rates: the masks are where the gate is not differentiable."""
    rng = np.random.default_rng(0)
    marked = 0
    for _ in range(10):
        for args, attrs in _cases(name, rng):
            found = ops.kink_masks(name, *args, **attrs)
            out = GATES[name].forward(*args, **attrs)[0]
            cot = rng.uniform(0.5, 1.5, np.shape(out))  # positive: no two slopes cancel
            for which, (arg, mask) in enumerate(zip(args, found, strict=True)):
                assert mask.shape == np.shape(arg) and mask.dtype == bool
                for index in np.ndindex(np.shape(arg)):
                    expected = _slopes_differ(name, args, attrs, which, index, cot)
                    assert mask[index] == expected, (name, args, attrs, which, index)
                    marked += expected
    assert marked >= 10, marked


# ------------------------------------------------------------------ derived: counts and shapes


def test_kink_counts_count_marked_elements_of_live_kink_gates():
    graph = {
        "inputs": {"x": [3], "y": []},
        "nodes": [
            {"id": "m", "op": "maximum", "args": ["x", "y"]},
            {"id": "dead", "op": "relu", "args": ["x"]},
            {"id": "r", "op": "relu", "args": ["m"]},
            {"id": "t", "op": "max", "args": ["r"]},
        ],
        "output": "t",
    }
    cg = ComputationalGraph(graph)
    cg.forward({"x": [0.0, 2.0, 2.0], "y": 0.0})
    # m: x[0] ties with y (x[0] and y marked); r: m[0] is 0; t: two tied winners
    assert kink_counts(cg.graph, cg.node_values) == {"m": 2, "r": 1, "t": 2}
    cg.forward({"x": [0.5, 2.0, 1.0], "y": -1.0})
    assert kink_counts(cg.graph, cg.node_values) == {"m": 0, "r": 0, "t": 0}


def test_mask_shapes_equal_input_shapes_on_random_graphs():
    for i in range(150):
        graph = S.campaign_graph(5, i)
        values, _ = S.campaign_inputs(graph, 5, i, 0, edge=True)
        cg = ComputationalGraph(graph)
        cg.forward(values)
        for node in cg.graph.nodes:
            args = [cg.node_values[a] for a in node.args]
            found = ops.kink_masks(node.gate.name, *args, **node.attrs)
            assert [m.shape for m in found] == [a.shape for a in args], node


def test_output_shapes_are_the_engines_on_random_graphs():
    for seed, scalar in [(0, False), (11, False), (2026, False), (1, True)]:
        for i in range(300):
            graph = S.campaign_graph(seed, i, scalar=scalar)
            assert S.output_shape(graph) == check_graph(graph).shape_of(graph["output"]), graph


def test_output_shape_fills_in_default_attributes():
    graph = {
        "inputs": {"x": [2, 3]},
        "nodes": [
            {"id": "s", "op": "sum", "args": ["x"]},
            {"id": "m", "op": "max", "args": ["x"], "attrs": None},
        ],
        "output": "s",
    }
    assert S.output_shape(graph) == ()


# ------------------------------------------------------------------ intervals and slopes hold


def test_every_op_declares_a_slope():
    assert all(op.slope is not None for op in ops.REGISTRY.values())


@pytest.mark.parametrize("mode", ["default", "edge", "wide"])
def test_interval_and_slope_rules_hold_on_random_graphs(mode):
    """Every value lies in its interval (as ``bounds`` derives it from the declarations), and no
    element of an argument receives more than its declared slope times |g| <= 1 (random signs)."""
    rng = np.random.default_rng(1)
    checked_nodes = 0
    for i in range(120):
        graph = S.campaign_graph(9, i, mode=mode)
        spans = S.bounds(graph, S.WIDE if mode == "wide" else S.DEFAULT)
        values, _ = S.campaign_inputs(graph, 9, i, 0, mode=mode)
        cg = ComputationalGraph(graph)
        cg.forward(values)
        for name, span in spans.items():
            value = cg.node_values[name]
            slack = 1e-12 * max(1.0, span.mag())  # the rules use math's functions, the engine numpy's
            assert span.lo - slack <= value.min() and value.max() <= span.hi + slack, (name, graph)
        for node in cg.graph.nodes:
            op = ops.REGISTRY[node.gate.name]
            args = [cg.node_values[a] for a in node.args]
            out, vjps = GATES[op.name].forward(*args, **node.attrs)
            slopes = op.slope([spans[a] for a in node.args], node.attrs, node.shape)
            g = rng.choice([-1.0, 1.0], np.shape(out))
            for arg, vjp, slope in zip(args, vjps, slopes, strict=True):
                # a broadcast argument collects the gradient of every element it met: the worst
                # case is their magnitudes added up
                grad = unbroadcast(np.abs(np.asarray(vjp(g))), np.shape(arg))
                assert np.max(grad, initial=0) <= slope * (1 + 1e-9), (op.name, slope, graph)
            checked_nodes += 1
    assert checked_nodes > 500
