"""The student's side of a course check: how each kind of target calls the student's code.

A *call* takes the student's objects (a gate class, a forward/backward pair, a loss
function...), the inputs, the upstream gradient and the target's settings, and returns
an ``Outcome``: the forward output, the gradients by input name and any extra outputs
(batch norm's running averages), or what went wrong. Calls are the only code that
touches the student's objects, so they are what runs in the submission's process when
checks are isolated; what they return is plain arrays and text. Student code never
crashes the checker: an exception becomes ``Outcome.error`` naming the step that raised
("affine_backward raised ...") and the student's file and line.
"""

from __future__ import annotations

import os
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe

# (names of the inputs with a gradient, the student's objects, inputs, upstream, settings) -> Outcome
Call = Callable[[Sequence[str], Sequence[Any], Sequence[np.ndarray], Any, Mapping[str, Any]], Outcome]

# Frames in these are not the student's: oracle itself, the standard library, installed packages.
_PATHS = sysconfig.get_paths()
_LIBRARIES = tuple(
    os.path.join(folder, "")
    for folder in {
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        _PATHS["stdlib"],
        _PATHS["purelib"],
        _PATHS["platlib"],
    }
)


def describe_exception(exc: BaseException) -> str:
    """``Type: message (file.py:line)``: the last frame outside oracle and the libraries, if there is one."""
    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_LIBRARIES) and "<" not in f.filename]
    return message + (f" ({os.path.basename(own[-1].filename)}:{own[-1].lineno})" if own else "")


class Raised(Exception):
    """The student's code raised ``exc`` during ``stage``."""

    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(stage)
        self.stage, self.exc = stage, exc


def step(stage: str, fn: Any, *args: Any) -> Any:
    """Call one of the student's functions; an exception names the stage."""
    try:
        return fn(*args)
    except (Exception, SystemExit) as exc:  # the code under judgement may raise anything
        raise Raised(stage, exc) from exc


def copy_for_student(value: Any) -> Any:
    """A fresh copy for the student to keep or modify; a 0-d array becomes a numpy scalar."""
    value = np.asarray(value)
    return value[()] if value.ndim == 0 else value.copy()


def gradients(returned: Any, names: Sequence[str], stage: str) -> tuple[dict[str, Any], str]:
    """The gradients a backward returned, by input name, or what is wrong with them."""
    arity = len(names)
    if returned is None:
        return {}, f"{stage} returned None (a missing return?)"
    if isinstance(returned, list | tuple):
        grads = list(returned)
    elif arity == 1:
        grads = [returned]
    else:
        return {}, f"{stage} returned {describe(returned)}, expected {arity} gradients ({', '.join(names)})"
    if len(grads) != arity:
        count = f"{len(grads)} gradient" + "s" * (len(grads) != 1)
        return {}, f"{stage} returned {count}, expected {arity} ({', '.join(names)})"
    return dict(zip(names, grads, strict=True)), ""


def pair(result: Any, stage: str, expected: str) -> tuple[Any, Any]:
    """A forward's ``(a, b)`` result, or a ``Problem`` saying what it returned instead."""
    if not isinstance(result, list | tuple) or len(result) != 2:
        raise Problem(f"{stage} returned {describe(result)}, expected {expected}")
    return result[0], result[1]


class Problem(Exception):
    """The student's code broke the calling convention: a ``mismatch`` whose detail says how."""


def run(
    call: Call,
    name: str,
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[np.ndarray],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    """Run one call on copies of the inputs; never raises for anything the student's code does."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(names, impl, [copy_for_student(v) for v in inputs], upstream, settings)
    except Raised as raised:
        return Outcome(error=f"{raised.stage} raised {describe_exception(raised.exc)}")
    except Problem as problem:
        return Outcome(problem=str(problem))
    except Exception as exc:  # the student's objects misbehaving in a call's own code (a bad __len__...)
        return Outcome(error=f"{name}: {describe_exception(exc)}")


# ------------------------------------------------------------------ the calls


def gate_call(gate_name: str) -> Call:
    """The lecture's gate class: ``NAME()``, ``forward(*inputs)``, ``backward(upstream)`` -> gradients."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        gate = step(f"{gate_name}()", impl[0])
        out = step(f"{gate_name}.forward", gate.forward, *inputs)
        stage = f"{gate_name}.backward"
        grads, problem = gradients(step(stage, gate.backward, copy_for_student(upstream)), names, stage)
        return Outcome(out, grads, problem=problem)

    return call


def layer_call(layer: str, *, param: str = "") -> Call:
    """``NAME_forward(*inputs[, param]) -> (out, cache)``, ``NAME_backward(dout, cache)`` -> gradients.

    With ``param``, the forward takes one more argument: a dict of the target's settings
    (the course's ``conv_param``, ``pool_param``...).
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        forward, backward = impl
        stage = f"{layer}_forward"
        extra = (dict(settings),) if param else ()
        out, cache = pair(step(stage, forward, *inputs, *extra), stage, "(out, cache)")
        stage = f"{layer}_backward"
        grads, problem = gradients(step(stage, backward, copy_for_student(upstream), cache), names, stage)
        return Outcome(out, grads, problem=problem)

    return call


def loss_call(loss: str) -> Call:
    """``NAME(scores, labels) -> (loss, dscores)``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        value, grad = pair(step(loss, impl[0], *inputs), loss, "(loss, dx)")
        return Outcome(value, {names[0]: grad})

    return call
