"""Deep Learning from Scratch, book 1: layer classes built with their parameters, gradients on the object."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from oracle.core.record import ERROR, MATCH, MISMATCH, UNCHECKED, Record
from oracle.course import check_module

SAMPLES = Path(__file__).parent / "course_samples" / "dlfs"


def _check(name: str) -> list[Record]:
    return check_module(SAMPLES / name, seeds=1, isolate=False)


def _by_target(records: list[Record]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for r in records:
        out.setdefault(r.target, Counter())[r.status] += 1
    return out


def test_correct_layers_all_match_and_the_book_conventions_are_noted() -> None:
    records = _check("layers.py")
    targets = _by_target(records)
    assert set(targets) == {
        "dlfs.Relu", "dlfs.Sigmoid", "dlfs.Affine", "dlfs.Convolution", "dlfs.Pooling",
        "dlfs.BatchNormalization", "dlfs.Dropout", "dlfs.SoftmaxWithLoss",
    }  # fmt: skip
    assert all(set(c) == {MATCH} for c in targets.values()), targets
    assert {r.course for r in records} == {"dlfs"}
    # the book's Relu edits dout in place: a warning, never a failure
    assert all(
        "Relu.backward modified dout in place" in r.warning for r in records if r.target == "dlfs.Relu"
    )
    loss = [r for r in records if r.target == "dlfs.SoftmaxWithLoss"]
    assert all("-log(p + 1e-07)" in r.warning for r in loss)
    # the module-level softmax_loss(x, t) helper is not taken for CS231n's (loss, dx) pair
    assert not any(r.target == "softmax_loss" for r in records)


def test_classic_bugs_are_named() -> None:
    records = _check("layers_buggy.py")
    failing = [r for r in records if r.status == MISMATCH]
    db = [r for r in failing if r.target == "dlfs.Affine"]
    assert db and all(r.input == "b" and "known bug: db = np.sum(dout)" in r.detail for r in db)
    conv = [r for r in failing if r.target == "dlfs.Convolution"]
    assert conv and all(
        "left self.dW None: the trainer reads the gradient of W there" in r.detail for r in conv
    )
    loss = [r for r in failing if r.target == "dlfs.SoftmaxWithLoss"]
    assert loss and all("the division by N" in r.detail for r in loss)
    assert not any(
        r.status == MATCH for r in records if r.target in ("dlfs.Convolution", "dlfs.SoftmaxWithLoss")
    )


def test_template_is_unfinished_and_an_unbuildable_class_is_unchecked() -> None:
    records = _check("layers_template.py")
    statuses = {r.target: (r.status, r.detail) for r in records}
    assert len(records) == 3
    assert statuses["dlfs.Relu"][0] == ERROR and statuses["dlfs.Relu"][1].startswith("not implemented")
    assert statuses["dlfs.Affine"][0] == ERROR and statuses["dlfs.Affine"][1].startswith("not implemented")
    status, detail = statuses["dlfs.BatchNormalization"]
    assert status == UNCHECKED and "missing a required argument: 'momentum'" in detail
