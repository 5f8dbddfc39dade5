"""CMU 11-785 mytorch: classes built from sizes, parameters set afterwards, two handout generations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from oracle.core.record import ERROR, MATCH, MISMATCH, Record
from oracle.course import check_module

SAMPLES = Path(__file__).parent / "course_samples" / "cmu11785"


def _check(name: str) -> list[Record]:
    return check_module(SAMPLES / name, seeds=1, isolate=False)


def _statuses(records: list[Record]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for r in records:
        out.setdefault(r.target, Counter())[r.status] += 1
    return out


def test_current_handout_all_match() -> None:
    records = _check("mlp.py")
    statuses = _statuses(records)
    assert set(statuses) == {
        "cmu.Linear", "cmu.Identity", "cmu.Sigmoid", "cmu.Tanh", "cmu.ReLU", "cmu.GELU", "cmu.Softmax",
        "cmu.BatchNorm1d", "cmu.MSELoss", "cmu.CrossEntropyLoss",
    }  # fmt: skip
    assert all(set(c) == {MATCH} for c in statuses.values()), statuses
    assert {r.course for r in records} == {"cmu11785"}


def test_classic_bugs_are_named() -> None:
    records = _check("mlp_buggy.py")
    failing = {(r.target, r.input): r.detail for r in records if r.status == MISMATCH}
    assert "known bug: dLdW divided by N" in failing["cmu.Linear", "W"]
    assert "known bug: dLdb of shape (out,)" in failing["cmu.Linear", "b"]
    assert "known bug: the derivative taken of Z" in failing["cmu.Sigmoid", "Z"]
    assert "known bug: backward without the 1/(N*C)" in failing["cmu.MSELoss", "A"]
    assert all(r.status == MATCH for r in records if r.target == "cmu.Linear" and r.input == "A")


def test_fall_2020_handout_is_recognized_and_noted() -> None:
    records = _check("activation_2020.py")
    statuses = _statuses(records)
    assert set(statuses) == {
        "cmu.Sigmoid",
        "cmu.Tanh",
        "cmu.ReLU",
        "cmu.Linear_2020",
        "cmu.SoftmaxCrossEntropy",
    }
    assert all(set(c) == {MATCH} for c in statuses.values()), statuses
    assert all("derivative() returns" in r.warning for r in records if r.target != "cmu.Linear_2020")
    assert all("averaged over the batch" in r.warning for r in records if r.target == "cmu.Linear_2020")


def test_template_is_unfinished() -> None:
    records = _check("linear_template.py")
    assert len(records) == 1 and records[0].status == ERROR
    assert records[0].detail.startswith("not implemented")


def test_rnn_cell_accumulates_and_an_overwrite_is_named() -> None:
    records = _check("rnn_cell.py")
    assert {r.input for r in records} == {"x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh"}
    assert all(r.status == MATCH for r in records)
    assert all("divided by the batch size" in r.warning for r in records)
    buggy = _check("rnn_cell_buggy.py")
    failing = [r for r in buggy if r.status == MISMATCH]
    assert {r.input for r in failing} == {"W_ih"}
    assert all(
        "known bug: the weight gradients assigned (=), not accumulated (+=)" in r.detail for r in failing
    )
