"""``oracle.check`` called in this process: what it finds, what it returns, what it leaves behind.

The same calls in a real Jupyter kernel are ``tests/test_notebooks_kernel.py``; here the
options, the wrong calls, the result's forms and the state of numpy and the warnings.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from oracle import check
from oracle.core.record import FAILING

ROOT = Path(__file__).parent.parent


def affine_forward(x, w, b):  # type: ignore[no-untyped-def]
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)


def affine_backward(dout, cache):  # type: ignore[no-untyped-def]
    x, w, _ = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)


def affine_backward_buggy(dout, cache):  # type: ignore[no-untyped-def]
    x, w, _ = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum()


class ReluGate:
    def forward(self, x):  # type: ignore[no-untyped-def]
        self.x = x
        return np.maximum(0, x)

    def backward(self, dz):  # type: ignore[no-untyped-def]
        return [dz * (self.x > 0)]


def scale_forward(x, gamma):  # type: ignore[no-untyped-def]
    return x * gamma, (x, gamma)


def scale_backward(dout, cache):  # type: ignore[no-untyped-def]
    x, gamma = cache
    return dout * gamma, np.sum(dout * x, axis=0)


def test_a_function_its_class_and_the_namespace_are_checked() -> None:
    result = check(affine_backward, seeds=1)
    assert result.ok and {r.target for r in result.records} == {"affine"}
    assert {r.status for r in result.records} == {"match"}
    assert result.records[0].replay == "check(affine_backward, seed=0, seeds=1)"
    gate = check(ReluGate, seeds=1)
    assert {r.target for r in gate.records} == {"ReluGate"} and gate.ok
    everything = check(globals(), seeds=1)
    assert {r.target for r in everything.records} == {"affine", "ReluGate", "scale"}  # scale: fd judge
    assert {r.judge for r in everything.records if r.target == "scale"} == {"fd"}
    module = types.ModuleType("student")
    module.affine_forward, module.affine_backward = affine_forward, affine_backward
    assert {r.target for r in check(module, seeds=1).records} == {"affine"}


def test_the_object_given_is_checked_whatever_its_name_now_means() -> None:
    buggy = affine_backward_buggy
    buggy.__name__ = "affine_backward"  # a later cell's version, given by another name
    try:
        result = check(buggy, seeds=1)
    finally:
        buggy.__name__ = "affine_backward_buggy"
    assert not result.ok
    assert any("shape" in r.detail for r in result.records if r.status in FAILING)


def test_a_result_is_a_table_in_text_and_html_and_its_rows_in_pandas() -> None:
    result = check(globals(), seeds=1)
    frame = result.to_pandas()
    assert len(frame) == len(result.records) and list(frame.columns[:2]) == ["course", "target"]
    text = repr(result)
    assert text.splitlines()[0].split()[:2] == ["target", "verdict"]
    assert str(result) == text and text.endswith("no failing row")
    html = result._repr_html_()
    for line in result.lines:
        assert f'<tr data-target="{line.target}" data-status="{line.status}">' in html


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: check(42), TypeError, "check() takes a function, a class, a module or globals(), not a int"),
        (lambda: check("layers.py"), TypeError, "not a str"),
        (lambda: check({1: 2}), TypeError, "a namespace has names for keys"),
        (lambda: check(cell), ValueError, "check(cell): cell is not a gate, layer, loss or network"),
        (lambda: check(np.sum), TypeError, "not a _ArrayFunctionDispatcher"),
        (lambda: check(affine_backward, seeds=0), ValueError, "check(seeds=0)"),
        (lambda: check(affine_backward, dtype="float16"), ValueError, "check(dtype='float16')"),
        (lambda: check(affine_backward, timeout=-1), ValueError, "check(timeout=-1)"),
        (lambda: check({"x": 1}), ValueError, "check(globals()): no known gate, layer or loss"),
    ],
)
def test_a_wrong_call_is_one_clear_error(call, error, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as raised:
        call()
    assert says in str(raised.value) and "\n" not in str(raised.value)


def cell(source: str) -> dict[str, object]:
    """The namespace a notebook's cell leaves: its functions' globals."""
    namespace: dict[str, object] = {"__name__": "__main__", "np": np}
    exec(textwrap.dedent(source), namespace)
    return namespace


def test_a_bug_is_a_row_never_an_exception() -> None:
    namespace = cell(
        """
        def relu_forward(x):
            return np.maximum(x, 0), x

        def relu_backward(dout, cache):
            return 1 / 0
        """
    )
    result = check(namespace["relu_backward"], seeds=1, timeout=2)
    assert not result.ok and {r.status for r in result.records} == {"error"}
    assert all("ZeroDivisionError" in r.detail for r in result.records)


def test_numpy_and_the_warnings_are_as_they_were(tmp_path: Path) -> None:
    np.random.seed(11)
    state = np.random.get_state()
    filters = list(warnings.filters)
    with np.printoptions(precision=2), np.errstate(over="raise"):
        before = (np.get_printoptions(), np.geterr())
        check(globals(), seeds=1)
        assert (np.get_printoptions(), np.geterr()) == before
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    assert warnings.filters == filters


def test_a_hang_is_a_timeout_row() -> None:
    namespace = cell(
        """
        def tanh_forward(x):
            return np.tanh(x), np.tanh(x)

        def tanh_backward(dout, cache):
            spins = 0
            while True:
                spins += 1
        """
    )
    result = check(namespace["tanh_backward"], seeds=1, timeout=0.5)
    assert [r.status for r in result.records] == ["timeout"]
    assert "no answer within 0.5 s" in result.records[0].detail


def test_in_a_kernel_import_leaves_jax_alone_and_the_checks_still_compute_in_float64() -> None:
    code = textwrap.dedent(
        """
        import sys, types
        sys.modules["ipykernel"] = types.ModuleType("ipykernel")  # what a Jupyter kernel has imported
        import jax, numpy as np
        import oracle
        from oracle import course
        assert not jax.config.jax_enable_x64, "import oracle switched x64 on"
        assert jax.config.jax_compilation_cache_dir is None, "import oracle set JAX's cache"
        def affine_forward(x, w, b):
            return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)
        def affine_backward(dout, cache):
            x, w, _ = cache
            return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)
        records = course.check_layer(affine_forward, affine_backward, seeds=1)
        assert {r.status for r in records} == {"match"}, [r.detail for r in records]  # no float32 judge
        assert all(r.rel_err is None or r.rel_err < 1e-12 for r in records)
        assert not jax.config.jax_enable_x64
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
