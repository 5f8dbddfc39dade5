"""The call of a layer object: a class built with arguments, whose gradients stay on the object.

Many courses write layers as classes: built with their parameters (``Affine(W, b)``), or
with sizes and their parameters set afterwards (``layer = Linear(4, 3); layer.W = W``);
``forward`` keeps what the backward needs on ``self``; ``backward(dout)`` returns the
input's gradient and leaves the parameters' gradients on the object, in attributes
(``self.dW``) or in a list written in place (``self.grads[0][...] = dW``). A course says,
for each class, how to build it and where each gradient is (``Layer``); ``object_call``
does the rest with the steps every call takes (``oracle.course.calling.calls``).

Where a gradient is, one string per input with a gradient:

- ``"return"``: what the backward returned; ``"return[k]"``: its k-th element;
- ``"grads[k]"``: the array that ``self.grads[k]`` held once the object was built: the
  array a trainer holds, so a backward that puts a new array in the list instead of
  writing into the old one (``self.grads[k] = dW``) is named as such;
- any other name: the attribute of that name, set by the backward (``"dW"``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.course.calling.calls import (
    Call,
    CannotCall,
    Problem,
    Unfinished,
    Watch,
    copy_for_student,
    edited,
    kept,
    notes,
    output,
    step,
)

# (the inputs, the settings) -> the constructor's positional and keyword arguments
Build = Callable[[Sequence[np.ndarray], Mapping[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]
RETURN = "return"
_INDEXED = re.compile(r"^(return|grads)\[(\d+)\]$")


def no_arguments(
    inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (), {}


def parameters(*indices: int, keywords: Sequence[str] = ()) -> Build:
    """Built with inputs ``indices`` in order, then ``settings[k]`` for each of ``keywords``, positionally."""

    def build(
        inputs: Sequence[np.ndarray], settings: Mapping[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return tuple(inputs[k] for k in indices) + tuple(settings[k] for k in keywords), {}

    return build


@dataclass(frozen=True)
class Layer:
    """How a course builds and calls one layer class."""

    label: str  # the class's name in messages
    build: Build = no_arguments
    attributes: Mapping[str, int] = field(default_factory=dict)  # set after building: name -> input index
    forward: Sequence[int] = (0,)  # the inputs the forward takes, in its order
    forward_keywords: Mapping[str, Any] = field(default_factory=dict)  # e.g. train_flg=True
    forward_settings: Sequence[str] = ()  # settings passed to the forward after the arrays
    upstream: bool = True  # False: a loss, its backward takes no gradient (or dout=1)
    grads: Sequence[str] = (RETURN,)  # where each input's gradient is (module docstring)
    # where they are when the built object holds a ``grads`` list (a course's later book or term)
    list_grads: Sequence[str] = ()
    outputs: int = 1  # > 1: the forward returns a tuple whose outputs are joined on the last axis
    scalar: bool = False  # a loss: an output of one element (the (1, 1) of a matrix product) is its value
    # a class without a backward but with a ``derivative()`` that returns the local derivative
    # (d out / d x, elementwise, for the caller to multiply: older handouts) is called so, and noted
    derivative: str = ""
    # the note for a class whose ``backward()`` takes no upstream gradient though the layer has
    # one, and returns the local derivative as ``derivative()`` does (a later handout's name for it)
    local_backward: str = ""


def _backward_arguments(backward: Any) -> int:
    """How many arguments the backward requires (beyond self)."""
    try:
        params = inspect.signature(backward).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(
        1 for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


def object_call(layer: Layer) -> Call:
    """Build the class, set its parameters, forward, backward, and read the gradients where ``layer`` says."""
    label = layer.label

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        cls = impl[0]
        if not isinstance(cls, type):
            raise Problem(f"{label} is a {type(cls).__name__}, not a class")
        args, kwargs = layer.build(inputs, settings)
        try:
            inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as exc:
            raise CannotCall(
                f"{label}: the course builds it as {label}({_shown(args, kwargs)}), which its __init__ "
                f"does not take ({exc})"
            ) from exc
        except ValueError:  # no signature to read: building it will tell
            pass
        obj = step(f"{label}()", cls, *args, **kwargs)
        for attribute, k in layer.attributes.items():
            setattr(obj, attribute, inputs[k])
        sources = layer.list_grads if layer.list_grads and hasattr(obj, "grads") else layer.grads
        held = _held(obj, sources)
        given = dict(zip(names, inputs, strict=False))
        before = Watch()
        for name, value in given.items():
            before.watch(name, value)
        stage = f"{label}.forward"
        extra = [settings[k] for k in layer.forward_settings]
        fwd = step(stage, obj.forward, *[inputs[k] for k in layer.forward], *extra, **layer.forward_keywords)
        out = _joined(fwd, layer.outputs, stage)
        if layer.scalar and isinstance(out, np.ndarray) and out.size == 1:
            out = out.reshape(())
        forward_edits = edited(stage, before)
        stage = f"{label}.backward"
        after = Watch(given)
        if layer.upstream:
            douts = [copy_for_student(u) for u in np.split(np.asarray(upstream), layer.outputs, axis=-1)]
            for k, dout in enumerate(douts):
                after.watch("dout" if layer.outputs == 1 else f"upstream gradient {k + 1}", dout)
        else:
            douts = [1] if _backward_arguments(obj.backward) else []
        note = ""
        method = _local(obj, layer)
        if method:
            stage, note = (
                f"{label}.{method}",
                layer.derivative if method == "derivative" else layer.local_backward,
            )
            raw = step(stage, getattr(obj, method))
            if raw is None:
                raise Unfinished(f"{stage} returned None")
            local = np.asarray(raw)
            returned = _times(douts[0] if douts else 1.0, local, stage)
        else:
            returned = step(stage, obj.backward, *douts)
        grads = _gradients(obj, returned, names, sources, held, stage)
        return Outcome(out, grads, warning=notes(forward_edits, edited(stage, after), note))

    return call


def _local(obj: Any, layer: Layer) -> str:
    """The method that returns the local derivative, for the caller to multiply: '' when there is none."""
    if layer.derivative and not hasattr(obj, "backward") and hasattr(obj, "derivative"):
        return "derivative"
    if layer.local_backward and layer.upstream and callable(getattr(obj, "backward", None)):
        try:
            takes = len(inspect.signature(obj.backward).parameters)
        except (TypeError, ValueError):
            return ""
        return "backward" if takes == 0 else ""
    return ""


def _times(dout: Any, local: np.ndarray, stage: str) -> np.ndarray:
    """The upstream gradient times a local derivative; a per-example dout (N,) scales the rows."""
    up = np.asarray(dout, dtype=np.float64)
    if local.dtype.kind not in "biuf":
        raise Problem(f"{stage}() returned {describe(local)}, expected an array of local derivatives")
    while up.ndim < local.ndim:
        up = up[..., None]
    return up * local


def _shown(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [describe(a) if isinstance(a, np.ndarray) else repr(a) for a in args]
    return ", ".join(parts + [f"{k}={v!r}" for k, v in kwargs.items()])


def _joined(result: Any, outputs: int, stage: str) -> Any:
    if outputs == 1:
        return output(result, stage)
    if not isinstance(result, list | tuple) or len(result) != outputs:
        raise Problem(f"{stage} returned {describe(result)}, expected {outputs} outputs")
    arrays = [np.asarray(output(r, stage)) for r in result]
    if any(a.dtype.kind not in "biuf" or a.ndim == 0 or a.shape != arrays[0].shape for a in arrays):
        raise Problem(f"{stage} returned outputs that are not arrays of one shape")
    return np.concatenate(arrays, axis=-1)


def _held(obj: Any, sources: Sequence[str]) -> dict[int, Any]:
    """The arrays of ``obj.grads`` the sources read, as the object holds them once built."""
    held: dict[int, Any] = {}
    for source in sources:
        match = _INDEXED.match(source)
        if match and match.group(1) == "grads":
            k = int(match.group(2))
            try:
                held[k] = obj.grads[k]
            except (AttributeError, IndexError, KeyError, TypeError) as exc:
                # built, but not the layer the course describes (an older printing's): not the student's slip
                raise CannotCall(
                    f"the built object has no grads[{k}], where the course reads a gradient "
                    f"({type(exc).__name__}): a layer of another version of the course?"
                ) from exc
    return held


def _gradients(
    obj: Any, returned: Any, names: Sequence[str], sources: Sequence[str], held: Mapping[int, Any], stage: str
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    missing: list[str] = []
    for name, source in zip(names, sources, strict=True):
        match = _INDEXED.match(source)
        if source == RETURN:
            if isinstance(returned, list | tuple) and len(returned) == 1:
                returned = returned[0]
            if isinstance(returned, list | tuple):
                raise Problem(f"{stage} returned {describe(returned)}, expected one gradient ({name})")
            value = returned
            if value is None:
                missing.append(f"{stage} returned None (a missing return?)")
                continue
        elif match and match.group(1) == RETURN:
            k = int(match.group(2))
            if not isinstance(returned, list | tuple) or len(returned) <= k:
                if returned is None:
                    missing.append(f"{stage} returned None (a missing return?)")
                    continue
                raise Problem(f"{stage} returned {describe(returned)}, expected {name} as its element {k}")
            value = returned[k]
        elif match:
            k = int(match.group(2))
            value = held[k]
            now = _element(obj, k)
            if now is not value:
                raise Problem(
                    f"{stage} put a new array in self.grads[{k}] instead of writing into the one there "
                    f"(self.grads[{k}][...] = d{name}): the optimizer holds the old one, which stays "
                    f"{'unchanged' if value is None else 'as it was'}"
                )
        else:
            if not hasattr(obj, source):
                raise Problem(
                    f"{stage} never set self.{source}: the trainer reads the gradient of {name} there"
                )
            value = getattr(obj, source)
            if value is None:
                missing.append(
                    f"{stage} left self.{source} None: the trainer reads the gradient of {name} there"
                )
                continue
        found[name] = kept(value)
    if missing and not found:
        raise Unfinished(missing[0])
    if missing:
        raise Problem(missing[0])
    return found


def _element(obj: Any, k: int) -> Any:
    try:
        return obj.grads[k]
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
