"""The calls of the three kinds of target every course has: a gate class, a layer pair, a loss.

Each returns a ``Call`` (``oracle.course.calling.calls``) for one target name. A course with
other calling conventions (parameter dicts, network classes, gradients left on the object)
writes its own calls from the same steps, in its own package.
"""

from __future__ import annotations

import copy as copying
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.course.calling.calls import (
    Call,
    Problem,
    Watch,
    copy_for_student,
    edited,
    gradients,
    kept,
    notes,
    output,
    pair,
    step,
)


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
