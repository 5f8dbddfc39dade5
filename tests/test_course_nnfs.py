"""Neural Networks from Scratch (``oracle/courses/nnfs``): the book's classes, called as the book calls them.

Samples (``course_samples/nnfs/``): ``layers.py`` (chapters 16 on: forward takes
``training``, the combined softmax/cross-entropy class has only a backward, a ``Model``),
``early_chapters.py`` (chapters 9 to 15: no training flag, a softmax without a backward, the
combined class with a forward), ``buggy.py`` (one classic mistake per class) and
``imports_nnfs.py`` (the book's own imports and a training run at import).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.record import KINK, MATCH, MISMATCH, UNCHECKED

SAMPLES = Path(__file__).parent / "course_samples" / "nnfs"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": ""})


def test_the_books_classes_pass_and_its_model_is_unchecked(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "layers.py")
    assert code == 0
    assert set(frame.course) == {"nnfs"}
    assert set(frame.target) == {
        "Layer_Dense", "Layer_Dropout", "Activation_ReLU", "Activation_Softmax", "Activation_Sigmoid",
        "Activation_Linear", "Loss_CategoricalCrossentropy", "Loss_BinaryCrossentropy",
        "Loss_MeanSquaredError", "Loss_MeanAbsoluteError",
        "Activation_Softmax_Loss_CategoricalCrossentropy", "nnfs.Model", "Layer_Dense+regularization",
    }  # fmt: skip
    checked = frame[frame.target != "nnfs.Model"]
    assert set(checked.status) <= {MATCH, KINK}
    model = frame[frame.target == "nnfs.Model"]
    assert set(model.status) == {UNCHECKED}
    assert model.detail.str.contains("not called").all()


def test_early_chapters_without_training_flag_nor_softmax_backward(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "early_chapters.py")
    assert code == 0
    # the standalone softmax of chapters 10-15 has no backward: nothing to check, not a failure
    assert "Activation_Softmax" not in set(frame.target)
    assert {"Layer_Dense", "Activation_Softmax_Loss_CategoricalCrossentropy"} <= set(frame.target)
    assert set(frame.status) <= {MATCH, KINK}


@pytest.mark.parametrize(
    ("target", "bug"),
    [
        ("Layer_Dense", "dbiases summed over the wrong axis"),
        ("Activation_Softmax", "only the Jacobian's diagonal"),
        ("Activation_Sigmoid", "the derivative taken at the output"),
        ("Layer_Dropout", "the kept units not scaled by 1 / (1 - rate)"),
        ("Loss_MeanSquaredError", "the gradient not divided by the number of outputs per sample"),
        ("Loss_MeanAbsoluteError", "np.sign(y_true - dvalues): the sign reversed"),
    ],
)
def test_each_classic_bug_is_caught_and_named(tmp_path: Path, target: str, bug: str) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "buggy.py", "--target", target)
    assert code == 1
    failing = frame[frame.status != MATCH]
    assert len(failing) > 0
    assert failing.detail.str.contains("known bug: " + bug, regex=False).all()


def test_regularization_terms_of_the_dense_layer(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "regularization_buggy.py")
    assert code == 1
    reg = frame[frame.target == "Layer_Dense+regularization"]
    failing = reg[reg.status != MATCH]
    assert set(failing.input) == {"weights", "biases"}
    assert failing.detail.str.contains(
        "known bug: the L2 terms' gradient without its factor 2", regex=False
    ).all()
    # the same layer without regularization is right
    assert set(frame[frame.target == "Layer_Dense"].status) == {MATCH}


def test_a_one_output_regression_does_not_fail_for_the_per_output_division(tmp_path: Path) -> None:
    # with one output per sample, forgetting the division by the outputs changes nothing
    _, frame = check(tmp_path / "c.csv", SAMPLES / "buggy.py", "--target", "Loss_MeanSquaredError")
    assert set(frame[frame["shape"] == "[8, 1]"].status) == {MATCH}
    assert set(frame[frame["shape"] == "[5, 3]"].status) == {MISMATCH}


def test_a_file_that_imports_the_books_nnfs_package_is_checked_without_it(tmp_path: Path) -> None:
    """The book's files import ``nnfs`` (not installed here) and train at import: the classes still count.

    The import tolerates the failing statements (``oracle.course.loading.tolerant``): the class is
    judged, and every row says what the file was run without.
    """
    student = tmp_path / "ch9.py"
    shutil.copy(SAMPLES / "imports_nnfs.py", student)
    out = tmp_path / "c.csv"
    assert main(["check", str(student), "--out", str(out)]) == 0
    frame = pd.read_csv(out, dtype={"warning": str}).fillna({"warning": ""})
    assert set(frame.target) == {"Activation_ReLU"} and set(frame.status) == {"match"}
    assert frame.warning.str.contains("nnfs").all()
