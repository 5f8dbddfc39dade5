"""An epsilon added to softmax's exponentials before they are normalized is a convention, as one
inside the log is: ``exps = np.exp(s - s.max(axis=1, keepdims=True)) + 1e-12`` keeps every
probability above 0. At the edge inputs (scores near +-1000 with spreads of +-10) it moves
the loss by a few 1e-7 relative, beyond float64's tolerance, so the reference takes the
student's epsilon and placement, inferred from their loss, and says so on the row; a real
bug beside the same epsilon is still caught.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from oracle import course
from oracle.core.record import MATCH
from oracle.course.judging.conventions import softmax_epsilon, softmax_losses

SUM_NOTE = "exp(s - max(s)) + 1e-12, then normalized, in the loss: an epsilon added to the exponentials"


def _smoothed_softmax(per_row: bool = True, divide: bool = True, eps: float = 1e-12) -> Any:
    """A student's softmax_loss that adds ``eps`` to the exponentials ("to avoid log(0)").

    ``per_row=False`` normalizes over the batch's axis instead of each row's (a bug);
    ``divide=False`` forgets the 1/N of the gradient (a bug).
    """

    def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        num = x.shape[0]
        exps = np.exp(x - np.max(x, axis=1, keepdims=True))
        exps = exps + eps
        probs = exps / np.sum(exps, axis=1 if per_row else 0, keepdims=True)
        loss = np.sum(-np.log(probs[np.arange(num), y])) / num
        dx = probs.copy()
        dx[np.arange(num), y] -= 1.0
        return loss, dx / num if divide else dx

    return softmax_loss


def _edge_scores(seed: int, n: int = 8, c: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 920.0 + rng.uniform(-10, 10, (n, c))
    return x, rng.integers(0, c, n)


def test_the_inference_tells_the_two_placements_apart() -> None:
    found = set()
    for seed in range(5):
        x, y = _edge_scores(seed)
        for at in ("sum", "log"):
            loss = softmax_losses(x, y, 1e-12, at)
            eps, inferred, note = softmax_epsilon(loss, x, y, "float64")
            if note:  # where the epsilon moves the loss beyond the tolerance: the right placement
                assert (eps, inferred) == (1e-12, at)
                found.add(at)
    assert found == {"sum", "log"}
    # no epsilon, or one the student's loss does not show: nothing to note
    x, y = _edge_scores(0)
    assert softmax_epsilon(softmax_losses(x, y, 0.0), x, y, "float64") == (0.0, "log", "")
    assert softmax_epsilon(softmax_losses(x, y, 1e-3, "sum"), x, y, "float64") == (0.0, "log", "")


def test_an_epsilon_on_the_exponentials_is_a_convention_noted_on_the_row() -> None:
    records = course.check_loss(_smoothed_softmax(), "softmax_loss", seeds=3)
    assert {r.status for r in records} == {MATCH}
    noted = [r for r in records if r.warning]
    assert noted and all(SUM_NOTE in r.warning and "edge case" in r.detail for r in noted)


@pytest.mark.parametrize(
    ("bug", "expected"),
    [
        (_smoothed_softmax(per_row=False), "forward_mismatch"),  # the batch's column sums
        (_smoothed_softmax(divide=False), "mismatch"),  # dx not divided by N
    ],
)
def test_a_real_bug_beside_the_epsilon_is_still_caught(bug: Any, expected: str) -> None:
    records = course.check_loss(bug, "softmax_loss", seeds=2)
    assert expected in {r.status for r in records}
    assert all(r.failed for r in records if "edge case" not in r.detail)


def test_the_classifiers_and_their_bugs_take_the_placement_too() -> None:
    # the classifiers' edge scores spread less than the losses', so 1e-12 hides within the
    # tolerance there; 1e-8, which other students use, does not
    def softmax_loss_vectorized(W: Any, X: Any, y: Any, reg: float) -> Any:
        loss, dscores = _smoothed_softmax(eps=1e-8)(X.dot(W), y)
        return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W

    def softmax_loss_naive(W: Any, X: Any, y: Any, reg: float) -> Any:
        loss, dscores = _smoothed_softmax(eps=1e-8)(X.dot(W), y)
        return loss + reg * np.sum(W * W), X.T.dot(dscores)  # no regularization gradient

    module = ModuleType("student")
    module.softmax_loss_vectorized = softmax_loss_vectorized  # type: ignore[attr-defined]
    module.softmax_loss_naive = softmax_loss_naive  # type: ignore[attr-defined]
    records = course.check_module(module, seeds=2)
    good = [r for r in records if r.target == "softmax_loss_vectorized"]
    assert {r.status for r in good} == {MATCH}
    assert any(SUM_NOTE.replace("1e-12", "1e-08") in r.warning for r in good)
    bad = [r for r in records if r.target == "softmax_loss_naive"]
    assert bad and all(r.failed for r in bad)
    # named where the loss shows the epsilon; where it does not, the reference's exact gradient
    # is 1e-8 from this one, and a named bug is never a guess
    named = [r for r in bad if "the regularization gradient is missing from dW" in r.detail]
    assert named and all("epsilon added to the exponentials" in r.warning for r in named)
