"""The student's side of the first assignment's linear classifiers: how their functions are called.

``classifier_call``: ``svm_loss_naive(W, X, y, reg) -> (loss, dW)`` and its siblings, run
twice: at reg = 0 and at the target's reg, so that the judge can infer the regularization
convention from the difference. Like ``oracle.course.calling.calls`` (whose helpers it
uses), it is the only code that touches the student's functions, and returns plain arrays
and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import Call, Watch, copy_for_student, edited, kept, output, pair, step


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
        extras = {"loss at reg 0": loss_zero, "dW at reg 0": d_zero}
        return Outcome(output(loss, stage), {names[0]: dW}, extras=extras, warning=edited(name, before))

    return call
