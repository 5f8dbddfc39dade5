"""Named bugs: when a row fails, say which classic mistake the student's values are.

The judge names the bugs every target can have (a wrong sign, the upstream gradient not
multiplied in, a factor N). The ones that belong to one target (a word embedding whose
repeated indices do not accumulate, an LSTM whose gates are in another order, batch norm's
eps missing from the backward) are ``Bug``s in that target's declaration
(``Reference.bugs``), whatever its course. After a case is judged, ``name_bugs`` adds
``known bug: TEXT`` to each failing row whose student value is exactly the bug's, within
the row's tolerance: a named bug is never a guess.

A ``Bug`` has a text, the part of the answer it concerns (an input's name: its gradient;
``GRADIENTS``: whichever input's row fails; ``OUTPUT``: the forward output; or the name of
an extra such as ``running_mean``) and a test of the student's value for that part on the
failing row's case (a ``Suspect``). Helpers build the common kinds: ``returns`` (the
student's value is what a function of the case computes; ``kink=True`` makes a matching row a
``kink``: a choice at a non-differentiable point, not a bug), ``gradient_bug`` (the gradient of
another JAX function), ``output_bug`` (the output of another function) and ``wrong_axes``
(a sum over the wrong axes).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome, as_numbers
from oracle.core.lazy_jax import jax, jnp
from oracle.core.record import FORWARD_MISMATCH, KINK, MISMATCH, Record, split_edge

OUTPUT = "the forward output"  # the part of a bug that is the forward's output
GRADIENTS = "every gradient"  # the part of a bug that may be any input's gradient
KNOWN_BUG = "known bug: "  # how a named bug starts in a row's detail


@dataclass(frozen=True)
class Suspect:
    """One failing row's case, as a bug sees it."""

    inputs: Sequence[np.ndarray]
    upstream: np.ndarray | None
    settings: Mapping[str, Any]  # after the reference's ``adapt``: what JAX computed with
    student: Outcome
    jax: Outcome
    index: int  # the input whose row this is (-1 for a forward row)
    name: str  # that input's name ("" for a forward row)
    status: str
    dtype: str
    n_wrt: int  # how many inputs have a gradient


# (the failing row's case, the student's value for the bug's part) -> whether it is the bug's value
Test = Callable[[Suspect, np.ndarray], bool]


@dataclass(frozen=True)
class Bug:
    text: str  # the mistake, as a row's detail names it
    part: str  # an input's name, GRADIENTS, OUTPUT, or the name of an extra
    test: Test
    # A choice at a non-differentiable point rather than a bug (a tied window's gradient given
    # whole to every maximum): a gradient row it matches becomes a ``kink`` whose detail is the text.
    kink: bool = False


def returns(value: Callable[[Suspect], Any]) -> Test:
    """A test that the student's value equals what ``value`` computes (None: the bug cannot apply)."""

    def test(s: Suspect, got: np.ndarray) -> bool:
        expected = value(s)
        return expected is not None and same(got, np.asarray(expected), s)

    return test


def same(got: np.ndarray, expected: np.ndarray, s: Suspect) -> bool:
    """Equal within the case's tolerance; non-finite at the same elements counts as equal there."""
    if np.shape(got) != np.shape(expected):
        return False
    got64, expected64 = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    finite = np.isfinite(got64)
    if not np.array_equal(finite, np.isfinite(expected64)):
        return False
    return bool(compare(got64[finite], expected64[finite], s.dtype).ok)


def wrong_axes(part: str, text: str, summed: Callable[[Suspect], np.ndarray], right: tuple[int, ...]) -> Bug:
    """A gradient that sums the terms ``summed`` computes over other axes than ``right``."""

    def test(s: Suspect, got: np.ndarray) -> bool:
        terms = summed(s)
        for size in range(1, terms.ndim + 1):
            for axes in itertools.combinations(range(terms.ndim), size):
                if axes == right:
                    continue
                for keepdims in (False, True):
                    if same(got, np.sum(terms, axis=axes, keepdims=keepdims), s):
                        return True
        return False

    return Bug(text, part, test)


def _main(result: Any) -> Any:
    """A reference's output without its extras (``aux=True`` references return ``(out, extras)``)."""
    return result[0] if isinstance(result, tuple) else result


def gradient_bug(text: str, fn: Callable[..., Any], inputs: Sequence[str] | None = None) -> Bug:
    """The student's gradient is that of ``fn`` (the reference's signature) instead.

    ``inputs`` limits it to the rows of these inputs (default: every input's).
    """

    def test(s: Suspect, got: np.ndarray) -> bool:
        if s.status != MISMATCH or (inputs is not None and s.name not in inputs):
            return False
        args = [jnp.asarray(v) for v in s.inputs]
        rest = args[s.n_wrt :]
        out, pullback = jax.vjp(lambda *w: _main(fn(*w, *rest, **s.settings)), *args[: s.n_wrt])
        cotangent = jnp.ones_like(out) if s.upstream is None else jnp.asarray(s.upstream)
        model = np.asarray(pullback(cotangent)[s.index])
        if same(model, np.asarray(s.jax.grads[s.name]), s):  # the bug changes nothing on these inputs
            return False
        return same(got, model, s)

    return Bug(text, GRADIENTS, test)


def output_bug(text: str, fn: Callable[..., Any]) -> Bug:
    """The student's forward output is ``fn``'s (all the arrays, settings as keywords)."""
    return Bug(text, OUTPUT, returns(lambda s: _main(fn(*s.inputs, **s.settings))))


def _value(outcome: Outcome, bug: Bug, row_input: str) -> Any:
    if bug.part == OUTPUT:
        return outcome.out
    part = row_input if bug.part == GRADIENTS else bug.part
    return outcome.grads[part] if part in outcome.grads else outcome.extras.get(part)


def _candidates(bugs: Sequence[Bug], record: Record, inputs: Sequence[str]) -> list[Bug]:
    if record.status == FORWARD_MISMATCH:  # the output or an extra
        return [b for b in bugs if b.part not in inputs and b.part != GRADIENTS]
    return [b for b in bugs if b.part in (record.input, GRADIENTS)]


def name_bugs(
    bugs: Sequence[Bug], case: Mapping[str, Any], inputs: Sequence[str], records: Iterable[Record]
) -> None:
    """Add the first matching bug to each failing record, once.

    ``case`` holds the judged case's ``inputs``, ``upstream``, ``settings``, ``student``,
    ``jax`` and ``dtype``; ``inputs`` names the inputs with a gradient, in order.
    """
    student, reference = case["student"], case["jax"]
    if not bugs or student.error or student.problem or reference.error:
        return
    for record in records:
        if not record.failed:
            continue
        index = list(inputs).index(record.input) if record.input in inputs else -1
        suspect = Suspect(
            case["inputs"], case["upstream"], case["settings"], student, reference,
            index, record.input if index >= 0 else "", record.status, case["dtype"], len(inputs),
        )  # fmt: skip
        for bug in _candidates(bugs, record, inputs):
            if bug.kink and record.status != MISMATCH:
                continue
            value, _ = as_numbers(_value(student, bug, record.input), bug.part)
            if value is None or not _applies(bug, suspect, value):
                continue
            if bug.kink:
                record.status, record.detail = KINK, split_edge(record.detail)[0] + bug.text
                break
            named = KNOWN_BUG + bug.text
            if named not in record.detail:
                record.detail = f"{record.detail}; {named}" if record.detail else named
            break


def _applies(bug: Bug, suspect: Suspect, value: np.ndarray) -> bool:
    try:
        with np.errstate(all="ignore"):
            return bool(bug.test(suspect, value))
    except Exception:  # a bug model that does not fit this case names nothing
        return False
