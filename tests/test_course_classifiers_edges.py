"""No false alarms at the edges: the softmax losses on scores with large offsets, and epsilons in the log.

The softmax edge inputs give every row of a case an offset of 900 to 940 (one sign for the
case) and a spread within +-10: exp without a maximum subtracted overflows (or underflows
to 0), while a correct loss that shifts first, by the row's maximum as the course's own
code does or by the batch's, and then takes log(p) stays finite in float64 and float32.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from oracle import course
from oracle.core.record import FORWARD_MISMATCH, MATCH, NONFINITE
from oracle.course.judging.cases import CourseCase
from oracle.course.judging.samplers import large_scores
from oracle.course.registry import REFERENCES

SAMPLES = Path(__file__).parent / "course_samples"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_edge_scores_overflow_without_the_shift_and_stay_finite_with_it(dtype: str) -> None:
    ref = REFERENCES["softmax_loss"]
    for seed in range(30):
        for index in range(len(ref.shapes)):
            x, y = CourseCase(ref, seed, index, True, dtype).draw(np.random.default_rng(seed))
            with np.errstate(all="ignore"):
                unshifted = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
            assert not np.isfinite(unshifted).all()  # no shift: inf / inf or 0 / 0
            for shift in (x.max(axis=1, keepdims=True), x.max()):  # the row's maximum, the batch's
                shifted = np.exp(x - shift)
                probs = shifted / shifted.sum(axis=1, keepdims=True)
                assert probs[np.arange(len(y)), y].min() > 0  # log(p) stays finite
            assert np.abs(x).max() <= 1000


def test_the_sampler_draws_offsets_and_moderate_spreads() -> None:
    x, _ = large_scores(np.random.default_rng(0), [(50, 10)])
    spread = x.max(axis=1) - x.min(axis=1)
    assert (np.abs(x.mean(axis=1)) > 880).all() and (spread < 20).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_course_style_softmax_is_never_flagged(dtype: str) -> None:
    module = course.load_module(SAMPLES / "course_softmax.py")
    records = course.check_loss(module.softmax_loss, seeds=5, dtype=dtype)
    assert {r.status for r in records} == {MATCH}
    assert sum("edge case" in r.detail for r in records) == 10  # 5 seeds x 2 shapes at the edges


def _softmax(eps: float) -> Any:
    def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        probs = np.exp(x - x.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -np.log(probs[np.arange(n), y] + eps).mean()
        dx = probs.copy()
        dx[np.arange(n), y] -= 1
        return loss, dx / n

    return softmax_loss


@pytest.mark.parametrize("eps", [1e-16, 1e-12, 1e-10, 1e-8, 1e-7])
def test_an_epsilon_inside_the_log_is_a_convention(eps: float) -> None:
    records = course.check_loss(_softmax(eps), "softmax_loss", seeds=3)
    assert {r.status for r in records} == {MATCH}
    noted = [r.warning for r in records if r.warning]
    # where it changes the loss beyond the tolerance, the row says which epsilon was taken
    assert all(f"-log(p + {eps:g}) in the loss" in w for w in noted)
    if eps >= 1e-10:
        assert noted


def test_an_epsilon_too_large_to_be_a_convention_is_a_wrong_loss() -> None:
    records = course.check_loss(_softmax(1e-3), "softmax_loss", seeds=1)
    assert FORWARD_MISMATCH in {r.status for r in records}


def test_the_classifiers_take_the_epsilon_too() -> None:
    def softmax_loss_vectorized(W: Any, X: Any, y: Any, reg: float) -> Any:
        loss, dscores = _softmax(1e-8)(X.dot(W), y)
        return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W

    module = ModuleType("student")
    module.softmax_loss_vectorized = softmax_loss_vectorized  # type: ignore[attr-defined]
    records = course.check_module(module, seeds=2)
    assert {r.status for r in records} == {MATCH}
    assert any("-log(p + 1e-08)" in r.warning for r in records)


def test_a_non_finite_loss_still_has_its_gradient_compared_and_shown() -> None:
    def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        _loss, dx = _softmax(0.0)(x, y)
        return np.inf, dx  # a right gradient beside an infinite loss

    records = course.check_loss(softmax_loss, seeds=1)
    assert {r.status for r in records} == {NONFINITE}
    for r in records:
        assert "student: non-finite output; the gradients agree" in r.detail
        assert r.tested_value is not None and r.jax_value is not None and r.rel_err is not None


def _batch_shifted(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The notes' ``f -= np.max(f)`` applied to a whole batch: one maximum for every row."""
    probs = np.exp(x - np.max(x))
    probs /= probs.sum(axis=1, keepdims=True)
    n = x.shape[0]
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return -np.log(probs[np.arange(n), y]).mean(), dx / n


def _unshifted(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    with np.errstate(all="ignore"):
        probs = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        n = x.shape[0]
        dx = probs.copy()
        dx[np.arange(n), y] -= 1
        return -np.log(probs[np.arange(n), y]).mean(), dx / n


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_batch_wide_shift_passes_and_no_shift_is_caught(dtype: str) -> None:
    records = course.check_loss(_batch_shifted, "softmax_loss", seeds=5, dtype=dtype)
    assert {r.status for r in records} == {MATCH}

    def softmax_loss_vectorized(W: Any, X: Any, y: Any, reg: float) -> Any:
        loss, dscores = _batch_shifted(X.dot(W), y)
        return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W

    module = ModuleType("student")
    module.softmax_loss_vectorized = softmax_loss_vectorized  # type: ignore[attr-defined]
    assert {r.status for r in course.check_module(module, seeds=5, dtype=dtype)} == {MATCH}
    edge = [
        r for r in course.check_loss(_unshifted, "softmax_loss", seeds=5, dtype=dtype) if "edge" in r.detail
    ]
    assert edge and all(r.failed for r in edge)
