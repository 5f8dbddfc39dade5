"""How the book's classes are called: objects that keep their results on themselves.

Neural Networks from Scratch (Kinsley and Kukiela) writes every layer, activation and loss
as a class whose ``forward(inputs[, training])`` stores ``self.output`` and returns nothing,
and whose ``backward(dvalues)`` (a loss: ``backward(dvalues, y_true)``) stores
``self.dinputs`` (a dense layer also ``self.dweights`` and ``self.dbiases``). The calls here
build the student's class with the sizes the case's arrays have, set its parameters, run
the forward and the backward, and read the results off the object. ``training`` is passed
as True when the forward takes a second argument (the book's chapters 18 on). A class that
needs constructor arguments the course does not declare is ``unchecked`` (``buildable``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import (
    APPLIES,
    Call,
    CannotCall,
    Problem,
    Watch,
    buildable,
    copy_for_student,
    edited,
    kept,
    notes,
    output,
    step,
)

# (the case's arrays) -> the constructor's positional arguments
Build = Callable[[Sequence[np.ndarray]], tuple[Any, ...]]


def positional(fn: Any) -> int:
    """How many positional parameters a bound method takes (0 when its signature cannot be read)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def build(name: str, cls: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None = None) -> Any:
    if not args:
        buildable(name, cls)
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in (kwargs or {}).items()])
    return step(f"{name}({shown})", cls, *args, **(kwargs or {}))


def stored(obj: Any, attribute: str, stage: str, returned: Any = None) -> Any:
    """``obj.attribute`` as the book stores it, else what the method returned; a ``Problem`` if neither."""
    value = getattr(obj, attribute, None)
    if value is None:
        value = returned
    if value is None:
        raise Problem(f"{stage} stored no self.{attribute} (and returned nothing)")
    return kept(value)


def forward(name: str, obj: Any, arrays: Sequence[Any]) -> Any:
    """``obj.forward(*arrays[, True])``: the book's training flag when the forward takes one more argument."""
    method = getattr(obj, "forward", None)
    if not callable(method):
        raise Problem(f"{name} has no forward method")
    extra = (True,) if positional(method) > len(arrays) else ()
    return step(f"{name}.forward", method, *arrays, *extra)


def layer_object_call(
    name: str, params: Sequence[str] = (), grads: Sequence[str] = ("dinputs",), sizes: Build | None = None
) -> Call:
    """``NAME(*sizes)``, the case's parameters set as ``params``, ``forward(x)``, ``backward(dvalues)``.

    ``params`` are the attributes the case's arrays after x replace (the dense layer's
    ``weights``, ``biases``); ``grads`` the attributes the backward stores, one per input.
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        obj = build(name, impl[0], sizes(inputs) if sizes else ())
        for attribute, value in zip(params, inputs[1:], strict=False):
            setattr(obj, attribute, copy_for_student(value))
        before = Watch()
        before.watch(names[0], inputs[0])
        returned = forward(name, obj, inputs[:1])
        out = output(stored(obj, "output", f"{name}.forward", returned), f"{name}.forward")
        forward_edits = edited(f"{name}.forward", before)
        stage = f"{name}.backward"
        after, dvalues = Watch({names[0]: inputs[0]}), copy_for_student(upstream)
        after.watch("dvalues", dvalues)
        back = step(stage, getattr(obj, "backward", None) or _missing(name, "backward"), dvalues)
        found = {
            n: stored(obj, g, stage, back if g == "dinputs" else None)
            for n, g in zip(names, grads, strict=True)
        }
        return Outcome(out, found, warning=notes(forward_edits, edited(stage, after)))

    return call


def has_backward(objects: Sequence[Any]) -> bool:
    """Whether the student's class has a backward: the book's early chapters write forwards only."""
    return callable(getattr(objects[0], "backward", None))


def applies_with_backward(name: str) -> None:
    APPLIES[name] = has_backward


def _missing(name: str, method: str) -> Any:
    raise Problem(f"{name} has no {method} method")


def loss_object_call(name: str) -> Call:
    """``NAME()``, ``forward(y_pred, y_true)`` -> sample losses (the loss: their mean), ``backward``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        obj = build(name, impl[0], ())
        y_pred, y_true = inputs
        before = Watch()
        before.watch(names[0], y_pred)
        samples = output(forward(name, obj, (y_pred, copy_for_student(y_true))), f"{name}.forward")
        try:
            value = np.mean(np.asarray(samples, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise Problem(
                f"{name}.forward returned {type(samples).__name__}, expected the sample losses"
            ) from exc
        stage = f"{name}.backward"
        back = step(
            stage,
            getattr(obj, "backward", None) or _missing(name, "backward"),
            copy_for_student(y_pred),
            copy_for_student(y_true),
        )
        grad = stored(obj, "dinputs", stage, back)
        return Outcome(value, {names[0]: grad}, warning=edited(name, before))

    return call


def combined_call(name: str) -> Call:
    """The softmax and cross-entropy in one class: ``backward(softmax outputs, y_true)`` stores ``dinputs``.

    Its forward (``forward(inputs, y_true)`` -> the mean loss, chapters 10 to 15) is called
    when it has one, and its output read as the loss; the book's chapters 16 on keep only
    the backward, which gets the softmax of the scores, and the loss is then the backward's
    alone to judge (the output compared is the softmax cross-entropy of those scores).
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        obj = build(name, impl[0], ())
        x, y_true = inputs
        shifted = np.exp(x - np.max(x, axis=1, keepdims=True))
        probs = shifted / np.sum(shifted, axis=1, keepdims=True)
        if callable(getattr(obj, "forward", None)):
            value = output(forward(name, obj, (x, copy_for_student(y_true))), f"{name}.forward")
            probs = stored(obj, "output", f"{name}.forward")
        else:
            picked = probs[np.arange(len(x)), y_true] if y_true.ndim == 1 else np.sum(probs * y_true, axis=1)
            value = np.mean(-np.log(picked))
        stage = f"{name}.backward"
        back = step(
            stage,
            getattr(obj, "backward", None) or _missing(name, "backward"),
            copy_for_student(probs),
            copy_for_student(y_true),
        )
        return Outcome(kept(value), {names[0]: stored(obj, "dinputs", stage, back)})

    return call


def assembled_call(name: str, why: str) -> Call:
    """A class the check does not call (the book's ``Model`` chains the student's layers): ``unchecked``."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        raise CannotCall(f"{name}: {why}")

    return call
