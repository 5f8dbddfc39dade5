"""The student's side of batch norm (plain and spatial): a training step, the running averages, test mode.

``batchnorm_forward(x, gamma, beta, bn_param)`` updates ``running_mean`` and ``running_var`` in
``bn_param``: they are read back after the call, and the forward is also called in test mode,
with the running averages given, for its test-mode output. Two things real solutions do are
resolved here from what the student's code does, never guessed:

- running averages kept in another shape that broadcasts alike: (1, D) from
  ``mean(axis=0, keepdims=True)``, (1, C) or (1, C, 1, 1) for images (``running_layouts``). The
  forward is given them in the layout it starts them in, and what it stores is read back as
  the docstring's (D,), with a warning naming the shape. A gradient in such a shape is not
  reshaped: the course's update rules (``w -= lr * dw``) fail on it;
- ``batchnorm_backward_alt`` is the alternative target's only name: it is called with the
  forward its own file defines, ``batchnorm_forward_alt`` if there is one (the backward reads
  the cache of that forward), else ``batchnorm_forward`` (``own_forward``). A file without
  the alternative backward (2016, assignment 3's copy of layers.py) has no such target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import Call, Problem, copy_for_student, kept, notes, pair, step
from oracle.courses.cs231n.calls_vision import TEST_OUTPUT, train_step

RUNNING = ("running_mean", "running_var")


def running_layouts(x: Any) -> tuple[tuple[int, ...], ...]:
    """The shapes other than (D,) that hold the running averages as well: (1, D) for x of (N, D)
    (``mean(axis=0, keepdims=True)``); (1, C) (x reshaped to (N*H*W, C)) or (1, C, 1, 1) for images.
    Test mode broadcasts each of them against x as it broadcasts (D,)."""
    features = int(np.shape(x)[1])
    return ((1, features),) if np.ndim(x) == 2 else ((1, features), (1, features, 1, 1))


def own_layout(forward: Any, forward_name: str, inputs: Sequence[Any], settings: Mapping[str, Any]) -> Any:
    """The layout in ``running_layouts`` the forward starts the running averages in when bn_param holds
    none, or None (it starts them as (D,), or fails: the training step will say how)."""
    bn_param: dict[str, Any] = {"mode": "train", "eps": settings["eps"], "momentum": settings["momentum"]}
    try:
        step(forward_name, forward, *(copy_for_student(a) for a in inputs[:3]), bn_param)
    except Exception:  # the student's code: the training step proper reports what went wrong
        return None
    shape = np.shape(bn_param.get("running_mean", ()))
    return shape if shape in running_layouts(inputs[0]) else None


def own_forward(impl: Sequence[Any], forward_name: str, alternative: str) -> tuple[str, Any, Any]:
    """(the forward's name, the forward, the backward). For a target whose only name is the backward
    (``batchnorm_backward_alt``), the forward is the one its file defines: ``alternative``
    (``batchnorm_forward_alt``, whose cache that backward reads) if there is one, else ``forward_name``."""
    if len(impl) == 2:
        return forward_name, impl[0], impl[1]
    (backward,) = impl
    defined = getattr(backward, "__globals__", {})
    for name in (alternative, forward_name):
        if callable(defined.get(name)):
            return name, defined[name], backward
    raise Problem(f"{forward_name} is missing ({getattr(backward, '__name__', 'the backward')} is defined)")


def batchnorm_call(forward_name: str, backward_name: str, alternative: str = "") -> Call:
    """Batch norm (plain or spatial): a training step, the running averages read back, then test mode.

    The arrays are x, gamma, beta, running_mean, running_var; with the setting ``fresh``
    bn_param holds no running averages, so the code must start them at zeros. A forward
    that keeps them in another layout of ``running_layouts`` is given them in that layout,
    and what it stores is read back as (D,), with a warning naming the layout. Given only
    the backward (``impl`` of one), the forward is its file's (``own_forward``).
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        name, forward, backward = own_forward(impl, forward_name, alternative)
        layout = own_layout(forward, name, inputs, settings)
        x, gamma, beta, running_mean = inputs[:4]
        for_test = [copy_for_student(a) for a in inputs]  # before the training step can modify them
        if layout is not None:
            for_test[3:] = [a.reshape(layout) for a in for_test[3:]]
        bn_param: dict[str, Any] = {"mode": "train", "eps": settings["eps"], "momentum": settings["momentum"]}
        if not settings["fresh"]:
            bn_param.update(
                running_mean=copy_for_student(for_test[3]), running_var=copy_for_student(for_test[4])
            )
        given = {"x": x, "gamma": gamma, "beta": beta}
        done = train_step(
            (name, backward_name), (forward, backward), [x, gamma, beta, bn_param], given, names, upstream
        )
        extras = {key: kept(bn_param.get(key)) for key in RUNNING}
        kept_as = sorted({np.shape(extras[k]) for k in RUNNING if np.shape(extras[k]) in running_layouts(x)})
        for key in RUNNING:
            if np.shape(extras[key]) in kept_as:
                extras[key] = np.reshape(extras[key], np.shape(running_mean))
        test_param = {**bn_param, "mode": "test", "running_mean": for_test[3], "running_var": for_test[4]}
        stage = f"{name} (mode 'test')"
        test_out, _ = pair(step(stage, forward, *for_test[:3], test_param), stage, "(out, cache)")
        extras[TEST_OUTPUT] = kept(test_out)
        shapes = " and ".join(str(list(s)) for s in kept_as)
        note = (
            f"{name} keeps running_mean and running_var in shape {shapes}, not the docstring's "
            f"{list(np.shape(running_mean))}: the same values, broadcast alike in test mode"
            if kept_as
            else ""
        )
        return Outcome(
            done.out, done.grads, problem=done.problem, extras=extras, warning=notes(done.warning, note)
        )

    return call
