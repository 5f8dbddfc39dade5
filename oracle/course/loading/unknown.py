"""Targets the oracle has no reference for, found in a student's module and declared for the fd judge.

Any ``NAME_forward``/``NAME_backward`` pair (or the course's ``NAME_forward_naive`` and
``NAME_backward_naive``: the target is then ``NAME_naive``) and any class with ``forward`` and
``backward`` methods that the module itself defines (not imports), whose name is public
and not a known target's, gets a ``Reference`` of kind ``fd layer`` or ``fd gate``: no
JAX function, its backward judged by finite differences of its own forward
(``oracle.course.judging.fd_judge``). ``register_reference`` still makes a name a JAX target.

What the inputs look like is read from the forward's signature: its positional
parameters without defaults are arrays, except settings dicts (any name ending in
``_param``: ``conv_param``, ``bn_param``...), which get the values a course declares for
that name (``Course.params``), or {}. The candidate shapes (``LAYOUTS``) cover the course's
layers: elementwise, fully connected (x, w, b, then per-feature arrays), per-feature
(x, gamma, beta), convolution (NCHW x, F filters, per-filter arrays), spatial per-channel,
and sequences (N, T, D); the judge uses the first its forward accepts.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from oracle.course.calling.calls import FD_GATE, FD_LAYER
from oracle.course.calling.fd import PARAMS, fd_gate_call, fd_layer_call
from oracle.course.judging.samplers import normal
from oracle.course.reference import Reference, Shape
from oracle.course.registry import parameter_dicts, parameter_scalars

GATE_LAYOUTS: tuple[Shape, ...] = ((), (3, 4))


def layouts(k: int) -> tuple[tuple[Shape, ...], ...]:
    """Candidate shapes for a forward of ``k`` arrays, in the order they are tried."""
    rest = max(k - 2, 0)
    candidates = [
        ((3, 4),) * k,  # elementwise
        ((3, 4), (4, 5), *((5,),) * rest),  # fully connected: x, w, b, then per output feature
        ((3, 4), *((4,),) * (k - 1)),  # per input feature: x, gamma, beta
        ((2, 3, 6, 6), (4, 3, 3, 3), *((4,),) * rest),  # convolution: x, w, b, then per filter
        ((2, 3, 6, 6), *((3,),) * (k - 1)),  # per channel: spatial norms
        ((2, 3, 4), (4, 5), *((5,),) * rest),  # sequences: (N, T, D), w, b
        ((2, 3, 6, 6),) * k,  # images, elementwise
        ((2, 3, 4),) * k,  # sequences, elementwise
    ]
    return tuple(dict.fromkeys(c[:k] for c in candidates if len(c) >= k))


def arguments(fn: Any) -> tuple[list[str], list[Any]] | None:
    """The names of the forward's arrays and its parameter dicts and scalars (their values), or None if
    unreadable."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    arrays: list[str] = []
    dicts: list[Any] = []
    scalars = parameter_scalars()
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or p.default is not p.empty:
            continue
        if p.name.endswith("_param"):
            dicts.append(copy.deepcopy(dict(parameter_dicts().get(p.name, {}))))
        elif p.name in scalars:  # a number the course passes by that name (CS231n's G)
            dicts.append(scalars[p.name])
        elif dicts:  # an array after a parameter dict: the order is not the course's
            return None
        else:
            arrays.append(p.name)
    return arrays, dicts


def _no_reference(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("no JAX reference: judged by finite differences (oracle.course.judging.fd_judge)")


def _own(module: ModuleType, obj: Any) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def find_unknown(
    module: ModuleType, known: Callable[[str], bool]
) -> list[tuple[Reference, tuple[Any, ...], str]]:
    """(reference, the student's objects, problem) for each unknown pair and gate class the module defines.

    ``known(name)``: whether a student's name belongs to a known target.
    """
    found = []
    space = vars(module)
    for name, obj in list(space.items()):
        if name.startswith("_") or known(name) or not _own(module, obj) or not callable(obj):
            continue
        if inspect.isclass(obj):
            if callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None)):
                found.append(_gate(name, obj))
        elif "_forward" in name:
            # NAME_forward with NAME_backward, or the course's NAME_forward_naive with NAME_backward_naive
            head, _, tail = name.rpartition("_forward")
            backward = space.get(f"{head}_backward{tail}")
            base = head + tail
            if (
                head
                and backward is not None
                and callable(backward)
                and _own(module, backward)
                and not known(base)
            ):
                found.append(_layer(base, obj, backward, (name, f"{head}_backward{tail}")))
    return found


def _gate(name: str, cls: Any) -> tuple[Reference, tuple[Any, ...], str]:
    read = arguments(getattr(cls, "forward", None))
    arrays = read[0][1:] if read and read[0][:1] == ["self"] else (read[0] if read else [])
    problem = "" if read else f"cannot read the signature of {name}.forward"
    inputs = tuple(str(k) for k in range(len(arrays)))
    shapes = tuple((shape,) * len(inputs) for shape in GATE_LAYOUTS)
    ref = Reference(
        name, FD_GATE, _no_reference, inputs, shapes, normal, call=fd_gate_call(name), names=(name,)
    )
    return ref, (cls,), problem or ("" if inputs else f"{name}.forward takes no inputs")


def _layer(
    name: str, forward: Any, backward: Any, names: tuple[str, str]
) -> tuple[Reference, tuple[Any, ...], str]:
    read = arguments(forward)
    if read is None or not read[0]:
        problem = f"cannot tell which arguments of {names[0]} are arrays (register a reference for it)"
        ref = Reference(
            name, FD_LAYER, _no_reference, ("x",), (((3, 4),),), normal, call=fd_layer_call(name), names=names
        )
        return ref, (forward, backward), problem
    arrays, dicts = read
    ref = Reference(
        name, FD_LAYER, _no_reference, tuple(arrays), layouts(len(arrays)), normal,
        call=fd_layer_call(name, names), names=names, settings=({PARAMS: dicts},),
    )  # fmt: skip
    return ref, (forward, backward), ""


def describe_layout(shapes: Sequence[Shape], names: Sequence[str]) -> str:
    return ", ".join(f"{n} {list(s)}" for n, s in zip(names, shapes, strict=False))
