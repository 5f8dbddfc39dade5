"""Known bugs of particular targets: when a row fails, say which classic mistake the student's values match.

The judge names the bugs every target can have (a wrong sign, the upstream gradient not
multiplied in, a factor N); this module holds the ones that belong to one target, e.g.
a word embedding whose repeated indices do not accumulate, or an LSTM whose gates are in
another order. A target module declares them with ``declare_bugs(name, *bugs)``; the
judge calls ``with_known_bug`` on every ``mismatch`` and ``forward_mismatch`` row, and the
first bug whose values match the student's is added to the row's detail.

A bug is a function of a ``Suspect`` (the case: inputs, upstream gradient, settings, both
sides' outcomes, the input whose row it is) returning the bug's name, or "" when the
student's values are not those of that bug. Two helpers build the common kinds:
``gradient_bug(text, fn)`` (the student's gradient is the gradient of another JAX
function: ``fn`` has the reference's signature) and ``output_bug(text, fn)`` (the
student's output is that of another function, in numpy or JAX).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome, as_numbers
from oracle.core.record import FORWARD_MISMATCH, MISMATCH, Record


class _Judgement(Protocol):
    """What ``with_known_bug`` reads of a ``oracle.course.judging.judge.Judgement``."""

    case: Any
    ref: Any
    inputs: list[np.ndarray]
    upstream: np.ndarray | None
    settings: Mapping[str, Any]
    student: Outcome
    jax: Outcome


@dataclass(frozen=True)
class Suspect:
    """One failing row's case, as a bug sees it."""

    inputs: Sequence[np.ndarray]
    upstream: np.ndarray | None
    settings: Mapping[str, Any]
    student: Outcome
    jax: Outcome
    index: int  # the input whose row this is
    name: str
    status: str  # MISMATCH (a gradient) or FORWARD_MISMATCH (the output)
    dtype: str
    n_wrt: int  # how many inputs have a gradient

    def grad(self) -> np.ndarray | None:
        """The student's gradient for this row's input, when it is an array of the right shape."""
        grad, _ = as_numbers(self.student.grads.get(self.name), "")
        expected = self.jax.grads.get(self.name)
        if grad is None or expected is None or grad.shape != np.shape(expected):
            return None
        return grad

    def out(self) -> np.ndarray | None:
        out, _ = as_numbers(self.student.out, "")
        return out


Bug = Callable[[Suspect], str]

BUGS: dict[str, tuple[Bug, ...]] = {}


def declare_bugs(name: str, *bugs: Bug) -> None:
    """The known bugs of target ``name``, the likeliest first."""
    BUGS[name] = BUGS.get(name, ()) + bugs


def with_known_bug(judgement: _Judgement, record: Record, index: int) -> str:
    """The record's detail, with the first known bug of its target that matches the student's values."""
    bugs = BUGS.get(judgement.ref.name, ())
    if not bugs or record.status not in (MISMATCH, FORWARD_MISMATCH):
        return record.detail
    suspect = Suspect(
        judgement.inputs,
        judgement.upstream,
        judgement.settings,
        judgement.student,
        judgement.jax,
        index,
        judgement.ref.inputs[index],
        record.status,
        judgement.case.dtype,
        len(judgement.ref.inputs),
    )
    for bug in bugs:
        try:
            text = bug(suspect)
        except Exception:  # a bug model that cannot run on these values names nothing
            text = ""
        if text:
            return "; ".join(part for part in (record.detail, f"known bug: {text}") if part)
    return record.detail


def _same(a: Any, b: Any, dtype: str) -> bool:
    return np.shape(a) == np.shape(b) and compare(a, b, dtype).ok


def _main(result: Any) -> Any:
    """A reference's output without its extras (``aux=True`` references return ``(out, extras)``)."""
    return result[0] if isinstance(result, tuple) else result


def gradient_bug(text: str, fn: Callable[..., Any], inputs: Sequence[str] | None = None) -> Bug:
    """The student's gradient is that of ``fn`` (the reference's signature) instead: for gradient rows.

    ``inputs`` limits it to the rows of these inputs (default: every input's).
    """

    def bug(s: Suspect) -> str:
        if s.status != MISMATCH or (inputs is not None and s.name not in inputs):
            return ""
        grad = s.grad()
        if grad is None:
            return ""
        args = [jnp.asarray(v) for v in s.inputs]
        rest = args[s.n_wrt :]
        out, pullback = jax.vjp(lambda *w: _main(fn(*w, *rest, **s.settings)), *args[: s.n_wrt])
        cotangent = jnp.ones_like(out) if s.upstream is None else jnp.asarray(s.upstream)
        model = np.asarray(pullback(cotangent)[s.index])
        expected = np.asarray(s.jax.grads[s.name])
        if _same(model, expected, s.dtype):  # the bug changes nothing on these inputs
            return ""
        return text if _same(grad, model, s.dtype) else ""

    return bug


def output_bug(text: str, fn: Callable[..., Any]) -> Bug:
    """The student's forward output is ``fn``'s (all the arrays, settings as keywords): for forward rows."""

    def bug(s: Suspect) -> str:
        out = s.out()
        if s.status != FORWARD_MISMATCH or out is None:
            return ""
        model = np.asarray(_main(fn(*s.inputs, **s.settings)))
        return text if _same(out, model, s.dtype) else ""

    return bug
