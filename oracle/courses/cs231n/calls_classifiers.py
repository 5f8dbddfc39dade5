"""The student's side of the first assignment's linear classifiers: how their functions are called.

``classifier_call``: ``svm_loss_naive(W, X, y, reg) -> (loss, dW)`` and its siblings, run
twice: at reg = 0 and at the target's reg, so that the judge can infer the regularization
convention from the difference. A loss that is an array of one element (shape (1,): a
row's loss taken from a (N, 1) column of correct-class scores) where the docstring says
"loss as single float" is read as that element, with a warning: the course's NumPy 1 made it
a float wherever the notebook used it. Like ``oracle.course.calling.calls`` (whose helpers it
uses), it is the only code that touches the student's functions, and returns plain arrays
and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import Call, Watch, copy_for_student, edited, kept, notes, output, pair, step


def classifier_call(name: str) -> Call:
    """``NAME(W, X, y, reg) -> (loss, dW)`` at reg = 0 (extras) and at ``settings['reg']``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        reg = float(settings["reg"])
        fresh = [copy_for_student(v) for v in inputs]
        stage = f"{name} (reg = 0)"
        loss_zero, d_zero = pair(step(stage, impl[0], *fresh, 0.0), stage, "(loss, dW)")
        loss_zero, d_zero = output(loss_zero, stage), kept(d_zero)
        before = Watch()
        for label, value in zip(("W", "X", "y"), inputs, strict=False):
            before.watch(label, value)
        stage = f"{name} (reg = {reg:g})"
        loss, dW = pair(step(stage, impl[0], *inputs, reg), stage, "(loss, dW)")
        (loss_zero, one), (loss, other) = _one_element(loss_zero), _one_element(output(loss, stage))
        extras = {"loss at reg 0": loss_zero, "dW at reg 0": d_zero}
        shape = other or one
        warning = (
            f"{name}'s loss has shape {shape}: read as its one element, as NumPy 1's float() did"
            * bool(shape)
        )
        return Outcome(loss, {names[0]: dW}, extras=extras, warning=notes(edited(name, before), warning))

    return call


def _one_element(loss: Any) -> tuple[Any, str]:
    """A loss of one element in an array of any shape as a 0-d array, and that shape ('' if it was 0-d)."""
    shape = np.shape(loss)
    return (np.reshape(loss, ()), str(list(shape))) if shape and np.size(loss) == 1 else (loss, "")
