"""The judge: engine against JAX on hand-picked cases, with bugs planted in the engine's gate table."""

from __future__ import annotations

import numpy as np
import pytest
from oracle_helpers import broken, chain

from oracle.campaign.judge import judge
from oracle.core.case import make_case
from oracle.core.compare import TOLERANCES, compare
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, NONFINITE, NONFINITE_BOTH
from reference.gates import GATES

LECTURE = chain(
    {"W": [2, 2], "x": [2]},
    ("q", "matmul", ["W", "x"], {}),
    ("s", "square", ["q"], {}),
    ("f", "sum", ["s"], {}),
)
LECTURE_VALUES = {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}


def verdicts(graph: dict, values: dict, cotangent=None, dtype="float64") -> dict[str, object]:
    case = make_case({"graph": graph, "values": values, "cotangent": cotangent, "dtype": dtype})
    return {r.input: r for r in judge([case])[0]}


def test_the_lecture_example_matches_in_both_dtypes():
    for dtype in ("float64", "float32"):
        records = verdicts(LECTURE, LECTURE_VALUES, dtype=dtype)
        assert {r.status for r in records.values()} == {MATCH}
        assert records["x"].tested_value == pytest.approx(-0.112, rel=1e-6)
        assert records["W"].jax_value == pytest.approx(0.088, rel=1e-6)
        assert records["x"].dtype == dtype


def test_a_forgotten_factor_in_square_is_a_mismatch_and_fd_sides_with_jax(monkeypatch):
    monkeypatch.setitem(GATES, "square", broken("square", lambda x: (x * x, (lambda g: x * g,))))
    records = verdicts(LECTURE, LECTURE_VALUES)
    for record in records.values():
        assert record.status == MISMATCH
        assert "agrees with jax" in record.detail
        assert record.fd_value == pytest.approx(record.jax_value, rel=1e-6)
        assert record.failed


def test_a_wrong_sign_in_sub_is_caught_for_the_second_input_only(monkeypatch):
    monkeypatch.setitem(GATES, "sub", broken("sub", lambda x, y: (x - y, (lambda g: g, lambda g: g))))
    graph = chain({"a": [3], "b": [3]}, ("d", "sub", ["a", "b"], {}), ("f", "sum", ["d"], {}))
    records = verdicts(graph, {"a": [1.0, 2.0, 3.0], "b": [0.5, 0.1, -1.0]})
    assert records["a"].status == MATCH
    assert records["b"].status == MISMATCH


def test_a_broadcast_summed_on_the_wrong_axis_is_caught(monkeypatch):
    # mean over axis 0 whose backward spreads the gradient over the wrong count
    def bad_mean(x, *, axis=None, keepdims=False):
        out = x.mean(axis=axis, keepdims=keepdims)
        wrong = x.shape[0] if axis == 1 else x.size
        g_shape = x.shape
        return out, (
            lambda g: np.broadcast_to(np.expand_dims(g, axis) if axis is not None else g, g_shape) / wrong,
        )

    monkeypatch.setitem(GATES, "mean", broken("mean", bad_mean))
    graph = chain({"m": [2, 3]}, ("r", "mean", ["m"], {"axis": 1}), ("f", "sum", ["r"], {}))
    records = verdicts(graph, {"m": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]})
    assert records["m"].status == MISMATCH


def test_a_wrong_forward_is_a_forward_mismatch(monkeypatch):
    monkeypatch.setitem(GATES, "exp", broken("exp", lambda x: (np.exp(x) + 1e-3, (lambda g: g * np.exp(x),))))
    graph = chain({"x": [2]}, ("e", "exp", ["x"], {}), ("f", "sum", ["e"], {}))
    records = verdicts(graph, {"x": [0.1, 0.2]})
    assert records["x"].status == FORWARD_MISMATCH
    assert "the forward output differs" in records["x"].detail


def test_an_engine_exception_is_an_error_record(monkeypatch):
    def raising(x):
        raise RuntimeError("boom")

    monkeypatch.setitem(GATES, "tanh", broken("tanh", raising))
    graph = chain({"x": []}, ("t", "tanh", ["x"], {}))
    record = verdicts(graph, {"x": 0.3})["x"]
    assert record.status == ERROR
    assert "engine raised RuntimeError: boom" in record.detail


def test_log_of_zero_is_nonfinite_on_both_sides_and_not_a_failure():
    graph = chain({"x": [2]}, ("l", "log", ["x"], {}), ("f", "sum", ["l"], {}))
    record = verdicts(graph, {"x": [0.0, 1.0]})["x"]
    assert record.status == NONFINITE_BOTH
    assert record.detail.startswith("both")
    assert not record.failed


def test_a_one_sided_nonfinite_gradient_is_a_failure(monkeypatch):
    monkeypatch.setitem(GATES, "sqrt", broken("sqrt", lambda x: (np.sqrt(x), (lambda g: g / 0.0 * x,))))
    graph = chain({"x": []}, ("s", "sqrt", ["x"], {}))
    record = verdicts(graph, {"x": 4.0})["x"]
    assert record.status == NONFINITE and record.detail.startswith("engine")
    assert record.failed


@pytest.mark.parametrize(
    ("op", "values", "gate"),
    [
        ("maximum", {"a": [1.0, 2.0], "b": [1.0, 3.0]}, "m (maximum)"),
        ("minimum", {"a": [1.0, 2.0], "b": [1.0, 3.0]}, "m (minimum)"),
    ],
)
def test_ties_are_kinks_that_name_the_gate(op, values, gate):
    graph = chain({"a": [2], "b": [2]}, ("m", op, ["a", "b"], {}), ("f", "sum", ["m"], {}))
    records = verdicts(graph, values)
    for record in records.values():
        assert record.status == KINK, record.detail
        assert gate in record.detail
        assert not record.failed


def test_relu_and_abs_at_zero_and_max_reduction_ties():
    graph = chain({"x": [3]}, ("a", "abs", ["x"], {}), ("f", "sum", ["a"], {}))
    assert verdicts(graph, {"x": [0.0, 1.0, -2.0]})["x"].status == KINK  # engine 0, JAX +1
    graph = chain({"x": [3]}, ("r", "relu", ["x"], {}), ("f", "sum", ["r"], {}))
    assert verdicts(graph, {"x": [0.0, 1.0, -2.0]})["x"].status == MATCH  # both conventions give 0
    graph = chain({"x": [2, 3]}, ("m", "max", ["x"], {"axis": 1}), ("f", "sum", ["m"], {}))
    record = verdicts(graph, {"x": [[1.0, 1.0, 0.0], [2.0, 0.0, 1.0]]})["x"]
    assert record.status == KINK and "m (max)" in record.detail


def test_svm_margin_of_exactly_zero_is_a_kink():
    graph = chain({"s": [1, 3]}, ("l", "svm_loss", ["s"], {"labels": [0]}))
    record = verdicts(graph, {"s": [[1.0, 0.0, -2.0]]})["s"]  # margin 0 - 1 + 1 = 0 for class 1
    assert record.status == KINK and "svm_loss" in record.detail


def test_a_bug_beside_a_kink_is_still_a_mismatch(monkeypatch):
    """A tie elsewhere must not excuse a wrong gradient on an input that does not control it."""
    monkeypatch.setitem(
        GATES, "mul", broken("mul", lambda x, y: (x * y, (lambda g: g * y, lambda g: 2 * g * x)))
    )
    graph = chain(
        {"a": [2], "b": [2], "c": [2]},
        ("m", "maximum", ["a", "a"], {}),
        ("p", "mul", ["b", "c"], {}),
        ("s", "add", ["m", "p"], {}),
        ("f", "sum", ["s"], {}),
    )
    records = verdicts(graph, {"a": [1.0, 2.0], "b": [0.5, 0.7], "c": [1.5, -0.3]})
    assert records["c"].status == MISMATCH
    assert records["a"].status == MATCH


def test_a_batch_of_cases_gives_the_same_records_as_one_by_one():
    rng = np.random.default_rng(0)
    cases = [
        make_case(
            {
                "graph": LECTURE,
                "values": {"W": rng.normal(size=(2, 2)).tolist(), "x": rng.normal(size=2).tolist()},
            }
        )
        for _ in range(5)
    ]
    assert judge(cases) == [judge([c])[0] for c in cases]


def test_judge_refuses_cases_of_different_graphs():
    other = chain({"x": []}, ("t", "tanh", ["x"], {}))
    with pytest.raises(ValueError, match="one graph"):
        judge(
            [
                make_case({"graph": LECTURE, "values": LECTURE_VALUES}),
                make_case({"graph": other, "values": {"x": 1}}),
            ]
        )


def test_compare_uses_the_dtype_table_and_reports_the_worst_element():
    tol = TOLERANCES["float64"].rtol
    a = np.array([1.0, 2.0, 3.0])
    assert compare(a, a * (1 + tol / 10), "float64").ok
    result = compare(a, np.array([1.0, 2.5, 3.0]), "float64")
    assert not result.ok and result.worst_index == (1,) and (result.a_value, result.b_value) == (2.0, 2.5)
    assert result.rel_err == pytest.approx(0.5 / 4.5)
    assert compare(np.float32(1.0) + np.float32(1e-5), np.float32(1.0), "float32").ok
    assert not compare(np.ones(2), np.ones(3), "float64").ok
    assert "shape" in compare(np.ones(2), np.ones(3), "float64").problem


@pytest.mark.parametrize(
    ("dtype", "small", "wrong", "large"),
    [("float64", 0.5, 0.4, 1e12), ("float32", 0.5, 0.49, 2e4)],
)
def test_a_wrong_small_element_beside_a_large_one_is_caught(dtype, small, wrong, large):
    # Each element's absolute floor is its own: a large neighbour lends it none.
    assert not compare(np.array([wrong, large]), np.array([small, large]), dtype).ok
    assert compare(np.array([small, large]), np.array([small, large]), dtype).ok


def test_an_element_that_cancels_from_large_terms_gets_its_terms_floor():
    # 1e-6 absolute is far beyond float32's rtol for a value of 1e-4, but within the
    # floor of terms of size 20 (what the rounding of 20 - 19.9999 can leave).
    assert not compare(np.float32(1.0e-4), np.float32(1.01e-4), "float32").ok
    assert compare(np.float32(1.0e-4), np.float32(1.01e-4), "float32", scale=20.0).ok


def test_a_bug_that_hurts_only_small_elements_is_a_mismatch_in_float32(monkeypatch):
    def mul_wrong_when_small(x, y):
        return x * y, (lambda g: g * np.where(np.abs(y) < 1, 0.98 * y, y), lambda g: g * x)

    monkeypatch.setitem(GATES, "mul", broken("mul", mul_wrong_when_small))
    graph = chain({"x": [2], "y": [2]}, ("m", "mul", ["x", "y"], {}), ("f", "sum", ["m"], {}))
    records = verdicts(graph, {"x": [2e4, 0.5], "y": [2e4, 0.5]}, dtype="float32")
    assert records["x"].status == MISMATCH
    assert records["x"].worst_index == "[1]"
    assert records["y"].status == MATCH


def test_float32_rounding_in_a_saturated_tanh_is_not_a_mismatch():
    # 1 - tanh(6.9)^2 ~ 6e-5 cancels from terms of size 1: float32 leaves ~1e-2 relative error
    # on both sides, which the rounding scale measured in float64 accounts for.
    graph = chain(
        {"x": [2]},
        ("a", "add", ["x", "x"], {}),
        ("m", "mul", ["a", "a"], {}),
        ("t", "tanh", ["m"], {}),
    )
    values = {"x": [-1.3102271556854248, -0.6125947833061218]}
    records = verdicts(graph, values, cotangent=[1.3132702112197876, 1.4127556085586548], dtype="float32")
    assert records["x"].status == MATCH


def test_an_edge_detail_splits_back_into_its_start_and_the_rest():
    from oracle.core.record import edge_detail, split_edge

    start = edge_detail("hinge margins of exactly 0")
    assert split_edge(f"{start}; student 1 vs jax 2") == (f"{start}; ", "student 1 vs jax 2")
    assert split_edge("student 1 vs jax 2; central fd 2") == ("", "student 1 vs jax 2; central fd 2")
