"""Deep Learning from Scratch, book 2: params and grads lists written in place, the Time layers at float32."""

from __future__ import annotations

from pathlib import Path

from oracle.core.record import MATCH, MISMATCH, Record
from oracle.course import check_module

SAMPLES = Path(__file__).parent / "course_samples" / "dlfs2"


def _check(name: str) -> list[Record]:
    return check_module(SAMPLES / name, seeds=1, isolate=False)


def test_correct_layers_match_and_the_time_layers_are_judged_at_float32() -> None:
    records = _check("time_layers.py")
    assert {r.target for r in records} == {
        "dlfs.Embedding", "dlfs.RNN", "dlfs.LSTM", "dlfs.TimeRNN", "dlfs.TimeSoftmaxWithLoss",
        "dlfs.SigmoidWithLoss",
    }  # fmt: skip
    assert all(r.status == MATCH for r in records), [
        (r.target, r.detail) for r in records if r.status != MATCH
    ]
    assert {r.dtype for r in records if r.target.startswith("dlfs.Time")} == {"float32"}
    assert {r.dtype for r in records if r.target in ("dlfs.RNN", "dlfs.LSTM")} == {"float64"}
    # the book's 1e-7 inside the log is read off the loss and noted, not failed (float64)
    assert all("-log(p + 1e-07)" in r.warning for r in records if r.target == "dlfs.SigmoidWithLoss")
    lstm = {r.input for r in records if r.target == "dlfs.LSTM"}
    assert lstm == {"x", "h_prev", "c_prev", "Wx", "Wh", "b"}


def test_classic_bugs_are_named() -> None:
    records = _check("time_layers_buggy.py")
    assert all(r.status == MISMATCH for r in records)
    by_target = {r.target: r.detail for r in records}
    assert (
        "put a new array in self.grads[0] instead of writing into the one there" in by_target["dlfs.MatMul"]
    )
    assert "known bug: dW[idx] = dout" in by_target["dlfs.Embedding"]
    assert "known bug: divided by N * T, not by the words that count" in by_target["dlfs.TimeSoftmaxWithLoss"]
