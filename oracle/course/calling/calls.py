"""The student's side of a course check: the steps every call of student code takes.

A *call* (``oracle.course.calling.kinds`` has the three kinds every course shares) takes the
student's objects (a gate class, a forward/backward pair, a loss function...), the inputs,
the upstream gradient and the target's settings, and returns an ``Outcome``: the forward
output, the gradients by input name and any extra outputs (batch norm's running averages),
or what went wrong. Calls are the only code that touches the student's objects, so they are
what runs in the submission's process when checks are isolated; what they return is plain
arrays and text. Student code never crashes the checker: an exception becomes
``Outcome.error`` naming the step that raised ("affine_backward raised ...") and the
student's file and line.

Two things every call notices on the way, without failing anything:

- code still the assignment's template (``NotImplementedError``, a forward that returns
  None as its output, a backward that returns None for every gradient) is an error that
  starts with ``not implemented``, which the judge reports once per target;
- a function that modifies its arguments in place (``dout``, ``x``, the cache) is named in
  ``Outcome.warning``. The forward's output is copied as soon as it is returned, so a
  backward that edits a cache shared with the output cannot make a correct forward look wrong.
"""

from __future__ import annotations

import inspect
import os
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.course.calling import numpy1
from oracle.course.calling.hints import hint_for
from oracle.course.calling.missing import import_note, unchecked_reason
from oracle.course.calling.placeholders import placeholder_reason

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
    """``Type: message (file.py:line)``: the last frame outside oracle and the libraries, if there is one.

    A message that a known incompatibility causes (Python 2's /, NumPy 1.x code) says so.
    """
    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_LIBRARIES) and "<" not in f.filename]
    where = f" ({os.path.basename(own[-1].filename)}:{own[-1].lineno})" if own else ""
    if isinstance(exc, AssertionError) and not str(exc) and own and own[-1].line:
        message += f"{own[-1].line.strip()[:80]} failed"  # the student's own assert, said
    hint = hint_for(exc, message)
    return message + where + (f": {hint}" if hint else "")


class Raised(Exception):
    """The student's code raised ``exc`` during ``stage``."""

    def __init__(self, stage: str, exc: BaseException) -> None:
        super().__init__(stage)
        self.stage, self.exc = stage, exc


NOT_IMPLEMENTED = "not implemented"  # how an Outcome.error for unfinished code starts
# Target name -> whether it applies to the student's objects: a network class whose __init__ has
# no normalization option has no batch-norm variant to check. Every other target applies.
APPLIES: dict[str, Callable[[Sequence[Any]], bool]] = {}
# Kinds of targets without a JAX reference, judged by finite differences of the student's own forward.
FD_GATE, FD_LAYER, FD_MODEL = "fd gate", "fd layer", "fd model"
FD_KINDS = (FD_GATE, FD_LAYER, FD_MODEL)


class Unfinished(Exception):
    """The student's code is still the assignment's template: an error that starts with NOT_IMPLEMENTED."""


def step(stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call one of the student's functions; an exception names the stage."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise Unfinished(f"{stage} raised NotImplementedError") from exc
    except (Exception, SystemExit) as exc:  # the code under judgement may raise anything
        raise Raised(stage, exc) from exc


def copy_for_student(value: Any) -> Any:
    """A fresh copy for the student to keep or modify; a 0-d array becomes a numpy scalar."""
    value = np.asarray(value)
    return value[()] if value.ndim == 0 else value.copy()


def kept(value: Any) -> Any:
    """What the student returned, as it is now: arrays copied, so later edits in place cannot change it."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.copy()
    return value


def output(value: Any, stage: str) -> Any:
    """A forward's output, copied; None is the template's placeholder."""
    if value is None:
        raise Unfinished(f"{stage} returned None as its output")
    return kept(value)


# ------------------------------------------------------------ edits in place


class Watch:
    """Copies of the arrays the student may edit in place, to say afterwards which ones changed.

    ``watch(label, value)`` records every array in ``value`` (found through tuples, lists,
    dicts and an object's attributes, a few levels deep), each under a label such as
    ``cache[0]``; ``changed()`` lists the labels whose array no longer equals its copy. An
    array met twice (the input ``x`` kept in the cache) is reported once, under its first label.
    """

    def __init__(self, known: Mapping[str, Any] | None = None) -> None:
        self._arrays: dict[int, tuple[str, np.ndarray, np.ndarray]] = {}
        # arrays the student was given, by name: "cache[0] (x)" says which one the cache holds
        self._known = {id(v): name for name, v in (known or {}).items() if isinstance(v, np.ndarray)}

    def watch(self, label: str, value: Any, depth: int = 3) -> None:
        if isinstance(value, np.ndarray):
            if id(value) not in self._arrays and value.dtype != object:
                known = self._known.get(id(value))
                label = f"{label} ({known})" if known and known != label else label
                self._arrays[id(value)] = (label, value, value.copy())
            return
        if depth == 0:
            return
        if isinstance(value, list | tuple):
            for k, item in enumerate(value):
                self.watch(f"{label}[{k}]", item, depth - 1)
        elif isinstance(value, dict):
            for key, item in list(value.items())[:64]:
                self.watch(f"{label}[{key!r}]", item, depth - 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for key, item in list(vars(value).items())[:64]:
                self.watch(f"{label}.{key}", item, depth - 1)

    def changed(self) -> list[str]:
        out = []
        for label, array, copy in self._arrays.values():
            try:
                same = array.shape == copy.shape and bool(np.array_equal(array, copy, equal_nan=True))
            except TypeError:
                same = bool(np.array_equal(array, copy))
            if not same:
                out.append(label)
        return out


def edited(stage: str, watch: Watch) -> str:
    """``stage modified dout in place`` for the arrays that changed, or ''."""
    changed = watch.changed()
    if not changed:
        return ""
    return f"{stage} modified {', '.join(changed)} in place"


def notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def gradients(returned: Any, names: Sequence[str], stage: str) -> tuple[dict[str, Any], str]:
    """The gradients a backward returned, by input name, or what is wrong with them."""
    arity = len(names)
    if returned is None:
        return {}, f"{stage} returned None (a missing return?)"
    if isinstance(returned, list | tuple):
        grads = list(returned)
        if grads and all(g is None for g in grads) and len(grads) == arity:
            raise Unfinished(f"{stage} returned None for every gradient")
    elif arity == 1:
        grads = [returned]
    else:
        return {}, f"{stage} returned {describe(returned)}, expected {arity} gradients ({', '.join(names)})"
    if len(grads) > arity and all(g is None for g in grads[arity:]):
        grads = grads[:arity]  # None for optional inputs left out (gamma=None without normalization)
    if len(grads) != arity:
        count = f"{len(grads)} gradient" + "s" * (len(grads) != 1)
        return {}, f"{stage} returned {count}, expected {arity} ({', '.join(names)})"
    return dict(zip(names, grads, strict=True)), ""


def pair(result: Any, stage: str, expected: str) -> tuple[Any, Any]:
    """A forward's ``(a, b)`` result, or a ``Problem`` saying what it returned instead."""
    if not isinstance(result, list | tuple) or len(result) != 2:
        raise Problem(f"{stage} returned {describe(result)}, expected {expected}")
    return result[0], result[1]


class CannotCall(Exception):
    """The checker cannot call the student's code (a constructor argument it cannot guess): ``unchecked``."""


def buildable(name: str, cls: Any) -> None:
    """``CannotCall`` unless the class can be built with no arguments (the checker cannot guess them)."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # no signature to read: building it will tell
        return
    needed = [
        p.name
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    if needed:
        raise CannotCall(
            f"{name}({', '.join(needed)}) needs constructor arguments the checker cannot guess "
            "(a course or a teacher can declare how to build it: README, Adding a course)"
        )


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
    """Run one call on copies of the inputs; never raises for anything the student's code does.

    A call that fails only because NumPy 2 refuses ``float()`` of a one-element array runs
    once more with NumPy 1's conversion (``oracle.course.calling.numpy1``), noted on the row.
    """
    outcome = _run(call, name, names, impl, inputs, upstream, settings)
    if numpy1.refused(outcome.error):
        note = numpy1.API_NOTE if numpy1.removed(outcome.error) else numpy1.NOTE
        with numpy1.api():
            again = _run(call, name, names, impl, [numpy1.lenient(v) for v in inputs], upstream, settings)
        if not numpy1.refused(again.error):  # past the conversion: judged, or its next error
            outcome = numpy1.plain_outcome(again)
            outcome.warning = notes(outcome.warning, note)
    note = import_note(impl)  # what the student's file could not import (a course's helper module)
    if note:
        outcome.warning = notes(outcome.warning, note)
    return outcome


def _run(
    call: Call,
    name: str,
    names: Sequence[str],
    impl: Sequence[Any],
    inputs: Sequence[np.ndarray],
    upstream: Any,
    settings: Mapping[str, Any],
) -> Outcome:
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            given = [copy_for_student(v) for v in inputs]
            if any(isinstance(v, numpy1.OneElement) for v in inputs):
                given = [numpy1.lenient(v) for v in given]
            return call(names, impl, given, upstream, settings)
    except Raised as raised:
        missing = unchecked_reason(raised.exc)
        if missing:  # a helper the file could not import: not the student's mistake
            return Outcome(unchecked=f"{raised.stage} {missing}")
        left = placeholder_reason(raised.exc, _LIBRARIES)
        if left:  # a template filled in part: it stops at a None placeholder
            return Outcome(error=f"{NOT_IMPLEMENTED}: {left}")
        return Outcome(error=f"{raised.stage} raised {describe_exception(raised.exc)}")
    except Unfinished as unfinished:
        return Outcome(error=f"{NOT_IMPLEMENTED}: {unfinished}")
    except CannotCall as cannot:
        return Outcome(unchecked=str(cannot))
    except Problem as problem:
        return Outcome(problem=str(problem))
    except Exception as exc:  # the student's objects misbehaving in a call's own code (a bad __len__...)
        return Outcome(error=f"{name}: {describe_exception(exc)}")
