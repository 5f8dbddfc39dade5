"""How deeplearning.ai's functions are called: tuple caches, an activation's name, gradients in dicts.

- ``cached_call``: ``NAME_forward(*arrays[, activation]) -> (out, cache)`` and
  ``NAME_backward(dout, cache[, activation])`` returning a tuple of gradients (course 1's
  ``linear_backward -> (dA_prev, dW, db)``), or a dict of them (``keys=``: course 5's cells).
- ``dict_call``: a forward that takes the parameters in a dict and a backward that returns a
  dict of gradients (``L_model_backward``'s ``dA0, dW1, db1...``, course 2's backward passes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    notes,
    output,
    pair,
    step,
)


def cached_call(
    forward_name: str,
    backward_name: str,
    *,
    activation: str = "",
    keys: Sequence[str] = (),
    forward_args: Callable[[Sequence[Any], Mapping[str, Any]], Sequence[Any]] | None = None,
    outputs: int = 1,
) -> Call:
    """The forward and backward of one step; ``activation``: the settings key both get as last argument.

    ``keys`` names the gradients in the dict the backward returns (in the order of the
    inputs); ``forward_args`` builds the forward's arguments (a parameters dict);
    ``outputs`` > 1: the forward returns that many outputs first and the backward takes as
    many upstream gradients (next_h and next_c), joined along the first axis.
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        forward, backward = impl
        extra = (settings[activation],) if activation else ()
        before = Watch()
        for name, value in zip(names, inputs, strict=False):
            before.watch(name, value)
        args = forward_args(inputs, settings) if forward_args else inputs
        result = step(forward_name, forward, *args, *extra)
        if not isinstance(result, list | tuple) or len(result) < outputs + 1:
            raise Problem(f"{forward_name} returned {describe(result)}, expected its output(s) and a cache")
        outs, cache = [output(r, forward_name) for r in result[:outputs]], result[-1]
        forward_edits = edited(forward_name, before)
        douts = [copy_for_student(u) for u in np.split(np.asarray(upstream), outputs, axis=0)]
        after = Watch(dict(zip(names, inputs, strict=False)))
        for k, dout in enumerate(douts):
            after.watch(f"upstream gradient {k + 1}" if outputs > 1 else "the upstream gradient", dout)
        after.watch("cache", cache)
        returned = step(backward_name, backward, *douts, cache, *extra)
        if keys:
            grads, problem = from_dict(returned, names, keys, backward_name)
        else:
            grads, problem = gradients(returned, names, backward_name)
        out = outs[0] if outputs == 1 else stacked(outs, forward_name)
        return Outcome(
            out, grads, problem=problem, warning=notes(forward_edits, edited(backward_name, after))
        )

    return call


def stacked(outs: Sequence[Any], stage: str) -> np.ndarray:
    arrays = [np.asarray(o) for o in outs]
    if any(a.dtype.kind not in "biuf" or a.shape != arrays[0].shape for a in arrays):
        raise Problem(f"{stage} returned outputs that are not arrays of one shape")
    return np.concatenate(arrays, axis=0)


def from_dict(
    returned: Any, names: Sequence[str], keys: Sequence[str], stage: str
) -> tuple[dict[str, Any], str]:
    """The gradients a backward returned in a dict, by input name (``keys[k]`` holds ``names[k]``'s)."""
    if not isinstance(returned, Mapping):
        return {}, f"{stage} returned {describe(returned)}, expected a dict of gradients ({', '.join(keys)})"
    absent = [key for key in keys if key not in returned]
    if absent and len(absent) == len(keys) and all(v is None for v in returned.values()):
        from oracle.course.calling.calls import Unfinished

        raise Unfinished(f"{stage} returned a dict of None")
    grads = {name: returned[key] for name, key in zip(names, keys, strict=True) if key in returned}
    problem = f"{stage}'s dict has no {', '.join(absent)}" if absent else ""
    return grads, problem


def params_dict(
    names: Sequence[str], first: int, count: int
) -> Callable[[Sequence[Any], Mapping[str, Any]], Any]:
    """Forward arguments: the first ``first`` arrays, then the next ``count`` in a dict by name."""

    def build(inputs: Sequence[Any], settings: Mapping[str, Any]) -> list[Any]:
        parameters = dict(zip(names[first : first + count], inputs[first : first + count], strict=True))
        return [*inputs[:first], parameters]

    return build


def pair_or_problem(result: Any, stage: str, expected: str) -> tuple[Any, Any]:
    return pair(result, stage, expected)


__all__ = ["cached_call", "from_dict", "pair_or_problem", "params_dict", "stacked"]
