"""How HW2P1's layer classes are built and called: sizes first, weights through the init functions.

``Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None)``
and its kin take their sizes and settings positionally; the weights come from
``weight_init_fn(out, in, k[, k])`` and ``bias_init_fn(out)``, which the call passes as
functions that return the case's arrays (a class without them gets ``W`` and ``b`` set after
building, on the object or the sublayer that holds them). The strided layers are built
from a stride-1 sublayer and a ``Downsample`` (``self.conv1d_stride1``), so the weight
gradients are read where they are: ``dLdW`` and ``dLdb`` on the object or on one of its
sublayers (``dW`` and ``db``: the Fall 2020 handout's ``Conv1D``). Pools and resampling
layers are built from their kernel, stride or factor alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, describe
from oracle.course.calling.calls import (
    Call,
    CannotCall,
    Problem,
    Unfinished,
    Watch,
    edited,
    kept,
    notes,
    output,
    step,
)

# (inputs, settings) -> the positional arguments of the constructor
Sizes = Callable[[Sequence[np.ndarray], Mapping[str, Any]], tuple[Any, ...]]
GRADIENT_NAMES = (("dLdW", "dLdb"), ("dW", "db"))  # the current handouts', the Fall 2020 one's
PADDING_NAMES = ("padding", "pad")


def _parameters(cls: Any) -> list[str]:
    try:
        return [p for p in inspect.signature(cls).parameters if p != "self"]
    except (TypeError, ValueError):
        return []


def _holder(obj: Any, attribute: str) -> Any:
    """The object itself if it has ``attribute``, else its first sublayer that has it, else None."""
    if hasattr(obj, attribute):
        return obj
    for value in list(vars(obj).values()) if hasattr(obj, "__dict__") else ():
        if (
            not isinstance(value, type | np.ndarray)
            and hasattr(value, "__dict__")
            and hasattr(value, attribute)
        ):
            return value
    return None


def _constant(value: np.ndarray) -> Callable[..., np.ndarray]:
    def init(*sizes: Any) -> np.ndarray:
        return value.copy()

    return init


def _padding_keyword(label: str, params: Sequence[str], settings: Mapping[str, Any]) -> dict[str, Any]:
    padding = settings.get("padding", 0)
    if not padding:
        return {}
    for name in PADDING_NAMES:
        if name in params:
            return {name: padding}
    raise CannotCall(
        f"{label}({', '.join(params)}) takes no padding (an earlier term's handout): judged at padding 0 only"
    )


def built_call(label: str, sizes: Sizes, weights: bool = False) -> Call:
    """Build ``label`` from ``sizes`` (and the inputs 1, 2 as W and b when ``weights``), forward, backward."""

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
        params = _parameters(cls)
        args = sizes(inputs, settings)
        kwargs = _padding_keyword(label, params, settings)
        if weights and "weight_init_fn" in params and "bias_init_fn" in params:
            kwargs.update(weight_init_fn=_constant(inputs[1]), bias_init_fn=_constant(inputs[2]))
        try:
            inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as exc:
            shown = ", ".join([repr(a) for a in args] + [f"{k}=..." for k in kwargs])
            raise CannotCall(
                f"{label}: built as {label}({shown}), which its __init__ does not take ({exc})"
            ) from exc
        except ValueError:  # no signature to read: building it will tell
            pass
        obj = step(f"{label}()", cls, *args, **kwargs)
        if weights and "weight_init_fn" not in kwargs:
            holder = _holder(obj, "W")
            if holder is None:
                raise CannotCall(f"{label}: built without weight_init_fn and has no W to set")
            holder.W, holder.b = inputs[1], inputs[2]
        before = Watch()
        before.watch("A", inputs[0])
        out = output(step(f"{label}.forward", obj.forward, inputs[0]), f"{label}.forward")
        dout = np.array(upstream, copy=True)
        after = Watch()
        after.watch("dLdZ", dout)
        stage = f"{label}.backward"
        returned = step(stage, obj.backward, dout)
        if returned is None:
            raise Unfinished(f"{stage} returned None")
        if isinstance(returned, list | tuple):
            raise Problem(f"{stage} returned {describe(returned)}, expected dLdA")
        grads: dict[str, Any] = {names[0]: kept(returned)}
        if weights:
            grads.update(_weight_gradients(obj, names[1:], stage))
        return Outcome(out, grads, warning=notes(edited(f"{label}.forward", before), edited(stage, after)))

    return call


def _weight_gradients(obj: Any, names: Sequence[str], stage: str) -> dict[str, Any]:
    for attributes in GRADIENT_NAMES:
        holder = _holder(obj, attributes[0])
        if holder is None:
            continue
        found: dict[str, Any] = {}
        for name, attribute in zip(names, attributes, strict=True):
            value = getattr(holder, attribute, None)
            if value is None:
                raise Problem(
                    f"{stage} left self.{attribute} None: the optimizer reads the gradient of {name} there"
                )
            found[name] = kept(np.asarray(value))
        return found
    raise Problem(
        f"{stage} never set self.dLdW (nor a sublayer's): the optimizer reads the gradient of W there"
    )
