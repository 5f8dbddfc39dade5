"""The one judgement ladder: how the tested side's output and gradients become a status.

Campaigns (the engine under test) and course checks (a student's code under test) both
call ``judge_input`` once per input gradient; what differs between them is plugged in:
how the tested side was run (an ``Outcome`` each side) and how a disagreement is
explained (an ``Explain`` function: a kink, or a mismatch with a third opinion). The
ladder, first rung that applies wins:

0. ``unchecked``: the tested code could not be called (course checks: what the checker cannot guess);
1. ``error``: either side raised;
2. ``mismatch``: the tested code broke its calling convention (returned None, too few gradients);
3. ``forward_mismatch``: the output is not an array of numbers, or has the wrong shape;
4. ``nonfinite`` (one side) or ``nonfinite_both``: NaN or Inf in the output;
5. ``forward_mismatch``: the outputs, or the extra outputs JAX has (running averages), differ
   (a matching backward of a wrong forward means nothing);
6. ``mismatch``: the gradient is missing, not numbers, or of the wrong shape or dtype;
7. ``nonfinite`` or ``nonfinite_both``: NaN or Inf in the gradient;
8. ``match``: the gradients agree within the tolerance table;
9. otherwise the job's ``Explain`` decides: ``kink`` or ``mismatch``.

Rungs 4 and 7 still compare what can be compared and put the figures in the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oracle.core.compare import Comparison, compare
from oracle.core.record import (
    ERROR,
    FORWARD_MISMATCH,
    MATCH,
    MISMATCH,
    NONFINITE,
    NONFINITE_BOTH,
    UNCHECKED,
    Record,
    shape_text,
)


@dataclass
class Outcome:
    """What one side computed for one case: the output and the gradients by input name, or what went wrong."""

    out: Any = None
    grads: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # a sentence: "engine raised ...", "affine_backward raised ..." (rung 1)
    problem: str = ""  # the calling convention was broken (rung 2)
    extras: dict[str, Any] = field(default_factory=dict)  # more forward outputs: batch norm's running mean
    scales: dict[str, Any] = field(default_factory=dict)  # JAX's side: each gradient element's rounding scale
    warning: str = ""  # for the record's warning column: noted, not a failure (an edit in place)
    unchecked: str = ""  # why the code could not be called at all: not the code's mistake (rung 0)


# (input name, tested gradient, JAX's gradient, their comparison, the record) -> (status, detail)
Explain = Callable[[str, np.ndarray, np.ndarray, Comparison, Record], tuple[str, str]]
# (input name, tested gradient, JAX's gradient) -> a hint on a wrong shape or dtype, or ""
ShapeHint = Callable[[str, np.ndarray, np.ndarray], str]


@dataclass(frozen=True)
class Ladder:
    """What a job plugs into the ladder."""

    tested: str  # names the tested side in details: "engine" or "student"
    dtype: str
    explain: Explain
    check_dtype: bool = False  # course code must return gradients of its inputs' dtype
    tolerance: str = ""  # the row of TOLERANCES to compare with, if not the dtype's (a finite difference's)
    shape_hint: ShapeHint = lambda name, got, expected: ""


def describe(value: Any) -> str:
    """A short description of what was returned, for a detail."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {shape_text(value.shape)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def as_numbers(value: Any, what: str) -> tuple[np.ndarray | None, str]:
    """``value`` as a numeric array, or why it is not one."""
    if value is None:
        return None, f"{what} is None"
    try:
        array = np.asarray(value)
    except Exception:  # an object whose __array__ raises (a torch tensor that requires grad does)
        return None, f"{what} is {describe(value)} that cannot be read as an array"
    if array.dtype.kind not in "biuf":
        return None, f"{what} is {describe(value)} of dtype {array.dtype}, not an array of numbers"
    return array, ""


def nonfinite_side(tested: np.ndarray, jax: np.ndarray, tested_name: str) -> str:
    """'' when both are finite, else which side is not: the tested side's name, 'jax' or 'both'."""
    bad_tested = not np.isfinite(np.asarray(tested, dtype=np.float64)).all()
    bad_jax = not np.isfinite(np.asarray(jax, dtype=np.float64)).all()
    return "both" if bad_tested and bad_jax else tested_name if bad_tested else "jax" if bad_jax else ""


def fill(record: Record, result: Comparison) -> None:
    """Copy a comparison's figures into a record."""
    record.tested_value, record.jax_value = result.a_value, result.b_value
    record.abs_err, record.rel_err = result.abs_err, result.rel_err
    record.worst_index = shape_text(result.worst_index)


def judge_input(ladder: Ladder, record: Record, name: str, tested: Outcome, jax: Outcome) -> None:
    """Set ``record``'s status, detail and figures for the gradient of input ``name``."""
    record.status, record.detail = _climb(ladder, record, name, tested, jax)


def _nonfinite(side: str, what: str) -> tuple[str, str]:
    return (NONFINITE_BOTH if side == "both" else NONFINITE), f"{side}: non-finite {what}"


def _climb(ladder: Ladder, record: Record, name: str, tested: Outcome, jax: Outcome) -> tuple[str, str]:
    side, dtype = ladder.tested, ladder.tolerance or ladder.dtype
    if tested.unchecked:
        return UNCHECKED, tested.unchecked
    if tested.error or jax.error:
        return ERROR, "; ".join(e for e in (tested.error, jax.error) if e)
    if tested.problem:
        return MISMATCH, tested.problem
    out, problem = as_numbers(tested.out, "the forward output")
    if out is None:
        return FORWARD_MISMATCH, problem
    jax_out = np.asarray(jax.out)
    if out.shape != jax_out.shape:
        return FORWARD_MISMATCH, f"the forward output has {compare(out, jax_out, dtype).problem}"
    grad, grad_problem = as_numbers(tested.grads.get(name), f"the gradient for {name}")
    expected = np.asarray(jax.grads[name])
    comparable = grad is not None and grad.shape == expected.shape
    if comparable:
        assert grad is not None
        result = compare(grad, expected, dtype, scale=jax.scales.get(name))
        fill(record, result)
    out_side = nonfinite_side(out, jax_out, side)
    if out_side:
        status, detail = _nonfinite(out_side, "output")
        if comparable and result.ok:
            detail += "; the gradients agree"
        elif comparable:
            detail += f"; the gradients differ (rel_err {result.rel_err:.3g})"
        return status, detail
    forward = compare(out, jax_out, dtype)
    if not forward.ok:
        fill(record, forward)
        return FORWARD_MISMATCH, (
            f"the forward output differs at {list(forward.worst_index)}: {side} {forward.a_value:.9g} vs "
            f"jax {forward.b_value:.9g} (rel_err {forward.rel_err:.3g}; the values are the output's)"
        )
    extra = _extras(side, dtype, tested, jax, record)
    if extra:
        return FORWARD_MISMATCH, extra
    if grad is None:
        return MISMATCH, grad_problem
    if not comparable or (ladder.check_dtype and grad.dtype != expected.dtype):
        hint = ladder.shape_hint(name, grad, expected)
        problem = compare(grad, expected, dtype, check_dtype=ladder.check_dtype).problem
        return MISMATCH, f"the gradient for {name} has {problem}" + (f" ({hint})" if hint else "")
    grad_side = nonfinite_side(grad, expected, side)
    if grad_side:
        return _nonfinite(grad_side, f"gradient for {name}")
    if result.ok:
        return MATCH, ""
    return ladder.explain(name, grad, expected, result, record)


def _extras(side: str, dtype: str, tested: Outcome, jax: Outcome, record: Record) -> str:
    """What is wrong with the first extra output that differs from JAX's, or ''."""
    for name, expected in jax.extras.items():
        value, problem = as_numbers(tested.extras.get(name), name)
        if value is None:
            return problem
        result = compare(value, expected, dtype)
        if not result.ok:
            if result.problem:
                return f"{name} has {result.problem}"
            fill(record, result)
            return (
                f"{name} differs at {list(result.worst_index)}: {side} {result.a_value:.9g} vs "
                f"jax {result.b_value:.9g} (rel_err {result.rel_err:.3g}; the values are {name}'s)"
            )
    return ""
