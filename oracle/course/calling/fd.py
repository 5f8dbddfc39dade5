"""The student's side of the finite-difference judge (``oracle.course.judging.fd_judge``).

For a gate class or a ``NAME_forward``/``NAME_backward`` pair the oracle has no reference
for, the judge checks the student's backward against finite differences of the student's
own forward. These calls do only what touches the student's code, and return plain arrays:

- with ``settings[POINTS]`` (lists of inputs, near the case's inputs), the call runs the
  forward and the backward once at the case's inputs, as the other calls do (noting edits
  in place), then the forward alone at each point: extras ``point 0``, ``point 1``...;
- with ``settings[CANDIDATES]`` (lists of inputs of different shapes), the call tries the
  forward on each, twice, and says in the extra ``candidate`` which one it accepts (an
  output of finite numbers, the same both times): the first whose backward also returns
  gradients of the inputs' shapes, else the first the forward accepts. That is how the
  judge finds inputs for code it knows nothing about (is ``gamma`` of x's shape, or one
  value per feature? The student's backward says which they meant).

``settings[PARAMS]`` lists the forward's further arguments (``conv_param``...), copied
fresh for every call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.course.calling.calls import (
    Call,
    CannotCall,
    Raised,
    Unfinished,
    buildable,
    copy_for_student,
    describe_exception,
    output,
    pair,
    step,
)
from oracle.course.calling.kinds import extra_arguments, gate_call, layer_call
from oracle.course.calling.missing import unchecked_reason

POINTS, CANDIDATES, PARAMS = "points", "candidates", "params"
PROBLEM = "problem"  # settings key: why the target cannot be checked (read from its source), or ""
# A forward that accepts none of the candidates: what it did with the first few, in the error.
SHOWN_FAILURES = 3

# (the student's objects, settings) -> a function from inputs to the forward's output
Forward = Callable[[Sequence[Any], Mapping[str, Any]], Callable[[Sequence[Any]], Any]]


def with_points(name: str, analytic: Call, forward: Forward, consistent: bool = True) -> Call:
    """``analytic`` at the case's inputs, plus the forward at each point (or the probe of candidates)."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        evaluate = forward(impl, settings)
        if CANDIDATES in settings:

            def fits(candidate: Sequence[Any], out: np.ndarray) -> bool:
                """Whether the backward returns gradients of the candidate's shapes."""
                if not consistent:
                    return True
                outcome = analytic(
                    names, impl, [copy_for_student(v) for v in candidate], np.ones(out.shape), settings
                )
                grads = [None if g is None else np.shape(g) for g in (outcome.grads.get(n) for n in names)]
                return not outcome.problem and grads == [np.shape(v) for v in candidate[: len(names)]]

            return _probe(name, evaluate, settings[CANDIDATES], fits)
        outcome = analytic(names, impl, inputs, upstream, settings)
        for j, point in enumerate(settings.get(POINTS, ())):
            outcome.extras[f"point {j}"] = evaluate([copy_for_student(v) for v in point])
        return outcome

    return call


def _probe(
    name: str,
    evaluate: Callable[[Sequence[Any]], Any],
    candidates: Sequence[Any],
    fits: Callable[[Sequence[Any], np.ndarray], bool],
) -> Outcome:
    failures: list[str] = []
    accepted: list[tuple[int, np.ndarray]] = []
    chosen = None
    helpers: list[Raised] = []  # the forward needs a helper its file could not import
    for k, candidate in enumerate(candidates):
        shapes = " ".join(str(list(np.shape(v))) for v in candidate)
        try:
            first = evaluate([copy_for_student(v) for v in candidate])
            again = evaluate([copy_for_student(v) for v in candidate])
        except Raised as raised:
            missing = unchecked_reason(raised.exc)
            if missing:  # a helper its file could not import: no candidate can get further
                return Outcome(unchecked=f"{raised.stage} {missing}")
            failures.append(f"on {shapes}: raised {describe_exception(raised.exc)}")
            helpers += [raised] if unchecked_reason(raised.exc) else []
            continue
        except (Unfinished, CannotCall):
            raise
        except Exception as exc:  # a Problem: the forward's result is not (out, cache)
            failures.append(f"on {shapes}: {exc}")
            continue
        out, problem = as_numbers(first, "its output")
        if out is None or not np.isfinite(out.astype(np.float64)).all():
            failures.append(f"on {shapes}: {problem or 'a non-finite output'}")
            continue
        if not np.array_equal(out, np.asarray(again)):
            return Outcome(
                error=f"{name} cannot be checked by finite differences: two calls with the same inputs "
                f"gave different outputs (random, or keeping state between calls)"
            )
        accepted.append((k, out))
        try:
            fitting = fits(candidate, out)
        except (Raised, Exception):  # the backward fails here: the shapes decide nothing
            fitting = False
        if fitting:
            chosen = (k, out)
            break
    if accepted:
        k, out = chosen or accepted[0]
        return Outcome(out=out, extras={"candidate": np.asarray(k)})
    if helpers and len(helpers) == len(failures):  # not the student's mistake: the call says unchecked
        raise helpers[0]
    shown = "; ".join(failures[:SHOWN_FAILURES]) + ("; ..." if len(failures) > SHOWN_FAILURES else "")
    return Outcome(error=f"{name} accepts none of the inputs tried ({shown})")


def fd_layer_call(layer: str, functions: tuple[str, str] | None = None) -> Call:
    """A ``NAME_forward``/``NAME_backward`` pair: ``forward(*arrays, *params)`` -> ``(out, cache)``."""
    functions = functions or (f"{layer}_forward", f"{layer}_backward")

    def forward(impl: Sequence[Any], settings: Mapping[str, Any]) -> Callable[[Sequence[Any]], Any]:
        stage = functions[0]

        def evaluate(arrays: Sequence[Any]) -> Any:
            result = step(stage, impl[0], *arrays, *extra_arguments(settings, PARAMS))
            return output(pair(result, stage, "(out, cache)")[0], stage)

        return evaluate

    return with_points(functions[0], layer_call(layer, extra_key=PARAMS, functions=functions), forward)


def fd_gate_call(gate: str) -> Call:
    """A gate class: a fresh ``NAME()`` for every evaluation of ``forward(*inputs)``."""

    def forward(impl: Sequence[Any], settings: Mapping[str, Any]) -> Callable[[Sequence[Any]], Any]:
        def evaluate(arrays: Sequence[Any]) -> Any:
            buildable(gate, impl[0])
            instance = step(f"{gate}()", impl[0])
            return output(step(f"{gate}.forward", instance.forward, *arrays), f"{gate}.forward")

        return evaluate

    return with_points(f"{gate}.forward", gate_call(gate), forward)
