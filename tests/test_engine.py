"""The ``Value`` API and the backward walk: the lecture's examples, operators, dtypes, errors, depth, bits."""

from __future__ import annotations

import ast
import gc
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import reference.engine
from reference import Value, apply
from reference.gates import Gate

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter that imports this checkout's ``reference``; returns stdout."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# ------------------------------------------------------- the lecture's examples


def test_lecture_example_1_add_then_multiply():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert f.data == -12.0
    assert q.grad == -4.0  # df/dq = z
    assert x.grad == -4.0 and y.grad == -4.0
    assert z.grad == 3.0


def sigmoid_neuron_primitive(w0: Value, x0: Value, w1: Value, x1: Value, w2: Value) -> Value:
    """The lecture's circuit gate by gate: *, *, +, +, *-1, exp, +1, 1/x."""
    dot = w0 * x0 + w1 * x1 + w2
    return apply("reciprocal", apply("add_const", apply("mul_const", dot, c=-1).exp(), c=1))


def sigmoid_neuron_operators(w0: Value, x0: Value, w1: Value, x1: Value, w2: Value) -> Value:
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def sigmoid_neuron_fused(w0: Value, x0: Value, w1: Value, x1: Value, w2: Value) -> Value:
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


@pytest.mark.parametrize("neuron", [sigmoid_neuron_primitive, sigmoid_neuron_operators, sigmoid_neuron_fused])
def test_lecture_example_2_sigmoid_neuron(neuron):
    w0, x0, w1, x1, w2 = (Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    f = neuron(w0, x0, w1, x1, w2)
    f.backward()
    # the lecture rounds to two decimals
    assert round(float(f.data), 2) == 0.73
    expected = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    got = {"w0": w0.grad, "x0": x0.grad, "w1": w1.grad, "x1": x1.grad, "w2": w2.grad}
    assert {name: round(float(g), 2) for name, g in got.items()} == expected
    # and exactly: the local gradient of the sigmoid is s(1 - s), s = sigmoid(1)
    s = 1 / (1 + math.exp(-1.0))
    assert w0.grad == pytest.approx(-1.0 * s * (1 - s), rel=1e-12)
    assert x1.grad == pytest.approx(-3.0 * s * (1 - s), rel=1e-12)


def test_lecture_example_3_squared_norm_of_a_matrix_vector_product():
    W = Value([[0.1, 0.5], [-0.3, 0.8]])
    x = Value([0.2, 0.4])
    q = W @ x
    f = (q * q).sum()
    f.backward()
    assert f.data == pytest.approx(0.116, abs=1e-12)
    np.testing.assert_allclose(q.grad, [0.44, 0.52], atol=1e-12)  # 2q
    np.testing.assert_allclose(W.grad, [[0.088, 0.176], [0.104, 0.208]], atol=1e-12)
    np.testing.assert_allclose(x.grad, [-0.112, 0.636], atol=1e-12)
    # the same with the square and sum gates spelled as methods
    W2, x2 = Value(W.data), Value(x.data)
    (W2 @ x2).square().sum().backward()
    np.testing.assert_allclose(W2.grad, W.grad, atol=1e-15)
    np.testing.assert_allclose(x2.grad, x.grad, atol=1e-15)


# ------------------------------------------------------------------ operators

A = np.array([1.0, -2.0, 4.0])
C = np.array([0.5, 3.0, -1.5])

# (expression, value, d(sum of value)/dx), with x = Value(A) and plain numbers and arrays on either side
OPERATORS = [
    ("x + 2", lambda x: x + 2, A + 2, np.ones(3)),
    ("2 + x", lambda x: 2 + x, A + 2, np.ones(3)),
    ("x - 2", lambda x: x - 2, A - 2, np.ones(3)),
    ("2 - x", lambda x: 2 - x, 2 - A, -np.ones(3)),
    ("x * 3", lambda x: x * 3, 3 * A, 3 * np.ones(3)),
    ("3 * x", lambda x: 3 * x, 3 * A, 3 * np.ones(3)),
    ("x / 4", lambda x: x / 4, A / 4, np.full(3, 0.25)),
    ("1 / x", lambda x: 1 / x, 1 / A, -1 / A**2),
    ("x ** 2", lambda x: x**2, A**2, 2 * A),
    ("x ** 3", lambda x: x**3, A**3, 3 * A**2),
    ("-x", lambda x: -x, -A, -np.ones(3)),
    ("x + array", lambda x: x + C, A + C, np.ones(3)),
    ("array + x", lambda x: C + x, A + C, np.ones(3)),
    ("array - x", lambda x: C - x, C - A, -np.ones(3)),
    ("x * array", lambda x: x * C, A * C, C),
    ("array * x", lambda x: C * x, A * C, C),
    ("array / x", lambda x: C / x, C / A, -C / A**2),
    ("x / array", lambda x: x / C, A / C, 1 / C),
    ("x @ array", lambda x: x @ C, A @ C, C),
    ("array @ x", lambda x: C @ x, A @ C, C),
    ("matrix @ x", lambda x: np.outer(C, C) @ x, np.outer(C, C) @ A, np.outer(C, C).sum(axis=0)),
    ("x * x", lambda x: x * x, A * A, 2 * A),
    ("x - x / 2", lambda x: x - x / 2, A / 2, np.full(3, 0.5)),
]


@pytest.mark.parametrize(
    ("expression", "value", "grad"), [o[1:] for o in OPERATORS], ids=[o[0] for o in OPERATORS]
)
def test_operators_with_numbers_and_arrays_on_either_side(expression, value, grad):
    x = Value(A)
    out = expression(x)
    assert isinstance(out, Value)
    np.testing.assert_allclose(out.data, value, rtol=1e-15)
    out.sum().backward() if out.shape else out.backward()
    np.testing.assert_allclose(x.grad, grad, rtol=1e-15)


def test_operators_between_two_values():
    x, y = Value([1.0, 2.0]), Value([3.0, -4.0])
    (x * y + x / y - (x - y) + x @ y).sum().backward()
    # d/dx = y + 1/y - 1 + y*2 (x @ y is a scalar added to both elements), d/dy = x - x/y^2 + 1 + x*2
    np.testing.assert_allclose(x.grad, y.data + 1 / y.data - 1 + 2 * y.data, rtol=1e-15)
    np.testing.assert_allclose(y.grad, x.data - x.data / y.data**2 + 1 + 2 * x.data, rtol=1e-15)


def test_a_value_exponent_is_refused():
    x = Value(2.0)
    with pytest.raises(TypeError, match="exponent must be a number"):
        x ** Value(2.0)


# --------------------------------------------------------------------- methods

M = np.array([[1.0, -2.0, 3.0], [-0.5, 0.25, 2.0]])

# (call, gate name, numpy value)
METHODS = [
    ("exp", lambda x: x.exp(), "exp", np.exp(M)),
    ("log", lambda x: x.abs().log(), "log", np.log(np.abs(M))),
    ("sqrt", lambda x: x.abs().sqrt(), "sqrt", np.sqrt(np.abs(M))),
    ("square", lambda x: x.square(), "square", M**2),
    ("reciprocal", lambda x: x.reciprocal(), "reciprocal", 1 / M),
    ("tanh", lambda x: x.tanh(), "tanh", np.tanh(M)),
    ("sigmoid", lambda x: x.sigmoid(), "sigmoid", 1 / (1 + np.exp(-M))),
    ("relu", lambda x: x.relu(), "relu", np.maximum(M, 0)),
    ("abs", lambda x: x.abs(), "abs", np.abs(M)),
    ("maximum", lambda x: x.maximum(1.0), "maximum", np.maximum(M, 1.0)),
    ("minimum", lambda x: x.minimum(Value(np.ones(3))), "minimum", np.minimum(M, 1.0)),
    ("sum()", lambda x: x.sum(), "sum", M.sum()),
    ("sum(axis=0)", lambda x: x.sum(axis=0), "sum", M.sum(axis=0)),
    (
        "mean(axis=1, keepdims)",
        lambda x: x.mean(axis=1, keepdims=True),
        "mean",
        M.mean(axis=1, keepdims=True),
    ),
    ("max(axis=-1)", lambda x: x.max(axis=-1), "max", M.max(axis=-1)),
    ("transpose()", lambda x: x.transpose(), "transpose", M.T),
    (".T", lambda x: x.T, "transpose", M.T),
    ("reshape(3, 2)", lambda x: x.reshape(3, 2), "reshape", M.reshape(3, 2)),
    ("reshape((3, 2))", lambda x: x.reshape((3, 2)), "reshape", M.reshape(3, 2)),
    ("reshape([-1])", lambda x: x.reshape([-1]), "reshape", M.reshape(-1)),
    ("reshape(-1)", lambda x: x.reshape(-1), "reshape", M.reshape(-1)),
    ("reshape(1, -1, 2)", lambda x: x.reshape(1, -1, 2), "reshape", M.reshape(1, 3, 2)),
    ("svm_loss", lambda x: x.svm_loss([2, 0]), "svm_loss", (0 + 0 + 1.75 + 3.5) / 2),
    (
        "softmax_loss",
        lambda x: x.softmax_loss([2, 0]),
        "softmax_loss",
        -(np.log(np.exp(3.0) / np.exp(M[0]).sum()) + np.log(np.exp(-0.5) / np.exp(M[1]).sum())) / 2,
    ),
]


@pytest.mark.parametrize(("call", "op", "value"), [m[1:] for m in METHODS], ids=[m[0] for m in METHODS])
def test_methods_run_their_gate(call, op, value):
    x = Value(M)
    out = call(x)
    assert out.op == op
    assert out.shape == np.shape(value)
    np.testing.assert_allclose(out.data, value, rtol=1e-14)


def test_method_gradients():
    x = Value(M)
    x.reshape(3, 2).T.sum(axis=0).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 2.0], [2.0, 3.0, 3.0]])
    x = Value(M)
    x.mean(axis=1).backward(np.array([3.0, 6.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    x = Value(M)
    x.maximum(1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    x = Value(M)
    x.tanh().sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh(M) ** 2, rtol=1e-14)


# ---------------------------------------------------------------------- dtypes


def test_float64_is_the_default():
    assert Value(3).dtype == np.float64
    assert Value([1, 2]).dtype == np.float64
    assert Value(np.array([1, 2], dtype=np.int32)).dtype == np.float64
    assert Value(np.float64(1.5)).dtype == np.float64
    assert Value([True, False]).dtype == np.float64
    assert Value([1, 2], dtype=np.float32).dtype == np.float32
    x = Value([1, 2])
    (x * 2).sum().backward()
    assert x.grad.dtype == np.float64


def test_float32_is_kept_through_operations_and_gradients():
    x = Value(np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32))
    w = Value(np.array([1.5, -0.5], dtype=np.float32))
    h = ((x @ w + 1) / 3 - 2 * (x.T @ x).sum(axis=0)).tanh()
    h = h * np.array([1.0, 2.0]) + np.array([0.5, 0.5]) - 0.5 * h.exp() + h**2 + 1 / (h.abs() + 1)
    out = h.sigmoid().maximum(0.1).relu().mean()
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    # a float64 upstream is cast to the output's dtype
    out.backward(np.float64(2.0))
    assert x.grad.dtype == np.float32
    assert Value(np.float32(1.0)).dtype == np.float32


# --------------------------------------------------------------------- backward


def test_backward_on_a_non_scalar_output_needs_an_upstream():
    y = Value([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match=r"shape \[2\] needs an upstream gradient"):
        y.backward()


def test_backward_refuses_an_upstream_of_the_wrong_shape():
    y = Value([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match=r"upstream gradient has shape \[3\], the output \[2\]"):
        y.backward(np.ones(3))
    with pytest.raises(ValueError, match=r"upstream gradient has shape \[2\], the output \[\]"):
        (y.sum()).backward([1.0, 1.0])


def test_backward_on_a_scalar_defaults_to_one():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert y.grad == 1.0 and x.grad == 6.0


def test_second_backward_does_not_accumulate():
    assert "does not accumulate" in reference.engine.__doc__
    x, y = Value([1.0, 2.0, 3.0]), Value([0.5, -1.0, 2.0])
    a = x * y
    out = (a.tanh() * a + x.exp() / y).sum()
    out.backward()
    first = (x.grad.copy(), y.grad.copy(), a.grad.copy())
    out.backward()
    for before, after in zip(first, (x.grad, y.grad, a.grad), strict=True):
        assert before.tobytes() == after.tobytes()
    out.backward(np.array(2.0))  # recomputed with the new upstream, not added
    np.testing.assert_array_equal(x.grad, 2 * first[0])


def test_requires_grad_false_gets_no_gradient():
    x = Value([1.0, 2.0])
    c = Value([3.0, 4.0], requires_grad=False)
    out = (x * c + c.exp()).sum()
    out.backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    constant = c * 2
    assert not constant.requires_grad
    assert (x * 2).requires_grad


def test_the_rule_of_an_input_that_needs_no_gradient_is_never_called():
    def refuse(g: np.ndarray) -> np.ndarray:
        raise AssertionError("the rule of a constant input was called")

    half = Gate("half_mul", 2, lambda x, y: (x * y, (lambda g: g * y, refuse)), lambda x, y: x)
    x = Value([1.0, 2.0])
    apply(half, x, np.array([5.0, 7.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])


def test_unbroadcast_sums_back_to_the_input_shape():
    x, row, scalar = Value(np.ones((3, 4))), Value(np.ones(4)), Value(2.0)
    column = Value(np.ones((3, 1)))
    (x * row * scalar + column).backward(np.arange(12.0).reshape(3, 4))
    upstream = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(row.grad, 2 * upstream.sum(axis=0))
    np.testing.assert_array_equal(column.grad, upstream.sum(axis=1, keepdims=True))
    assert scalar.grad.shape == () and scalar.grad == upstream.sum()


# -------------------------------------------------------------------- depth


@pytest.mark.slow
def test_a_million_gate_chain_needs_no_recursion():
    """500,000 times (mul_const c, neg): depth 10^6, far beyond Python's recursion limit."""
    c = 1 + 1e-6
    x = Value(0.75)
    y = x
    # The graph has no reference cycles, so the cyclic garbage collector has nothing to find in it; left on,
    # it would rescan all the live nodes again and again as they pile up (about a third of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(500_000):
            y = -apply("mul_const", y, c=c)
        y.backward()
    finally:
        if gc_was_enabled:
            gc.enable()
    # y = (-c)^500000 x = c^500000 x (an even number of negations), so dy/dx = c^500000 ~ e^0.5. Each of
    # the 500,000 products rounds once (relative error <= 1.1e-16 each), so rtol 1e-9 is far more than
    # enough, yet one gate skipped or counted twice would be off by 1e-6.
    assert x.grad == pytest.approx(c**500_000, rel=1e-9, abs=0)
    assert y.data == pytest.approx(0.75 * c**500_000, rel=1e-9, abs=0)
    assert x.grad == pytest.approx(math.exp(0.5), rel=1e-6)


# ------------------------------------------------------------------ determinism

FAN_OUT_GRAPH = textwrap.dedent(
    """
    import numpy as np
    from reference import Value

    def fan_out_gradients():
        rng = np.random.default_rng(7)
        x = Value(np.linspace(-1.0, 1.0, 64))
        w = Value(rng.normal(size=(64, 64)) / 8)
        nodes = [x, (w @ x).tanh()]
        for _ in range(300):  # every node feeds several later ones
            a, b = (nodes[int(i)] for i in rng.integers(len(nodes), size=2))
            nodes.append((a * b).tanh() + a * 0.5 - b.sigmoid())
        total = nodes[0].sum()
        for node in nodes[1:]:
            total = total + node.sum() * 0.01
        total.backward()
        return x.grad.tobytes() + w.grad.tobytes()
    """
)


def test_gradients_are_bitwise_identical_across_runs_and_processes():
    namespace: dict = {}
    exec(FAN_OUT_GRAPH, namespace)
    first = namespace["fan_out_gradients"]()
    assert len(first) == 8 * (64 + 64 * 64)
    assert first == namespace["fan_out_gradients"]()
    code = FAN_OUT_GRAPH + "\nprint(fan_out_gradients().hex())\n"
    for seed in ("1", "2"):  # another process, other hash seeds, other object addresses
        assert run_python(code, PYTHONHASHSEED=seed).strip() == first.hex()


# ----------------------------------------------------------- no jax, no oracle


def forbidden(module: str) -> bool:
    return module.split(".")[0] in ("jax", "oracle")


def test_reference_never_imports_jax_or_oracle_statically():
    files = sorted((ROOT / "reference").glob("*.py"))
    assert {"engine.py", "gates.py", "graph.py", "__init__.py"} <= {f.name for f in files}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in (
                "__import__",
                "importlib.import_module",
            ):
                names = [ast.unparse(arg).strip("'\"") for arg in node.args[:1]]
            else:
                continue
            assert not any(forbidden(name) for name in names), f"{file.name}:{node.lineno} imports {names}"


def test_reference_never_imports_jax_or_oracle_at_runtime():
    code = textwrap.dedent(
        """
        import pkgutil, sys
        import reference
        for module in pkgutil.iter_modules(reference.__path__):
            __import__("reference." + module.name)
        loaded = [m for m in sys.modules if m.split(".")[0] in ("jax", "oracle")]
        assert not loaded, loaded
        assert "reference.graph" in sys.modules and "numpy" in sys.modules
        print("clean")
        """
    )
    assert run_python(code).strip() == "clean"


def test_grads_are_never_shared_and_keep_each_inputs_dtype():
    x = Value(np.array([1.0, 2.0], dtype=np.float32))
    y = Value(np.array([3.0, 4.0]))
    upstream = np.ones(2)
    (x + y).backward(upstream)
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64
    assert x.grad is not y.grad and y.grad is not upstream
    y.grad[:] = 7.0  # editing one gradient in place leaves the others alone
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(upstream, [1.0, 1.0])
