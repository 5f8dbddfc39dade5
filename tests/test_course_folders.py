"""Running the check on a real assignment folder, as a student would, with no setup.

Samples: ``course_samples/assignment2/cs231n/`` (``layers.py`` imports ``cs231n.im2col``,
``layer_utils.py`` imports ``cs231n.layers``, ``classifiers/fc_net.py`` imports
``..layers`` relatively), ``course_samples/templates.py`` (unfinished code).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH
from oracle.course.loading.unfinished import template_reason

SAMPLES = Path(__file__).parent / "course_samples"
A2 = SAMPLES / "assignment2" / "cs231n"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": "", "input": ""})


@pytest.fixture
def clean_imports() -> Any:
    """The check leaves the import path and the module table as it found them."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    assert sys.path == path
    assert not [m for m in set(sys.modules) - modules if m.split(".")[0] == "cs231n"]


def test_an_assignment_file_that_imports_its_package_checks_without_setup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_imports: None
) -> None:
    code, frame = check(tmp_path / "c.csv", A2 / "layers.py")
    text = capsys.readouterr().out
    assert code == 1  # conv_forward_naive is still the template
    done = frame[frame.target != "conv_naive"]
    assert set(done.status) <= {MATCH, KINK}
    assert {"affine", "relu", "sigmoid", "svm_loss", "softmax_loss", "leaky_relu"} <= set(done.target)
    unfinished = frame[frame.target == "conv_naive"]
    assert len(unfinished) == 1 and unfinished.iloc[0].status == ERROR
    assert unfinished.iloc[0].detail.startswith(
        "not implemented: conv_forward_naive is still the assignment's"
    )
    assert unfinished.iloc[0].judge == "jax"  # oracle.courses.cs231n.vision_conv
    assert "conv_naive (layer): not implemented: conv_forward_naive is still the assignment's" in text
    # a pair without a reference is judged by finite differences, and says so
    assert set(frame[frame.target == "leaky_relu"].judge) == {"fd"}
    assert (
        "leaky_relu (layer, judge fd: finite differences of your own forward, which is itself unverified): "
        in text
    )


def test_a_backward_that_edits_its_inputs_is_noted_not_failed(tmp_path: Path, clean_imports: None) -> None:
    _, frame = check(tmp_path / "c.csv", A2 / "layers.py", "--target", "relu,sigmoid")
    relu, sigmoid = frame[frame.target == "relu"], frame[frame.target == "sigmoid"]
    assert set(relu.status) == {MATCH} and (relu.warning == "relu_backward modified dout in place").all()
    # the cache is the returned output: the forward is judged as it was returned, before the backward ran
    assert set(sigmoid.status) == {MATCH}
    assert (sigmoid.warning == "sigmoid_backward modified cache (the output) in place").all()


def test_sibling_and_relative_imports_of_the_package(tmp_path: Path, clean_imports: None) -> None:
    code, frame = check(tmp_path / "u.csv", A2 / "layer_utils.py", "--target", "affine_relu")
    assert code == 0 and set(frame.status) == {MATCH}
    code, frame = check(tmp_path / "n.csv", A2 / "classifiers" / "fc_net.py", "--target", "TwoLayerNet")
    assert code == 0 and set(frame.status) == {MATCH}
    assert frame.warning.str.startswith("convention: 0.5 * reg * sum(W**2)").all()


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


RELU = """
import numpy as np
from cs231n.helpers import SLOPE


def relu_forward(x):
    return np.maximum(0, x) * SLOPE, x


def relu_backward(dout, cache):
    return dout * (cache > 0) * SLOPE
"""


def test_a_package_without_init_files_is_found_in_a_parent_folder(
    tmp_path: Path, clean_imports: None
) -> None:
    _write(tmp_path, {"hw/cs231n/helpers.py": "SLOPE = 1.0\n", "hw/cs231n/layers.py": RELU})
    code, frame = check(tmp_path / "c.csv", tmp_path / "hw" / "cs231n" / "layers.py")
    assert code == 0 and set(frame.target) == {"relu"}


def test_two_assignments_with_their_own_package_in_one_process(tmp_path: Path, clean_imports: None) -> None:
    _write(tmp_path, {"one/cs231n/__init__.py": "", "one/cs231n/helpers.py": "SLOPE = 1.0\n"})
    _write(tmp_path, {"one/cs231n/layers.py": RELU, "two/cs231n/__init__.py": ""})
    _write(tmp_path, {"two/cs231n/helpers.py": "SLOPE = 2.0\n", "two/cs231n/layers.py": RELU})
    first = course.load_module(tmp_path / "one" / "cs231n" / "layers.py")
    second = course.load_module(tmp_path / "two" / "cs231n" / "layers.py")
    assert (first.SLOPE, second.SLOPE) == (1.0, 2.0)  # the second did not get the first's cs231n
    assert {r.status for r in course.check_module(first, seeds=1)} == {MATCH}


@pytest.mark.parametrize(
    ("imports", "says"),
    [
        ("import cv2", "install it with: pip install opencv-python"),
        # the submission's own package lacks a file (fast_layers.py): no pip install cs231n
        ("from cs231n.nowhere import thing", "cs231n has no nowhere.py (a file the submission lacks"),
    ],
)
def test_a_missing_module_is_one_line_naming_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_imports: None, imports: str, says: str
) -> None:
    _write(tmp_path, {"cs231n/__init__.py": "", "cs231n/k_nearest_neighbor.py": f"{imports}\n"})
    code = main(
        ["check", str(tmp_path / "cs231n" / "k_nearest_neighbor.py"), "--out", str(tmp_path / "c.csv")]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert says in err and "pip install cs231n" not in err


def test_unfinished_code_is_one_row_per_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, frame = check(tmp_path / "t.csv", SAMPLES / "templates.py")
    assert code == 1
    assert len(frame) == frame.target.nunique() == 8
    assert set(frame.status) == {ERROR} and frame.detail.str.startswith("not implemented: ").all()
    details = dict(zip(frame.target, frame.detail, strict=True))
    assert (
        "rnn_step_forward is still the assignment's template (it passes and returns next_h"
        in details["rnn_step"]
    )
    assert "returns dW as initialized" in details["word_embedding"]
    assert "svm_loss_vectorized is still the assignment's template" in details["svm_loss_vectorized"]
    assert "TwoLayerNet.loss is still the assignment's template" in details["TwoLayerNet"]
    assert details["swish"].endswith("(it only raises NotImplementedError)")
    # the template converts its never-computed `out` at the end: still the template
    assert details["dropout"] == (
        "not implemented: dropout_forward is still the assignment's template (it passes and returns out "
        "as initialized)"
    )
    assert details["lstm_step"] == "not implemented: lstm_step_forward raised NotImplementedError"
    assert (
        details["temporal_affine"] == "not implemented: temporal_affine_forward returned None as its output"
    )
    text = capsys.readouterr().out
    assert "rnn_step (layer): not implemented: rnn_step_forward is still" in text


def _finished(x: Any) -> Any:
    out = None
    pass  # kept from the template, but the function is done
    out = np.tanh(x)
    return out, out


def _forgot_return(dout: Any, cache: Any) -> Any:
    dx = dout * (1 - cache**2)  # noqa: F841  (a bug, not a template: there is no marker)


def _grads_only(W: Any, X: Any, y: Any, reg: float) -> Any:
    loss = np.sum(X.dot(W))
    dW = np.zeros(W.shape)
    pass  # the gradient is still to do
    return loss, dW


def test_what_counts_as_the_template() -> None:
    assert template_reason("f", _finished) == ""
    assert template_reason("f", _forgot_return) == ""
    assert (
        template_reason("f", _grads_only)
        == "f is still the assignment's template (it passes and returns dW as initialized)"
    )
    assert template_reason("f", print) == ""  # no source: nothing to say


def test_a_sigmoid_backward_that_edits_the_cached_output_is_not_a_forward_mismatch() -> None:
    def sigmoid_forward(x: Any) -> Any:
        out = 1 / (1 + np.exp(-x))
        return out, out

    def sigmoid_backward(dout: Any, cache: Any) -> Any:
        cache *= 1 - cache
        cache *= dout
        return cache

    records = course.check_layer(sigmoid_forward, sigmoid_backward, "sigmoid", seeds=1)
    assert {r.status for r in records} == {MATCH}
    assert FORWARD_MISMATCH not in {r.status for r in records}
    assert all(r.warning == "sigmoid_backward modified cache (the output) in place" for r in records)


def test_edits_in_place_in_forwards_gates_and_losses_are_noted() -> None:
    def relu_forward(x: Any) -> Any:
        out = x.copy()
        x[x < 0] = 0  # edits the caller's x
        return np.maximum(out, 0), out

    def relu_backward(dout: Any, cache: Any) -> Any:
        return dout * (cache > 0)

    records = course.check_layer(relu_forward, relu_backward, "relu", seeds=1)
    assert all(r.warning == "relu_forward modified x in place" for r in records if "edge" not in r.detail)

    class MultiplyGate:
        def forward(self, x: Any, y: Any) -> Any:
            self.x, self.y = x, y
            return x * y

        def backward(self, dz: Any) -> Any:
            self.x *= 2  # doubles the input it kept, in place (an array; a scalar is rebound)
            return [self.y * dz, self.x / 2 * dz]

    records = course.check_gate(MultiplyGate, seeds=1)
    assert {r.status for r in records} == {MATCH}
    arrays = [r for r in records if r.shape != "[]"]
    assert arrays and all(
        r.warning == "MultiplyGate.backward modified self.x (input 0) in place" for r in arrays
    )

    def softmax_loss(x: Any, y: Any) -> Any:
        x -= x.max(axis=1, keepdims=True)  # the classic: shifts the caller's scores in place
        probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean()
        probs[np.arange(n), y] -= 1
        return loss, probs / n

    records = course.check_loss(softmax_loss, seeds=1)
    assert {r.status for r in records} == {MATCH}
    assert all(r.warning == "softmax_loss modified x in place" for r in records)
