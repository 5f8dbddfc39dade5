"""One op, one place: everything about a gate comes from its ``@gate`` declaration in ``reference.gates``.

The attribute types, the required and default attrs, the convention at kinks, the ``Value``
method and the checks of every call are derived from the table; a gate declared here in a
test is at once a method of ``Value`` and an op of the graph format.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator

import numpy as np
import pytest
from test_gates import CASES, assert_matches_finite_differences
from test_vision_gates import VISION_ATTRS

import reference.graph
from reference import GATES, ComputationalGraph, Gate, GraphError, Value, apply, check_graph
from reference.checks import AXIS, BOOL, LABELS, NUMBER, SHAPE, Attr, AttrType
from reference.gates import gate
from reference.shapes import same

# ------------------------------------------------------------ the declarations


def test_every_attr_is_declared_with_a_type_and_every_default_passes_it():
    for g in GATES.values():
        for name, attr in g.attrs.items():
            assert isinstance(attr, Attr) and isinstance(attr.kind, AttrType), (g.name, name)
            if not attr.required:
                assert attr.kind.check(attr.default) == attr.default


def test_forward_keywords_are_the_declared_attrs_in_order():
    for g in GATES.values():
        params = inspect.signature(g.forward).parameters.values()
        assert [p.name for p in params if p.kind is p.KEYWORD_ONLY] == list(g.attrs), g.name
        assert len([p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]) == g.arity, g.name


def test_declared_attrs():
    declared = {
        name: {a: (attr.kind, attr.default) for a, attr in g.attrs.items()} for name, g in GATES.items()
    }
    required = Attr(NUMBER).default
    reduction = {"axis": (AXIS, None), "keepdims": (BOOL, False)}
    # The lecture's ops, as declared (a new op adds its own attrs without touching this table).
    expected = {
        "add_const": {"c": (NUMBER, required)},
        "mul_const": {"c": (NUMBER, required)},
        "pow_const": {"p": (NUMBER, required)},
        "sum": reduction,
        "mean": reduction,
        "max": reduction,
        "reshape": {"shape": (SHAPE, required)},
        "svm_loss": {"labels": (LABELS, required)},
        "softmax_loss": {"labels": (LABELS, required)},
        **VISION_ATTRS,
    }
    assert {name: declared[name] for name in expected} == expected
    assert not any(declared[name] for name in ("add", "exp", "matmul", "transpose", "relu"))


def test_the_gates_with_kinks_declare_their_convention():
    with_kinks = {name for name, g in GATES.items() if g.kinks}
    assert with_kinks >= {"maximum", "minimum", "max", "relu", "abs", "svm_loss", "max_pool2d"}
    assert not with_kinks & {"add", "exp", "tanh", "sigmoid", "matmul", "sum", "softmax_loss"}
    assert "first input" in GATES["maximum"].kinks and "first winner" in GATES["max"].kinks
    assert all(isinstance(g.kinks, str) for g in GATES.values())


def test_every_gate_documents_its_forward_and_local_gradient():
    for g in GATES.values():
        assert g.doc, g.name
        assert "d" in g.doc.split(";", 1)[-1], g.name  # "...; dx = ..." (or ds for the losses)


def test_the_graph_module_names_no_attribute():
    """Attributes are validated by their declared types only: graph.py hard-codes no attr name."""
    source = inspect.getsource(reference.graph)
    for g in GATES.values():
        for name in g.attrs:
            assert f'"{name}"' not in source and f"'{name}'" not in source, name


def test_gate_fields_keep_working_for_replace_and_json_shapes():
    replaced = dataclasses.replace(GATES["sum"], forward=GATES["mean"].forward)
    assert replaced.attrs == GATES["sum"].attrs and replaced.kinks == GATES["sum"].kinks
    assert (replaced.name, replaced.arity, replaced.shape) == ("sum", 1, GATES["sum"].shape)
    # the oracle calls shape rules with attrs straight from JSON: lists, not tuples
    assert GATES["reshape"].shape((2, 3), shape=[3, -1]) == (3, 2)
    assert GATES["svm_loss"].shape([2, 3], labels=[0, 2]) == ()
    assert GATES["sum"].shape((2, 3), axis=-1, keepdims=True) == (2, 1)
    assert GATES["add"].shape([2, 1], [3]) == (2, 3)


def test_gate_check_returns_the_attrs_forward_takes_and_the_shape():
    assert GATES["sum"].check([(2, 3)], {"axis": np.int64(1)}) == ({"axis": 1, "keepdims": False}, (2,))
    assert GATES["reshape"].check([(6,)], {"shape": [2, -1]}) == ({"shape": (2, -1)}, (2, 3))
    with pytest.raises(ValueError, match=r"missing attr 'c'"):
        GATES["add_const"].check([(2,)], {})
    with pytest.raises(ValueError, match=r"unknown attr 'axes' \(expected: axis, keepdims\)"):
        GATES["sum"].check([(2,)], {"axes": 0})
    with pytest.raises(ValueError, match=r"takes 2 input\(s\), got 1"):
        GATES["add"].check([(2,)], {})


# ------------------------------------------------------------ Value methods


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_gate_is_a_value_method(name):
    """The method is the gate: same value and same gradients as ``apply`` (first case of test_gates)."""
    case = next(c for c in CASES if c.gate == name)
    x = Value(case.inputs[0])
    method = getattr(x, name)
    assert callable(method)

    def via_method(*values: Value) -> Value:
        return getattr(values[0], name)(*values[1:], **case.attrs)

    values = [Value(a) for a in case.inputs]
    out, expected = via_method(*values), apply(name, *(Value(a) for a in case.inputs), **case.attrs)
    assert out.op == name
    assert out.data.tobytes() == expected.data.tobytes()
    assert_matches_finite_differences(via_method, case.inputs)


def test_attrs_by_position_follow_the_declaration_order():
    m = np.array([[1.0, -2.0, 3.0], [-0.5, 0.25, 2.0]])
    x = Value(m)
    np.testing.assert_array_equal(x.sum(0, True).data, m.sum(axis=0, keepdims=True))
    np.testing.assert_array_equal(x.max(-1).data, m.max(axis=-1))
    np.testing.assert_array_equal(x.mean(1, keepdims=True).data, m.mean(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.add_const(2.5).data, m + 2.5)
    np.testing.assert_array_equal(x.pow_const(p=3).data, m**3)
    np.testing.assert_array_equal(x.maximum(Value(np.zeros(3))).data, np.maximum(m, 0))
    assert x.svm_loss([2, 0]).data == apply("svm_loss", Value(m), labels=[2, 0]).data
    with pytest.raises(
        TypeError, match=r"sum\(\) takes 0 more input\(s\), then at most 2 attr\(s\) \(axis, keepdims\)"
    ):
        x.sum(0, True, 1)
    with pytest.raises(
        TypeError,
        match=r"tanh\(\) takes 0 more input\(s\), then at most 0 attr\(s\) \(none\); got 1 positional",
    ):
        x.tanh(1)
    with pytest.raises(TypeError, match=r"sum\(\) got attr 'axis' twice"):
        x.sum(0, axis=1)
    with pytest.raises(GraphError, match=r"maximum: takes 2 input\(s\), got 1"):
        x.maximum()


def test_only_gates_become_methods():
    x = Value(1.0)
    with pytest.raises(AttributeError, match="no attribute 'tanhh'"):
        x.tanhh  # noqa: B018
    assert not hasattr(x, "__array_interface__") and not hasattr(x, "__array__")
    assert np.asarray([x], dtype=object)[0] is x


# ------------------------------------------------------------ a new gate


@pytest.fixture
def registry() -> Iterator[None]:
    saved = dict(GATES)
    yield
    GATES.clear()
    GATES.update(saved)


def declare_leaky_relu() -> None:
    @gate("leaky_relu", 1, same, alpha=Attr(NUMBER, default=0.01), kinks="gradient alpha at x == 0")
    def leaky_relu(x: np.ndarray, *, alpha: float) -> tuple[np.ndarray, tuple]:
        """max(x, alpha x); dx = g where x > 0, alpha g elsewhere."""
        on = x > 0
        return np.where(on, x, alpha * x), (lambda g: np.where(on, g, alpha * g),)


def test_a_new_gate_is_declared_once_and_is_everywhere(registry):
    declare_leaky_relu()
    assert GATES["leaky_relu"].kinks == "gradient alpha at x == 0"
    # a Value method, attrs by name, by position or by default
    x = Value([-2.0, 3.0])
    np.testing.assert_array_equal(x.leaky_relu(alpha=0.1).data, [-0.2, 3.0])
    np.testing.assert_array_equal(x.leaky_relu(0.5).data, [-1.0, 3.0])
    np.testing.assert_array_equal(x.leaky_relu().data, [-0.02, 3.0])
    x.leaky_relu(0.1).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.1, 1.0])
    with pytest.raises(GraphError, match=r"leaky_relu: attr 'alpha' must be a finite number, got '0.1'"):
        x.leaky_relu("0.1")
    # an op of the graph format, with its attr checked by its declared type
    spec = {
        "inputs": {"x": [2]},
        "nodes": [
            {"id": "y", "op": "leaky_relu", "args": ["x"], "attrs": {"alpha": 0.2}},
            {"id": "f", "op": "sum", "args": ["y"]},
        ],
        "output": "f",
    }
    graph = ComputationalGraph(spec)
    assert graph.forward({"x": [-1.0, 1.0]}) == pytest.approx(0.8)
    np.testing.assert_allclose(graph.backward()["x"], [0.2, 1.0])
    spec["nodes"][0]["attrs"] = {"alpha": True}
    with pytest.raises(GraphError, match=r"node 'y' \(leaky_relu\): attr 'alpha' must be a finite number"):
        check_graph(spec)
    spec["nodes"][0]["attrs"] = None
    assert check_graph(spec).nodes[0].attrs == {"alpha": 0.01}


def test_a_declaration_that_does_not_match_its_forward_is_refused(registry):
    with pytest.raises(
        TypeError, match=r"gate 'scale': forward's keywords \['c'\] are not the declared attrs \['k'\]"
    ):

        @gate("scale", 1, same, k=Attr(NUMBER))
        def scale(x: np.ndarray, *, c: float) -> tuple[np.ndarray, tuple]:
            return c * x, (lambda g: c * g,)

    with pytest.raises(TypeError, match=r"gate 'twice': forward takes inputs \['x'\], declared 2 input\(s\)"):

        @gate("twice", 2, same)
        def twice(x: np.ndarray) -> tuple[np.ndarray, tuple]:
            return 2 * x, (lambda g: 2 * g,)

    with pytest.raises(
        TypeError, match=r"gate 'shift': the default of attr 'c' must be a finite number, got '1'"
    ):

        @gate("shift", 1, same, c=Attr(NUMBER, default="1"))
        def shift(x: np.ndarray, *, c: float) -> tuple[np.ndarray, tuple]:
            return x + c, (lambda g: g,)

    assert not {"scale", "twice", "shift"} & set(GATES)


def test_a_gate_object_that_is_not_in_the_table_still_runs_through_apply():
    double = Gate("double", 1, lambda x: (2 * x, (lambda g: 2 * g,)), same)
    x = Value([1.0, 2.0])
    apply(double, x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    with pytest.raises(GraphError, match=r"double: unknown attr 'c' \(expected: none\)"):
        apply(double, x, c=1)
    with pytest.raises(GraphError, match=r"unknown gate 'triple'"):
        apply("triple", x)
