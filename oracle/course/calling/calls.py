"""The student's side of a course check: how each kind of target calls the student's code.

A *call* takes the student's objects (a gate class, a forward/backward pair, a loss
function...), the inputs, the upstream gradient and the target's settings, and returns
an ``Outcome``: the forward output, the gradients by input name and any extra outputs
(batch norm's running averages), or what went wrong. Calls are the only code that
touches the student's objects, so they are what runs in the submission's process when
checks are isolated; what they return is plain arrays and text. Student code never
crashes the checker: an exception becomes ``Outcome.error`` naming the step that raised
("affine_backward raised ...") and the student's file and line.

Two things every call notices on the way, without failing anything:

- code still the assignment's template (``NotImplementedError``, a forward that returns
  None as its output, a backward that returns None for every gradient) is an error that
  starts with ``not implemented``, which the judge reports once per target;
- a function that modifies its arguments in place (``dout``, ``x``, the cache) is named in
  ``Outcome.warning``. The forward's output is copied as soon as it is returned, so a
  backward that edits a cache shared with the output cannot make a correct forward look wrong.
"""

from __future__ import annotations

import copy as copying
import inspect
import os
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.course.calling.hints import hint_for

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
    except Unfinished as unfinished:
        return Outcome(error=f"{NOT_IMPLEMENTED}: {unfinished}")
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
        given = {f"input {name}": value for name, value in zip(names, inputs, strict=False)}
        before = Watch()
        for label, value in given.items():
            before.watch(label, value)
        out = output(step(f"{gate_name}.forward", gate.forward, *inputs), f"{gate_name}.forward")
        forward_edits = edited(f"{gate_name}.forward", before)
        stage = f"{gate_name}.backward"
        after, dout = Watch(given), copy_for_student(upstream)
        after.watch("the upstream gradient", dout)
        after.watch("self", gate)
        grads, problem = gradients(step(stage, gate.backward, dout), names, stage)
        return Outcome(out, grads, problem=problem, warning=notes(forward_edits, edited(stage, after)))

    return call


def layer_call(
    layer: str,
    *,
    param: str = "",
    outputs: int = 1,
    arguments: Sequence[int] | None = None,
    extra_key: str = "",
    functions: tuple[str, str] | None = None,
) -> Call:
    """``NAME_forward(*inputs[, param]) -> (out, cache)``, ``NAME_backward(dout, cache)`` -> gradients.

    With ``param``, the forward takes one more argument: a dict of the target's settings
    (the course's ``conv_param``, ``pool_param``...). With ``outputs=k`` the forward returns
    ``(out_1, ..., out_k, cache)`` and the backward takes ``(dout_1, ..., dout_k, cache)``
    (the LSTM step: next_h and next_c): the outcome's output is the k outputs concatenated
    along their last axis, and the upstream gradient is split the same way, in k equal
    parts. ``arguments`` orders the inputs as the student's forward takes them, when that
    differs from the reference's order (the reference lists the inputs with a gradient first).
    With ``extra_key``, ``settings[extra_key]`` lists more arguments for the forward, after
    the arrays (fresh copies each call): the ``conv_param`` and ``pool_param`` of a layer
    the oracle has no reference for. ``functions`` names the two functions in messages
    (default ``NAME_forward``, ``NAME_backward``; the course's ``conv_forward_naive``...).
    """
    forward_name, backward_name = functions or (f"{layer}_forward", f"{layer}_backward")

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        forward, backward = impl
        stage = forward_name
        extra = (dict(settings),) if param else extra_arguments(settings, extra_key)
        given = dict(zip(names, inputs, strict=False))
        before = Watch()
        for name, value in given.items():
            before.watch(name, value)
        args = [inputs[k] for k in arguments] if arguments is not None else list(inputs)
        expected = "(out, cache)" if outputs == 1 else f"{outputs} outputs and a cache"
        returned = tuples(step(stage, forward, *args, *extra), stage, outputs + 1, expected)
        outs, cache = [output(r, stage) for r in returned[:-1]], returned[-1]
        forward_edits = edited(stage, before)
        stage = backward_name
        produced = {
            ("the output" if outputs == 1 else f"output {k + 1}"): r for k, r in enumerate(returned[:-1])
        }
        after = Watch({**given, **produced})
        douts = [copy_for_student(u) for u in np.split(np.asarray(upstream), outputs, axis=-1)]
        for label, dout in zip(upstream_names(backward, outputs), douts, strict=True):
            after.watch(label, dout)
        after.watch("cache", cache)
        grads, problem = gradients(step(stage, backward, *douts, cache), names, stage)
        out = outs[0] if outputs == 1 else joined(outs, stage)
        return Outcome(out, grads, problem=problem, warning=notes(forward_edits, edited(stage, after)))

    return call


def upstream_names(backward: Any, outputs: int) -> list[str]:
    """What the backward calls its upstream gradients (``dnext_h``, ``dnext_c``), for messages."""
    try:
        names = [p.name for p in inspect.signature(backward).parameters.values()][:outputs]
    except (TypeError, ValueError):
        names = []
    if len(names) == outputs:
        return names
    return ["dout"] if outputs == 1 else [f"upstream gradient {k + 1}" for k in range(outputs)]


def extra_arguments(settings: Mapping[str, Any], key: str) -> tuple[Any, ...]:
    """Fresh copies of the arguments listed in ``settings[key]`` (none without a key)."""
    if not key:
        return ()
    return tuple(copying.deepcopy(value) for value in settings.get(key, ()))


def tuples(result: Any, stage: str, n: int, expected: str) -> tuple[Any, ...]:
    """A forward's ``n`` results, or a ``Problem`` saying what it returned instead."""
    if n == 2:
        return pair(result, stage, expected)
    if not isinstance(result, list | tuple) or len(result) != n:
        raise Problem(f"{stage} returned {describe(result)}, expected {expected}")
    return tuple(result)


def joined(outs: Sequence[Any], stage: str) -> np.ndarray:
    """Several outputs side by side along their last axis, or a ``Problem`` if they do not fit."""
    arrays = [np.asarray(o) for o in outs]
    if any(a.dtype.kind not in "biuf" or a.ndim == 0 or a.shape != arrays[0].shape for a in arrays):
        shapes = ", ".join(describe(o) for o in outs)
        raise Problem(f"{stage} returned outputs that are not arrays of one shape: {shapes}")
    return np.concatenate(arrays, axis=-1)


def loss_call(loss: str) -> Call:
    """``NAME(scores, labels) -> (loss, dscores)``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        before = Watch()
        before.watch(names[0], inputs[0])
        value, grad = pair(step(loss, impl[0], *inputs), loss, "(loss, dx)")
        return Outcome(kept(value), {names[0]: grad}, warning=edited(loss, before))

    return call
