"""Judge code the oracle has no reference for: its backward against finite differences of its own forward.

A gate class or a ``NAME_forward``/``NAME_backward`` pair that no JAX reference knows is
not skipped: its backward is compared with float64 central differences of the student's
own forward, with random upstream gradients. Its rows say ``judge=fd``: the forward
itself is unverified (a wrong forward with a consistent backward passes), and the
tolerance is a finite difference's (``TOLERANCES["fd"]``).

The cost does not grow with the input's size: per input and case, the student's gradient
g is compared with the finite difference along ``DIRECTIONS`` random unit directions v
(as autograd's ``check_grads`` does): <g, v> against (L(x + hv) - L(x - hv)) / 2h, where
L = sum(upstream * forward). Each direction is also taken with the step 2h; where the two
estimates disagree, the forward has a kink within 2h and that direction is not judged.
So a case costs one forward and one backward at the inputs, one forward to check that the
output is the same again, and 4 x DIRECTIONS forwards per input.

The student's code runs in its calls (``oracle.course.calling.fd``): the forward at the
inputs and at each point; the arithmetic is here. Inputs are found by trying candidate
shapes (``loading`` derives them from the forward's signature): the first the forward
accepts, with a finite output, is used (a gate: each of () and (3, 4) it accepts);
standard normal values first, then positive ones (for a forward defined only there).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oracle.core import finite_diff
from oracle.core.compare import Comparison, compare
from oracle.core.judgement import Ladder, Outcome, as_numbers, judge_input
from oracle.core.record import ERROR, KINK, MATCH, MISMATCH, UNCHECKED, Record, shape_text
from oracle.course.calling.calls import FD_GATE, NOT_IMPLEMENTED
from oracle.course.calling.fd import CANDIDATES, POINTS, PROBLEM
from oracle.course.judging.cases import CourseCase, Runner, in_process
from oracle.course.judging.samplers import normal, positive, unit_directions
from oracle.course.judging.verdicts import once_if_unfinished
from oracle.course.reference import Reference, Shape

DIRECTIONS = 3  # random unit directions per input and case
STEP = finite_diff.CENTRAL_STEP  # relative to max(1, max |x|)
FD = "fd"  # the record's judge, and the row of TOLERANCES


def judge_fd_target(
    ref: Reference,
    impl: Sequence[Any],
    seeds: Sequence[int],
    dtype: str,
    replay: Callable[[int], str],
    runner: Runner | None = None,
) -> list[Record]:
    """Records for every case of a target without a reference: one per input gradient per case.

    ``runner`` runs the student's calls (``oracle.course.judging.judge.Runner``: in this process by
    default, or in a worker process); the arithmetic is this process's.
    """
    runner = runner or in_process(impl)
    problem = ref.settings_for(0).get(PROBLEM, "")
    # a problem read off the source: an unfinished template (error), or code this judge cannot call
    # (unchecked), such as a forward taking a string after its parameter dict
    status = ERROR if problem.startswith(NOT_IMPLEMENTED) else UNCHECKED
    found, status, error = ([], status, problem) if problem else _layouts(ref, runner, dtype)
    if error:
        return [_error_record(ref, dtype, error, replay(seeds[0]) if seeds else "", status)]
    records = [
        record
        for seed in seeds
        for index, (sized, out_shape) in found
        for record in FdJudgement(
            CourseCase(sized, seed, index, False, dtype), runner, replay(seed), out_shape
        ).records()
    ]
    return once_if_unfinished(records)


def _error_record(ref: Reference, dtype: str, error: str, replay: str, status: str = ERROR) -> Record:
    case_id = hashlib.sha256(f"{ref.name}|{error}".encode()).hexdigest()[:12]
    record = Record(case_id, "", "", dtype, status, error, ops=ref.name, n_nodes=1, target=ref.name, judge=FD)
    record.replay = replay
    return record


def _layouts(
    ref: Reference, runner: Runner, dtype: str
) -> tuple[list[tuple[int, tuple[Reference, Shape | None]]], str, str]:
    """The candidate shapes to judge at, with their sampler and the output's shape; or why there are
    none, as a status (``error``, or ``unchecked`` when the code cannot be called) and a detail.

    A layer: the one candidate its code picks (``calls_fd``); a gate: each it accepts.
    Standard normal values first, positive ones if the forward accepts no normal input (a
    target with a sampler of its own, a network, uses only that).
    """
    groups = [[k] for k in range(len(ref.shapes))] if ref.kind == FD_GATE else [list(range(len(ref.shapes)))]
    errors = []
    for sample in (normal, positive) if ref.sample is normal else (ref.sample,):
        sized = dataclasses.replace(ref, sample=sample)
        found = []
        for group in groups:
            cases = [CourseCase(sized, 0, index, False, dtype) for index in group]
            settings = {**cases[0].settings, CANDIDATES: [case.draw(case.rng()) for case in cases]}
            outcome = runner(ref, [], None, settings)
            if outcome.unchecked:
                return [], UNCHECKED, outcome.unchecked
            if outcome.error or outcome.problem:
                if outcome.error.startswith(NOT_IMPLEMENTED) or "cannot be checked" in outcome.error:
                    return [], ERROR, outcome.error
                errors.append(outcome.error or outcome.problem)
                continue
            index = group[int(outcome.extras["candidate"])]
            found.append((index, (sized, tuple(np.shape(outcome.out)) if ref.upstream else None)))
        if found:
            return found, "", ""
    return [], ERROR, _first(errors) + " (register a reference for it with oracle.course.register_reference)"


def _first(errors: Sequence[str]) -> str:
    return errors[0] if errors else "no input shapes to try"


class FdJudgement:
    """One case: the student's gradients against finite differences of the student's forward."""

    def __init__(self, case: CourseCase, runner: Runner, replay: str, out_shape: Shape | None) -> None:
        self.case, self.ref, self.replay = case, case.ref, replay
        rng = case.rng()
        self.inputs = case.draw(rng)
        self.upstream = None if out_shape is None else rng.standard_normal(out_shape).astype(case.dtype)
        n = len(self.ref.inputs)
        self.directions = [unit_directions(rng, self.inputs[i].shape, DIRECTIONS) for i in range(n)]
        self.steps = [STEP * max(1.0, float(np.max(np.abs(self.inputs[i])))) for i in range(n)]
        settings = {**case.settings, POINTS: self._points()}
        self.student = runner(self.ref, self.inputs, self.upstream, settings)

    def _points(self) -> list[list[np.ndarray]]:
        """The inputs as given (the forward must give the same output again), then x +- s v, s = h and 2h."""
        wide = [v.astype(np.float64) if v.dtype.kind == "f" else v for v in self.inputs]
        points = [list(self.inputs)]
        for i, directions in enumerate(self.directions):
            for v in directions:
                for s in (self.steps[i], 2 * self.steps[i]):
                    for sign in (1.0, -1.0):
                        moved = list(wide)
                        moved[i] = wide[i] + sign * s * v
                        points.append(moved)
        return points

    def _loss(self, out: Any, upstream: np.ndarray | None) -> float:
        values = np.asarray(out, dtype=np.float64)
        if upstream is None:
            return float(np.sum(values))
        return float(np.sum(upstream.astype(np.float64) * values))

    def records(self) -> list[Record]:
        return [self._record(i, name) for i, name in enumerate(self.ref.inputs)]

    def _record(self, i: int, name: str) -> Record:
        case = self.case
        record = Record(
            case_id=case.case_id, input=name, shape=shape_text(self.inputs[i].shape), dtype=case.dtype,
            status=MATCH, ops=self.ref.name, n_nodes=1, seed=case.seed, replay=self.replay,
            judge=FD, target=self.ref.name,
        )  # fmt: skip
        tested, reference, note = self._sides(i, name)
        # a gradient of the wrong shape or dtype is set against zeros, so that the ladder says so: no figures
        figures = name not in reference.grads or name in reference.scales
        ladder = Ladder(
            "student",
            case.dtype,
            lambda name, got, expected, result, record: self._explain(i, got, expected, result),
            check_dtype=True,
            tolerance=FD if case.dtype == "float64" else case.dtype,
            shape_hint=lambda name, got, expected: self._shape_hint(i, got),
        )
        if note:
            record.status, record.detail = KINK, note
        else:
            judge_input(ladder, record, name, tested, reference)
        record.warning = self.student.warning
        record.fd_value, record.jax_value = record.jax_value, None
        if not figures:
            record.tested_value = record.fd_value = record.abs_err = record.rel_err = None
            record.worst_index = ""
        what = (
            f"judge fd: <d{name}, v> against central differences of your forward along "
            f"{DIRECTIONS} random unit directions v (worst_index: which v)"
        )
        if self.student.error.startswith(NOT_IMPLEMENTED):
            what = ""  # nothing was judged: the row says only that (and is one row, once_if_unfinished)
        record.detail = "; ".join(part for part in (what, record.detail) if part)
        return record

    def _sides(self, i: int, name: str) -> tuple[Outcome, Outcome, str]:
        """The tested side (projections of the student's gradient), the fd side, and a note if not judged."""
        student = self.student
        unverified = Outcome(out=student.out)  # the forward has no reference: compared with itself
        if student.error or student.problem:
            return student, unverified, ""
        points = [student.extras.get(f"point {j}") for j in range(1 + 4 * DIRECTIONS * len(self.ref.inputs))]
        again, _ = as_numbers(points[0], "")
        out, _ = as_numbers(student.out, "")
        if again is not None and out is not None and not np.array_equal(again, out, equal_nan=True):
            error = (
                f"{self.ref.name} cannot be checked by finite differences: another output for the same inputs"
            )
            return Outcome(error=error), unverified, ""
        grad, _ = as_numbers(student.grads.get(name), "")
        x = self.inputs[i]
        if grad is None or grad.shape != x.shape or grad.dtype != x.dtype:  # the ladder says what is wrong
            return student, Outcome(out=student.out, grads={name: np.zeros_like(x)}), ""
        first = 1 + 4 * DIRECTIONS * i
        estimates = self._estimates(points[first : first + 4 * DIRECTIONS], i, self.upstream)
        if estimates is None:
            return student, unverified, ""  # a non-finite output at a point: the ladder sees the output
        d1, d2, scale = estimates
        smooth = np.array([compare(a, b, FD, scale=scale).ok for a, b in zip(d1, d2, strict=True)])
        if not smooth.any():
            return (
                student,
                unverified,
                (
                    f"not judged: your forward is not smooth within {2 * self.steps[i]:.1e} of these inputs "
                    f"along any of the {DIRECTIONS} directions (a kink: the two step sizes disagree)"
                ),
            )
        projections = np.array([float(np.sum(grad.astype(np.float64) * v)) for v in self.directions[i]])
        tested = dataclasses.replace(student, grads={name: projections[smooth]})
        reference = Outcome(out=student.out, grads={name: d1[smooth]}, scales={name: scale})
        return tested, reference, ""

    def _estimates(
        self, outputs: Sequence[Any], i: int, upstream: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, float] | None:
        """Central differences with steps h and 2h along each direction, and the scale of the summed terms."""
        values = [as_numbers(o, "")[0] for o in outputs]
        if any(v is None or not np.isfinite(v.astype(np.float64)).all() for v in values):
            return None
        losses = np.array([self._loss(v, upstream) for v in values]).reshape(DIRECTIONS, 2, 2)
        h = self.steps[i]
        d1 = (losses[:, 0, 0] - losses[:, 0, 1]) / (2 * h)
        d2 = (losses[:, 1, 0] - losses[:, 1, 1]) / (4 * h)
        terms = max(float(np.sum(np.abs(np.asarray(v, dtype=np.float64)))) for v in values)
        weight = 1.0 if upstream is None else float(np.max(np.abs(upstream)))
        return d1, d2, terms * weight

    def _explain(self, i: int, got: np.ndarray, expected: np.ndarray, result: Comparison) -> tuple[str, str]:
        k = result.worst_index[0] if result.worst_index else 0
        hint = self._hint(i, got, expected)
        return MISMATCH, (
            f"<d{self.ref.inputs[i]}, v> {got[k]:.9g} vs central difference {expected[k]:.9g} along "
            f"direction {k}" + (f"; {hint}" if hint else "")
        )

    def _hint(self, i: int, got: np.ndarray, expected: np.ndarray) -> str:
        """The classic bugs, as seen along the directions."""
        dtype = FD if self.case.dtype == "float64" else self.case.dtype
        if compare(-got, expected, dtype).ok:
            return "wrong sign: -1 times the finite difference along every direction"
        ones = self._estimates(self._outputs(i), i, None)
        if self.upstream is not None and ones is not None and compare(got, ones[0][: len(got)], dtype).ok:
            return "the upstream gradient is not multiplied in"
        for j, other in enumerate(self.ref.inputs):
            grad, _ = as_numbers(self.student.grads.get(other), "")
            if j != i and grad is not None and grad.shape == self.inputs[i].shape:
                moved = np.array([float(np.sum(grad.astype(np.float64) * v)) for v in self.directions[i]])
                if compare(moved[: len(expected)], expected, dtype).ok:
                    return f"the gradient for {other} fits {self.ref.inputs[i]}: gradients swapped?"
        nonzero = np.abs(expected) > 0
        if nonzero.any():
            factor = float(np.median(got[nonzero] / expected[nonzero]))
            if compare(got, factor * expected, dtype).ok:
                return f"{factor:.6g} times the finite difference along every direction"
        return ""

    def _outputs(self, i: int) -> list[Any]:
        first = 1 + 4 * DIRECTIONS * i
        return [self.student.extras.get(f"point {j}") for j in range(first, first + 4 * DIRECTIONS)]

    def _shape_hint(self, i: int, got: np.ndarray) -> str:
        """A gradient of the wrong shape whose values fit once reshaped or transposed."""
        x = self.inputs[i]
        estimates = self._estimates(self._outputs(i), i, self.upstream)
        if estimates is None or got.size != x.size or got.shape == x.shape:
            return ""
        dtype = FD if self.case.dtype == "float64" else self.case.dtype
        for text, fixed in (
            (f"the right values: reshape to {shape_text(x.shape)} is missing", got.reshape(x.shape)),
            ("the right values, transposed", got.T if got.T.shape == x.shape else None),
        ):
            if fixed is None:
                continue
            projections = np.array([float(np.sum(fixed.astype(np.float64) * v)) for v in self.directions[i]])
            if compare(projections, estimates[0], dtype, scale=estimates[2]).ok:
                return text
        return ""
