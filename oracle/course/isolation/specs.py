"""References that cross the wire as descriptions: what a worker may say of a pair, what the judge trusts.

The judge sends the worker the references it registered itself (a pytest file); a worker sends
the judge those it found in a student's file (a pair without a reference). Each crosses as a
``reference_spec`` (JSON) and becomes a ``stand_in_reference``: names, shapes and settings, no
JAX function. A description from a worker is checked (``checked_spec``) before the judge uses it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from oracle.course.calling.calls import FD_KINDS
from oracle.course.judging.samplers import normal
from oracle.course.reference import BUILTIN, DEFAULT_CALLS, KINDS, Reference
from oracle.course.registry import REFERENCES


def _unavailable(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a worker does not compute references")


def stand_in_reference(spec: dict[str, Any]) -> Reference:
    """A reference from its ``reference_spec``: its names, shapes and settings, no JAX function.

    The judge sends the worker the references it registered itself (a pytest file), so
    the worker knows their names and calls; a worker sends the judge those it found in a
    student's file (a pair without a reference, judged by finite differences), so the
    judge knows their inputs and settings. A stand-in's call runs nowhere but in a worker.
    """
    spec = checked_spec(spec)
    shapes = tuple(tuple(tuple(s) for s in case) for case in spec["shapes"])
    kind, name = spec["kind"], spec["name"]
    call = DEFAULT_CALLS[kind](name) if kind in DEFAULT_CALLS else _unavailable
    settings = tuple(spec["settings"] or ({},))
    return Reference(
        name, kind, _unavailable, tuple(spec["inputs"]), shapes, normal,
        call=call, names=tuple(spec["names"]), settings=settings,
    )  # fmt: skip


SPEC_LIMITS = {"inputs": 16, "cases": 8, "ndim": 6, "elements": 1 << 16}  # far above the fd layouts'


def checked_spec(spec: Any) -> dict[str, Any]:
    """A worker's description of a pair, as the judge may trust it, or ``ValueError`` saying why not.

    It comes from the process the submission runs in, which the submission can patch: the
    judge draws inputs of these shapes itself, so each must be small and well formed.
    """
    limits = SPEC_LIMITS
    if not isinstance(spec, dict) or set(spec) != set(SPEC_KEYS):
        raise ValueError(f"not a description (keys {sorted(spec) if isinstance(spec, dict) else type(spec)})")
    kind, name, inputs, names, shapes, settings = (spec[k] for k in SPEC_KEYS)
    if kind not in (*KINDS, *FD_KINDS) or not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"kind {kind!r} or name {name!r}")
    for what, items in (("inputs", inputs), ("names", names)):
        if not isinstance(items, list) or len(items) > limits["inputs"]:
            raise ValueError(f"{what} {items!r}")
        if not all(isinstance(n, str) and 0 < len(n) <= 64 for n in items):  # a gate's are "0", "1"
            raise ValueError(f"{what} {items!r}")
    if not isinstance(shapes, list) or not 1 <= len(shapes) <= limits["cases"]:
        raise ValueError("its cases")
    for case in shapes:
        if not isinstance(case, list) or len(case) != len(inputs):
            raise ValueError(f"a case's shapes {case!r}")
        for shape in case:
            ok = isinstance(shape, list) and len(shape) <= limits["ndim"]
            ok = ok and all(type(d) is int and 1 <= d <= limits["elements"] for d in shape)
            if not ok or int(np.prod(shape, dtype=np.int64)) > limits["elements"]:
                raise ValueError(f"a shape {shape!r}")
    if not isinstance(settings, list) or not all(isinstance(s, dict) for s in settings):
        raise ValueError("its settings")
    if len(settings) > limits["cases"] or len(json.dumps(settings, default=str)) > 1 << 16:
        raise ValueError("its settings")
    return spec


SPEC_KEYS = ("kind", "name", "inputs", "names", "shapes", "settings")


def reference_spec(ref: Reference) -> dict[str, Any]:
    """What ``stand_in_reference`` needs, as JSON."""
    return {
        "name": ref.name,
        "kind": ref.kind,
        "inputs": list(ref.inputs),
        "shapes": [[list(s) for s in case] for case in ref.shapes],
        "names": list(ref.names),
        "settings": [dict(s) for s in ref.settings],
    }


def judge_registered() -> list[dict[str, Any]]:
    """Specs of the references registered in this process beyond the built-in ones."""
    return [reference_spec(ref) for name, ref in REFERENCES.items() if name not in BUILTIN]
