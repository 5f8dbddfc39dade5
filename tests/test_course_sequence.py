"""The recurrent-network targets (``rnn_layers.py``): correct code passes, the classic bugs are named.

Samples: ``course_samples/assignment3/cs231n/rnn_layers.py`` (finished as a student of the
course writes it) and ``course_samples/sequence_buggy.py`` (one classic bug per target).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import FORWARD_MISMATCH, MATCH, MISMATCH, Record
from oracle.course.judging.cases import CourseCase
from oracle.course.registry import REFERENCES
from oracle.courses.cs231n import sequence

SAMPLES = Path(__file__).parent / "course_samples"
CORRECT = SAMPLES / "assignment3" / "cs231n" / "rnn_layers.py"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str}).fillna(
        {"detail": "", "warning": ""}
    )
    return code, frame


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return check(tmp_path_factory.mktemp("rnn") / "check.csv", CORRECT)


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return check(
        tmp_path_factory.mktemp("rnn_bugs") / "check.csv", SAMPLES / "sequence_buggy.py", "--seeds", "1"
    )


@pytest.fixture(scope="module")
def good() -> ModuleType:
    return course.load_module(CORRECT)


def test_correct_recurrent_layers_match_jax(correct: tuple[int, pd.DataFrame]) -> None:
    code, frame = correct
    assert code == 0
    assert set(frame.target) == sequence.NAMES
    assert set(frame.status) == {MATCH}
    lstm = frame[frame.target == "lstm_step"]
    assert list(lstm.input.drop_duplicates()) == ["x", "prev_h", "prev_c", "Wx", "Wh", "b"]
    assert set(frame[frame.target == "word_embedding"].input) == {"W"}  # integer indices get no gradient


def test_word_embedding_cases_repeat_indices() -> None:
    ref = REFERENCES["word_embedding"]
    for seed in range(20):
        W, x = CourseCase(ref, seed, 0, False, "float64").draw(np.random.default_rng(seed))
        assert x.dtype.kind == "i" and x.max() < W.shape[0]
        assert len(np.unique(x)) < x.size  # a repeated word in every case: accumulation is tested


def test_the_temporal_loss_masks_steps_in_every_case() -> None:
    ref = REFERENCES["temporal_softmax_loss"]
    for seed in range(20):
        _, _, mask = CourseCase(ref, seed, 0, False, "float64").draw(np.random.default_rng(seed))
        assert mask.dtype == bool and mask.any() and not mask.all()


@pytest.mark.parametrize(
    ("target", "status", "says"),
    [
        ("rnn_step", MISMATCH, "the tanh derivative is taken of the pre-activation"),
        ("rnn", MISMATCH, "the gradient does not flow back through time"),
        ("lstm_step", MISMATCH, "(1 - next_c**2): the tanh of the cell state is forgotten in dc"),
        ("lstm", FORWARD_MISMATCH, "the gates are taken in the order i, f, g, o"),
        ("word_embedding", MISMATCH, "repeated indices do not accumulate"),
        ("temporal_affine", MISMATCH, "divided by N = 3 once too often"),
        ("temporal_softmax_loss", FORWARD_MISMATCH, "the mask is ignored"),
    ],
)
def test_each_classic_bug_is_caught_and_named(
    buggy: tuple[int, pd.DataFrame], target: str, status: str, says: str
) -> None:
    code, frame = buggy
    assert code == 1
    rows = frame[frame.target == target]
    hits = rows[(rows.status == status) & rows.detail.str.contains(says, regex=False)]
    assert len(hits), rows.detail.tolist()


def _statuses(records: list[Record]) -> set[str]:
    return {r.status for r in records}


def _details(records: list[Record]) -> str:
    return " | ".join(r.detail for r in records)


def test_the_lstm_step_output_is_next_h_and_next_c_side_by_side(good: ModuleType) -> None:
    def wrong_next_c(*args: Any) -> Any:
        next_h, next_c, cache = good.lstm_step_forward(*args)
        return next_h, 2 * next_c, cache

    records = course.check_layer(wrong_next_c, good.lstm_step_backward, "lstm_step", seeds=1)
    assert _statuses(records) == {FORWARD_MISMATCH}
    h = sequence.H
    column = int(records[0].worst_index.strip("[]").split(", ")[1])
    assert column >= h  # the columns from H on are next_c


def test_the_two_upstream_gradients_reach_their_own_outputs(good: ModuleType) -> None:
    def swapped(dnext_h: Any, dnext_c: Any, cache: Any) -> Any:
        return good.lstm_step_backward(dnext_c, dnext_h, cache)

    records = course.check_layer(good.lstm_step_forward, swapped, "lstm_step", seeds=1)
    assert _statuses(records) == {MISMATCH}


def _lstm_step_backward_with(dc_of: Callable[..., Any]) -> Callable[..., Any]:
    """The sample's correct lstm_step_backward, with dc computed by ``dc_of(dnext_h, dnext_c, o, tanh_c)``."""

    def lstm_step_backward(dnext_h: Any, dnext_c: Any, cache: Any) -> Any:
        x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
        dc = dc_of(dnext_h, dnext_c, o, tanh_c)
        da = np.hstack((dc * g * i * (1 - i), dc * prev_c * f * (1 - f)))
        da = np.hstack((da, dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g**2)))
        return da.dot(Wx.T), da.dot(Wh.T), dc * f, x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)

    return lstm_step_backward


@pytest.mark.parametrize(
    ("dc_of", "says"),
    [
        (lambda dh, dc, o, tc: dc + dh * o * (1 - tc**2), ""),
        (lambda dh, dc, o, tc: dc + dh * o, "no (1 - tanh(next_c)**2) factor"),
        (lambda dh, dc, o, tc: dc, "dnext_h does not reach dc at all"),
    ],
    ids=["correct", "no tanh factor", "no dnext_h"],
)
def test_slips_in_the_lstm_cell_gradient(good: ModuleType, dc_of: Any, says: str) -> None:
    backward = _lstm_step_backward_with(dc_of)
    records = course.check_layer(good.lstm_step_forward, backward, "lstm_step", seeds=1)
    if not says:
        assert _statuses(records) == {MATCH}
        return
    assert MISMATCH in _statuses(records)
    assert says in _details(records)


def test_an_lstm_step_with_its_gates_in_another_order(good: ModuleType) -> None:
    def lstm_step_forward(x: Any, prev_h: Any, prev_c: Any, Wx: Any, Wh: Any, b: Any) -> Any:
        i, f, g, o = np.split(x.dot(Wx) + prev_h.dot(Wh) + b, 4, axis=1)  # g before o
        i, f, o, g = good.sigmoid(i), good.sigmoid(f), good.sigmoid(o), np.tanh(g)
        next_c = f * prev_c + i * g
        cache = good.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[2]  # so that the backward runs
        return o * np.tanh(next_c), next_c, cache

    records = course.check_layer(lstm_step_forward, good.lstm_step_backward, "lstm_step", seeds=1)
    assert _statuses(records) == {FORWARD_MISMATCH}
    assert "the gates are taken in the order i, f, g, o" in _details(records)


def test_a_mask_applied_to_the_loss_but_not_to_dx(good: ModuleType) -> None:
    def temporal_softmax_loss(x: Any, y: Any, mask: Any) -> Any:
        loss = good.temporal_softmax_loss(x, y, mask)[0]
        unmasked = good.temporal_softmax_loss(x, y, np.ones_like(mask))[1]
        return loss, unmasked

    records = course.check_loss(temporal_softmax_loss, "temporal_softmax_loss", seeds=1)
    assert _statuses(records) == {MISMATCH}
    assert "dx ignores the mask" in _details(records)


def test_a_loss_divided_by_the_steps_kept(good: ModuleType) -> None:
    def temporal_softmax_loss(x: Any, y: Any, mask: Any) -> Any:
        loss, dx = good.temporal_softmax_loss(x, y, mask)
        n = x.shape[0]
        return loss * n / mask.sum(), dx * n / mask.sum()

    records = course.check_loss(temporal_softmax_loss, "temporal_softmax_loss", seeds=1)
    assert "divided by the number of unmasked steps, not by N" in _details(records)


def test_word_embedding_with_add_at_but_forward_order_swapped(good: ModuleType) -> None:
    def word_embedding_forward(W: Any, x: Any) -> Any:  # the arguments in the wrong order
        return W[x], (x, W.shape)

    records = course.check_layer(
        word_embedding_forward, good.word_embedding_backward, "word_embedding", seeds=1
    )
    assert _statuses(records) != {MATCH}
