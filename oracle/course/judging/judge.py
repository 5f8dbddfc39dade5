"""Judge course code on one case: run the student's gate, layer or loss and JAX's reference, compare.

Data flows one way: a ``CourseCase`` draws the inputs (and the upstream gradient) from
its seed -> the student's code and ``jax.vjp`` of the reference -> ``compare`` -> one
``Record`` per input gradient. Student code never crashes the checker: an exception is an
``error`` record, a gradient that is missing, None, of the wrong shape or the wrong dtype
a ``mismatch`` whose detail says so.

The ladder of statuses is ``oracle.core.judgement``'s, the one campaigns climb too; what
is the course's own is how the student's code is called and how a disagreement is
explained. In these records ``tested_value`` holds the student's value at the worst
element, ``jax_value`` JAX's, and ``fd_value`` a float64 central finite difference of
JAX's function: the third opinion when the two disagree. A disagreement only at
elements on a kink (see ``oracle.course.reference``) is a ``kink``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oracle.core import finite_diff
from oracle.core.compare import compare
from oracle.core.finite_diff import agreement
from oracle.core.judgement import Ladder, Outcome, judge_input
from oracle.core.lazy_jax import jnp
from oracle.core.record import KINK, MATCH, MISMATCH, Record, edge_detail, shape_text
from oracle.course.calling.calls import FD_KINDS, describe_exception
from oracle.course.judging import bugs
from oracle.course.judging.cases import (
    CourseCase,
    Runner,
    cases_for,
    hashable,
    in_process,
    jitted_output,
    output,
    run_jax,
    upstream_for,
)
from oracle.course.judging.fd_judge import judge_fd_target
from oracle.course.judging.verdicts import once_if_unfinished
from oracle.course.reference import GATE, Reference

MAX_KINK_PROBES = 64  # elements on a kink whose value is checked to be a subgradient


def adapted(
    ref: Reference, settings: Any, student: Outcome, inputs: Sequence[np.ndarray], upstream: Any
) -> Any:
    """The reference's ``adapt`` hook; one that takes ``upstream`` gets the case's upstream gradient too."""
    adapt: Any = ref.adapt
    if "upstream" in inspect.signature(adapt).parameters:
        return adapt(settings, student, inputs, upstream=upstream)
    return adapt(settings, student, inputs)


class Judgement:
    """One case judged: the inputs, both sides' outcomes, and the records, one per input gradient."""

    def __init__(
        self, case: CourseCase, impl: Sequence[Any], replay: str, runner: Runner | None = None
    ) -> None:
        self.case = case
        self.ref = ref = case.ref
        rng = case.rng()
        self.inputs = case.draw(rng)
        self.settings = settings = case.settings
        try:
            self.upstream = upstream_for(ref, self.inputs, rng, settings)
        except Exception as exc:  # a user's reference that cannot even be traced
            self.upstream = None
            self.student = Outcome()
            self.jax = Outcome(error=f"the JAX reference for {ref.name} raised {describe_exception(exc)}")
            self.replay = replay
            return
        self.student = (runner or in_process(impl))(ref, self.inputs, self.upstream, settings)
        if ref.adapt is not None and not (self.student.error or self.student.problem):
            settings = adapted(ref, settings, self.student, self.inputs, self.upstream)
        self.settings = settings
        self.jax = run_jax(ref, self.inputs, self.upstream, settings)
        self.replay = replay

    def records(self) -> list[Record]:
        found = [self._record(i, name) for i, name in enumerate(self.ref.inputs)]
        case = {
            "inputs": self.inputs, "upstream": self.upstream, "settings": self.settings,
            "student": self.student, "jax": self.jax, "dtype": self.case.dtype,
        }  # fmt: skip
        bugs.name_bugs(self.ref.bugs, case, self.ref.inputs, found)
        return found

    def _record(self, i: int, name: str) -> Record:
        case = self.case
        record = Record(
            case_id=case.case_id,
            input=name,
            shape=shape_text(self.inputs[i].shape),
            dtype=case.dtype,
            status=MATCH,
            ops=self.ref.name,
            n_nodes=1,
            seed=case.seed,
            replay=self.replay,
            target=self.ref.name,
        )
        ladder = Ladder(
            "student",
            case.dtype,
            lambda name, grad, expected, result, record: self._explain(i, name, grad, expected, record),
            check_dtype=True,
            shape_hint=lambda name, grad, expected: self._shape_hint(grad, expected),
        )
        judge_input(ladder, record, name, self.student, self.jax)
        record.warning = self.student.warning
        edge = edge_detail(self.ref.edge_text) if case.edge else ""
        record.detail = "; ".join(part for part in (edge, record.detail) if part)
        return record

    def _explain(
        self, i: int, name: str, grad: np.ndarray, expected: np.ndarray, record: Record
    ) -> tuple[str, str]:
        """They disagree: a kink if only at elements on a kink, else a mismatch, with a hint if one fits."""
        dtype = self.case.dtype
        index = tuple(int(k) for k in compare(grad, expected, dtype).worst_index)
        masks = self.ref.kink_masks(self.inputs)
        on_kink = masks[i] if masks is not None and i < len(masks) else np.zeros(grad.shape, dtype=bool)
        if on_kink.any():
            rest = compare(grad[~on_kink], expected[~on_kink], dtype)
            if rest.ok:
                return self._on_kink(i, grad, expected, on_kink, index, record)
            # Report the worst element off the kink: that is the bug.
            index = tuple(int(k) for k in np.argwhere(~on_kink)[rest.worst_index[0]])
            record.tested_value, record.jax_value = float(grad[index]), float(expected[index])
            record.worst_index = shape_text(index)
        fd = self._central_fd(i, index)
        record.fd_value = fd
        hint = self._value_hint(i, grad, expected, index)
        return MISMATCH, (
            f"student {float(grad[index]):.9g} vs jax {float(expected[index]):.9g} at {list(index)}; "
            f"central fd {fd:.6g} {fd_words(fd, float(grad[index]), float(expected[index]))}"
            + (f"; {hint}" if hint else "")
        )

    def _shape_hint(self, grad: np.ndarray, expected: np.ndarray) -> str:
        dtype = self.case.dtype
        if grad.shape != expected.shape:
            if grad.size == expected.size and compare(grad.reshape(expected.shape), expected, dtype).ok:
                return f"the right values: reshape to {shape_text(expected.shape)} is missing"
            if grad.ndim == 2 and grad.T.shape == expected.shape and compare(grad.T, expected, dtype).ok:
                return "the right values, transposed"
            return ""
        if grad.dtype.kind == "f" and compare(grad, expected, "float32").ok:
            return "the values agree to float32 precision"
        return ""

    def _value_hint(self, i: int, grad: np.ndarray, expected: np.ndarray, index: tuple[int, ...]) -> str:
        """Name the bug when it is one of the classic ones."""
        dtype = self.case.dtype
        if compare(-grad, expected, dtype).ok:
            return "wrong sign: the gradient is -1 times JAX's"
        up = self.upstream
        if up is not None and up.shape == grad.shape and compare(grad * up, expected, dtype).ok:
            return "the upstream gradient is not multiplied in"
        for other, other_grad in self.jax.grads.items():
            if (
                other != self.ref.inputs[i]
                and other_grad.shape == grad.shape
                and compare(grad, other_grad, dtype).ok
            ):
                return f"it equals JAX's gradient for {other}: gradients swapped?"
        if not np.any(grad) and np.any(expected):
            return "your gradient is 0 everywhere (not computed yet?)"
        if expected[index] != 0:
            factor = float(grad[index] / expected[index])
            if compare(grad, factor * expected, dtype).ok:
                text = f"{factor:.6g} times JAX's gradient everywhere"
                n = self.inputs[0].shape[0] if self.ref.kind != GATE and self.inputs[0].ndim else 0
                if n > 1 and abs(factor - n) < 1e-6 * n:
                    text += f": the division by N = {n} is missing"
                elif n > 1 and abs(factor * n - 1) < 1e-6:
                    text += f": divided by N = {n} once too often"
                return text
        return ""

    def _loss(self, values: Sequence[np.ndarray]) -> float:
        args = [jnp.asarray(v) for v in values]
        key = hashable(self.settings)
        try:
            if key is None:
                raise TypeError("settings that cannot be jitted")
            result = jitted_output(self.ref.fn, self.ref.aux, key)(*args)
        except Exception:  # a user's reference that cannot be jitted
            try:
                result = output(self.ref.fn, self.ref.aux, self.settings, *args)
            except Exception:  # JAX broken in this process (--no-isolate code patched it): no third opinion
                return math.nan
        out = np.asarray(result, dtype=np.float64)
        if self.upstream is None:
            return float(out)
        return float(np.sum(self.upstream.astype(np.float64) * out))

    def _moved(self, i: int, index: tuple[int, ...], d: float) -> list[np.ndarray]:
        """The inputs in float64, element ``index`` of input ``i`` moved by ``d``."""
        values = [v.astype(np.float64) if v.dtype.kind == "f" else v.copy() for v in self.inputs]
        values[i][index] += d
        return values

    def _loss_at(self, i: int, index: tuple[int, ...]) -> finite_diff.Loss:
        return lambda d: self._loss(self._moved(i, index, d))

    def _central_fd(self, i: int, index: tuple[int, ...]) -> float:
        """d(upstream . f)/d(input i at index), central difference of JAX's function in float64."""
        return finite_diff.central(self._loss_at(i, index), float(self.inputs[i][index]))

    def _slopes(self, i: int, index: tuple[int, ...]) -> tuple[float, float]:
        """The one-sided slopes (left, right) of upstream . f along one element, in float64."""
        return finite_diff.one_sided(self._loss_at(i, index), float(self.inputs[i][index]))

    def _on_kink(
        self,
        i: int,
        grad: np.ndarray,
        expected: np.ndarray,
        on_kink: np.ndarray,
        index: tuple[int, ...],
        record: Record,
    ) -> tuple[str, str]:
        """They differ only on kinks: a kink, unless a value there is no subgradient at all.

        A valid choice lies between the two one-sided slopes (both included); anything
        else, e.g. twice the upstream gradient at relu's 0, is a mismatch.
        """
        differing = np.argwhere(on_kink & (grad != expected))[:MAX_KINK_PROBES]
        for probe in (tuple(int(k) for k in row) for row in differing):
            left, right = self._slopes(i, probe)
            low, high = min(left, right), max(left, right)
            slack = finite_diff.FD_AGREES * max(1.0, abs(low), abs(high))
            if not low - slack <= float(grad[probe]) <= high + slack:
                record.tested_value, record.jax_value = float(grad[probe]), float(expected[probe])
                record.worst_index = shape_text(probe)
                record.fd_value = self._central_fd(i, probe)
                return MISMATCH, (
                    f"student {float(grad[probe]):.9g} at {list(probe)}, on {self.ref.kink_text}, is no "
                    f"subgradient: the one-sided slopes there are {left:.6g} (left) and {right:.6g} (right)"
                )
        left, right = self._slopes(i, index)
        record.fd_value = self._central_fd(i, index)
        count = int(on_kink.sum())
        return KINK, (
            f"differs only on {self.ref.kink_text} ({count} of {grad.size} elements sit there): "
            f"student {float(grad[index]):.9g} vs jax {float(expected[index]):.9g} at {list(index)}; "
            f"one-sided slopes {left:.6g} (left) and {right:.6g} (right)"
        )


MAX_SCALE = 100_000  # the largest 1/n a reference's gradient may carry beyond its value's (n examples)


def fd_words(fd: float, student: float, jax: float) -> str:
    """Which side the central fd agrees with, in words; a reference whose gradient is its value's
    divided by n (deeplearning.ai's dW and db carry 1/m, the value stays the summed loss) says so."""
    said = agreement(fd, student, jax, "student")
    if said != "agrees with neither" or fd == 0 or jax == 0:
        return said
    n = round(fd / jax)
    if not 2 <= n <= MAX_SCALE or not finite_diff.close(jax, fd / n):
        return said
    also = "; the student's agrees with the fd itself: no 1/m" if finite_diff.close(student, fd) else ""
    return (
        f"is the summed loss's gradient: divided by {n} (the 1/m of a gradient of the mean over {n} "
        f"examples) it is {fd / n:.6g}, which agrees with jax{also}"
    )


def judge_target(
    ref: Reference,
    impl: Sequence[Any],
    seeds: Sequence[int],
    dtype: str,
    replay: Callable[[int], str],
    runner: Runner | None = None,
) -> list[Record]:
    """Records for every case of one target: one per input gradient per case."""
    if ref.kind in FD_KINDS:  # no JAX reference: finite differences of the student's own forward
        return judge_fd_target(ref, impl, seeds, dtype, replay, runner)
    records = [
        record
        for case in cases_for(ref, seeds, dtype)
        for record in Judgement(case, impl, replay(case.seed), runner).records()
    ]
    return once_if_unfinished(records)
