"""The first assignment's linear classifiers and the course's network classes.

Samples: ``assignment1/cs231n/classifiers/linear_svm.py`` (reg * sum(W * W)) and
``softmax.py`` (0.5 * reg * sum(W * W)), ``classifiers_buggy.py``; ``nets.py`` (the 2019
signatures), ``nets_2017.py`` (the 2017 ones), ``nets_buggy.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, Record
from oracle.courses.cs231n import models

SAMPLES = Path(__file__).parent / "course_samples"
CLASSIFIERS = SAMPLES / "assignment1" / "cs231n" / "classifiers"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": ""})


def _module(**objects: Any) -> ModuleType:
    module = ModuleType("student")
    for name, obj in objects.items():
        setattr(module, name, obj)
    return module


def _records(seeds: int = 1, **objects: Any) -> list[Record]:
    return course.check_module(_module(**objects), seeds=seeds)


# ------------------------------------------------------------ linear classifiers


@pytest.mark.parametrize(
    ("sample", "convention"),
    [("linear_svm", "reg * sum(W**2) in the loss"), ("softmax", "0.5 * reg * sum(W**2) in the loss")],
)
def test_correct_classifiers_pass_with_their_years_convention(
    tmp_path: Path, sample: str, convention: str
) -> None:
    code, frame = check(tmp_path / "c.csv", CLASSIFIERS / f"{sample}.py")
    assert code == 0
    assert set(frame.target) == {
        f"{sample.removeprefix('linear_')}_loss_naive",
        f"{sample.removeprefix('linear_')}_loss_vectorized",
    }
    assert set(frame.status) <= {MATCH, KINK}
    assert frame.warning.str.startswith(f"convention: {convention} (inferred from your losses").all()
    assert (frame.input == "W").all()


def test_svm_classifiers_are_checked_at_zero_margins(tmp_path: Path) -> None:
    _, frame = check(tmp_path / "c.csv", CLASSIFIERS / "linear_svm.py")
    edge = frame[frame.detail.str.startswith("edge case (hinge margins of exactly 0)")]
    assert len(edge) == 6 and set(edge.status) == {KINK}  # margin > 0 is inactive at 0; JAX says half


@pytest.mark.parametrize(
    ("target", "status", "says"),
    [
        ("svm_loss_naive", MISMATCH, "the regularization gradient is missing from dW"),
        ("svm_loss_vectorized", MISMATCH, "the regularization gradient is doubled"),
        ("softmax_loss_naive", MISMATCH, "the data part of dW is not divided by N = 5"),
        ("softmax_loss_vectorized", FORWARD_MISMATCH, "the loss has no regularization term"),
    ],
)
def test_classifier_bugs_are_named(tmp_path: Path, target: str, status: str, says: str) -> None:
    code, frame = check(
        tmp_path / "c.csv", SAMPLES / "classifiers_buggy.py", "--seeds", "1", "--target", target
    )
    assert code == 1
    hits = frame[(frame.status == status) & frame.detail.str.contains(says, regex=False)]
    assert len(hits), frame.detail.tolist()


def _svm(scale_loss: float, scale_grad: float) -> Any:
    """An SVM with scale_loss * reg * sum(W * W) in the loss and scale_grad * reg * W in the gradient."""

    def svm_loss_vectorized(W: Any, X: Any, y: Any, reg: float) -> Any:
        n = X.shape[0]
        scores = X.dot(W)
        margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
        margins[np.arange(n), y] = 0
        counts = (margins > 0).astype(float)
        counts[np.arange(n), y] = -counts.sum(axis=1)
        loss = margins.sum() / n + scale_loss * reg * np.sum(W * W)
        return loss, X.T.dot(counts) / n + scale_grad * reg * W

    return svm_loss_vectorized


@pytest.mark.parametrize(
    ("scale_loss", "scale_grad", "says"),
    [
        (1.0, 2.0, ""),
        (0.5, 1.0, ""),
        (0.5, 0.5, "the regularization gradient is half what the loss says"),
        (1.0, 4.0, "the regularization gradient is doubled"),
        (1.0, 0.0, "the regularization gradient is missing from dW"),
    ],
)
def test_the_regularization_convention_is_inferred_not_guessed(
    scale_loss: float, scale_grad: float, says: str
) -> None:
    records = _records(svm_loss_vectorized=_svm(scale_loss, scale_grad))
    random = [r for r in records if "edge" not in r.detail]
    half = "0.5 * " if scale_loss == 0.5 else ""
    assert all(r.warning.startswith(f"convention: {half}reg * sum(W**2)") for r in records)
    if not says:
        assert {r.status for r in random} == {MATCH}
    else:
        assert {r.status for r in random} == {MISMATCH}
        assert all(says in r.detail for r in random)


def test_a_loss_without_its_regularization_term_is_inferred_from_the_gradient() -> None:
    records = _records(svm_loss_vectorized=_svm(0.0, 1.0))
    assert {r.status for r in records} == {FORWARD_MISMATCH}
    assert all(
        "0.5 * reg * sum(W**2) in the loss (inferred from your gradients" in r.warning for r in records
    )


def test_a_classifier_that_edits_its_data_in_place_is_noted() -> None:
    def softmax_loss_naive(W: Any, X: Any, y: Any, reg: float) -> Any:
        scores = X.dot(W)
        X *= 1.0  # touches X in place, values unchanged: no note
        scores -= scores.max(axis=1, keepdims=True)
        W += 0.0
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
        probs[np.arange(n), y] -= 1
        y[0] = y[0]
        dW = X.T.dot(probs) / n + 2 * reg * W
        W[0, 0] += 1.0  # after using it: edits the caller's W
        return loss, dW

    records = _records(softmax_loss_naive=softmax_loss_naive)
    assert {r.status for r in records} == {MATCH}
    assert all("softmax_loss_naive modified W in place" in r.warning for r in records)


# ---------------------------------------------------------------------- networks


@pytest.mark.parametrize(
    ("sample", "targets", "conventions"),
    [
        (
            "nets",
            models.NAMES,
            {"TwoLayerNet": "reg * sum(W**2)", "FullyConnectedNet": "0.5 * reg * sum(W**2)"},
        ),
        (
            "nets_2017",  # no layer-norm option in 2017: that variant does not apply
            models.NAMES - {"FullyConnectedNet+layernorm"},
            {"TwoLayerNet": "0.5 * reg * sum(W**2)", "FullyConnectedNet": "0.5 * reg * sum(W**2)"},
        ),
    ],
)
def test_every_years_network_signature_is_checked(
    tmp_path: Path, sample: str, targets: set[str], conventions: dict[str, str]
) -> None:
    code, frame = check(tmp_path / "n.csv", SAMPLES / f"{sample}.py", "--seeds", "2")
    assert set(frame.target) == targets
    if sample == "nets_2017":  # its dropout is not done yet (never applied, no layer called): one row
        dropout = frame[frame.target == "FullyConnectedNet+dropout"]
        assert code == 1 and len(dropout) == 1 and set(dropout.status) == {ERROR}
        assert dropout.detail.str.match(
            r"not implemented: FullyConnectedNet\(dropout=0.5\) changes nothing"
        ).all()
        frame = frame[frame.target != "FullyConnectedNet+dropout"]
    else:
        assert code == 0
    assert set(frame.status) == {MATCH}
    for target, convention in conventions.items():
        assert frame[frame.target == target].warning.str.startswith(f"convention: {convention}").all()


def test_every_entry_of_grads_is_a_row(tmp_path: Path) -> None:
    _, frame = check(tmp_path / "n.csv", SAMPLES / "nets.py", "--seeds", "1")
    inputs = frame.groupby("target").input.apply(lambda s: sorted(set(s)))
    assert inputs["TwoLayerNet"] == ["W1", "W2", "b1", "b2"]
    assert inputs["FullyConnectedNet"] == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert inputs["FullyConnectedNet+batchnorm"] == sorted(
        ["W1", "W2", "W3", "b1", "b2", "b3", "gamma1", "gamma2", "beta1", "beta2"]
    )


@pytest.mark.parametrize(
    ("target", "inputs", "says"),
    [
        ("TwoLayerNet", {"b1", "b2"}, "the biases are regularized in the gradient (db += reg * b)"),
        ("FullyConnectedNet", {"W1", "W2", "W3"}, "the regularization gradient is missing"),
    ],
)
def test_network_bugs_are_named_on_the_parameters_they_touch(
    tmp_path: Path, target: str, inputs: set[str], says: str
) -> None:
    code, frame = check(tmp_path / "n.csv", SAMPLES / "nets_buggy.py", "--seeds", "1", "--target", target)
    assert code == 1
    failed = frame[frame.status == MISMATCH]
    assert set(failed.input) == inputs
    assert failed.detail.str.contains(says, regex=False).all()


def test_a_net_without_params_or_grads_is_a_mismatch_that_says_so() -> None:
    class TwoLayerNet:
        def __init__(self, input_size: int, hidden_size: int, output_size: int, std: float = 1e-4) -> None:
            self.weights = {}

        def loss(self, X: Any, y: Any = None, reg: float = 0.0) -> Any:
            return X

    records = _records(TwoLayerNet=TwoLayerNet)
    assert {r.status for r in records} == {MISMATCH}
    assert "TwoLayerNet has no params dict" in records[0].detail
