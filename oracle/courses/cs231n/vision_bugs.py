"""Classic bugs of the course's vision layers, named in the rows they fail.

A ``Bug`` is recognized by what it makes the student's code return: for one part of the
answer (an input's gradient, the forward output, or an extra such as ``running_mean``) it
says what the buggy code would return, computed on the judge's side from the case's
inputs, settings, upstream gradient and JAX's answer. A failing row whose student value
is that value (within the row's tolerance, non-finite at the same elements) gets the bug
named in its detail: ``...; likely cause: the eps is missing from the backward's variance``.

A ``VisionReference`` is a ``Reference`` with its bugs; ``review(judgement, records)``
adds the causes to a judged case's records. Only failing rows are touched, and only
when the student's value is exactly the buggy one, so a named cause is never a guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome, as_numbers
from oracle.core.record import FORWARD_MISMATCH, Record
from oracle.course.reference import Reference

OUTPUT = "the forward output"  # the part of a bug that is the forward's output


class Judged(Protocol):
    """What a bug is recognized from: one judged case (``judging.judge.Judgement`` has these)."""

    inputs: list[np.ndarray]
    settings: Mapping[str, Any]  # after ``adapt``: what the JAX reference computed with
    upstream: np.ndarray | None
    student: Outcome
    jax: Outcome


# (the judged case, the student's value for the bug's part) -> whether it is what the bug returns
Test = Callable[[Judged, np.ndarray], bool]


@dataclass(frozen=True)
class Bug:
    text: str  # the cause, as a row's detail names it
    part: str  # an input name (its gradient), OUTPUT, or the name of an extra
    test: Test


def returns(value: Callable[[Judged], Any]) -> Test:
    """A test that the student's value equals what ``value`` computes (None: the bug cannot apply)."""

    def test(judged: Judged, got: np.ndarray) -> bool:
        expected = value(judged)
        return expected is not None and same(got, np.asarray(expected), judged)

    return test


def same(got: np.ndarray, expected: np.ndarray, judged: Judged) -> bool:
    """Equal within the case's tolerance; non-finite at the same elements counts as equal there."""
    if got.shape != expected.shape:
        return False
    dtype = str(judged.inputs[0].dtype)
    dtype = dtype if dtype in ("float32", "float64") else "float64"
    got64, expected64 = got.astype(np.float64), expected.astype(np.float64)
    finite = np.isfinite(got64)
    if not np.array_equal(finite, np.isfinite(expected64)):
        return False
    return bool(compare(got64[finite], expected64[finite], dtype).ok)


def wrong_axes(part: str, text: str, summed: Callable[[Judged], np.ndarray], right: tuple[int, ...]) -> Bug:
    """A gradient that sums the terms ``summed`` computes over other axes than ``right``."""

    def test(judged: Judged, got: np.ndarray) -> bool:
        terms = summed(judged)
        for size in range(1, terms.ndim + 1):
            for axes in itertools.combinations(range(terms.ndim), size):
                if axes == right:
                    continue
                for keepdims in (False, True):
                    if same(got, np.sum(terms, axis=axes, keepdims=keepdims), judged):
                        return True
        return False

    return Bug(text, part, test)


def student_value(outcome: Outcome, part: str) -> Any:
    if part == OUTPUT:
        return outcome.out
    if part in outcome.grads:
        return outcome.grads[part]
    return outcome.extras.get(part)


@dataclass(frozen=True)
class VisionReference(Reference):
    """A reference that knows its target's classic bugs."""

    bugs: tuple[Bug, ...] = ()

    def review(self, judged: Judged, records: Iterable[Record]) -> None:
        """Add the first matching bug's cause to each failing record, once."""
        if judged.student.error or judged.student.problem or judged.jax.error:
            return
        for record in records:
            if not record.failed:
                continue
            for bug in self._candidates(record):
                value, _ = as_numbers(student_value(judged.student, bug.part), bug.part)
                if value is None or not _applies(bug, judged, value):
                    continue
                cause = f"likely cause: {bug.text}"
                if cause not in record.detail:
                    record.detail = f"{record.detail}; {cause}" if record.detail else cause
                break

    def _candidates(self, record: Record) -> Sequence[Bug]:
        if record.status == FORWARD_MISMATCH:
            return [b for b in self.bugs if b.part not in self.inputs]
        return [b for b in self.bugs if b.part == record.input]


def _applies(bug: Bug, judged: Judged, value: np.ndarray) -> bool:
    try:
        with np.errstate(all="ignore"):
            return bug.test(judged, value)
    except (ValueError, IndexError, TypeError, ZeroDivisionError):  # a bug that does not fit this case
        return False
