"""The student's side of the vision targets: how the course's conv, pooling, norm and dropout code is called.

The course passes settings in dicts after the arrays (``conv_param``, ``pool_param``,
``bn_param``, ``ln_param``, ``gn_param``, ``dropout_param``); a ``Param`` says how one such
dict is built from a target's settings. Conventions that changed over the years of the
course are resolved here, from what the student's code accepts, never guessed:

- ``layernorm_forward`` takes ``ln_param`` in some years and not in others: its signature says;
- ``spatial_groupnorm_forward`` takes gamma and beta of shape (1, C, 1, 1) (the notebooks
  since 2018) or (C,) (the 2018 docstring): the (1, C, 1, 1) layout is tried first, and the
  (C,) one only if the code raises with it or answers in another layout (an output not of
  x's shape, a dgamma or dbeta not of gamma's shape); the gradients then come back in
  gamma's (1, C, 1, 1) shape. If neither layout works, the first attempt is judged as it is;
- batch norm updates ``running_mean``/``running_var`` in ``bn_param``: its call is
  ``oracle.courses.cs231n.calls_batchnorm``'s;
- dropout's ``p`` is the probability of keeping a unit in some years and of dropping it
  in others: the call only records what the code did (its output, its test-mode output,
  the fraction of units it kept); ``oracle.courses.cs231n.vision_dropout`` infers the
  convention from the scale of the kept units.

Like every call (``oracle.course.calling.calls``), these import no JAX and return plain values;
the forward's output is copied before the backward runs, so a backward that modifies it
in place cannot change what is judged.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import (
    Call,
    Problem,
    Raised,
    Watch,
    copy_for_student,
    edited,
    gradients,
    kept,
    notes,
    pair,
    step,
)
from oracle.course.calling.kinds import upstream_names

TEST_OUTPUT = "the test-mode output"  # the extras' names, as oracle.courses.cs231n.vision_jax has them
KEPT = "the fraction of units kept"


@dataclass(frozen=True)
class Param:
    """One of the course's parameter dicts: each key's value is a target setting (``keys``) or fixed."""

    name: str  # as the course names the argument: "conv_param"
    keys: Mapping[str, str] = field(default_factory=dict)  # dict key -> setting name
    fixed: Mapping[str, Any] = field(default_factory=dict)  # dict key -> value ("mode": "train")

    def build(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.fixed, **{key: settings[setting] for key, setting in self.keys.items()}}


CONV = Param("conv_param", {"stride": "stride", "pad": "pad"})
POOL = Param("pool_param", {"pool_height": "pool_height", "pool_width": "pool_width", "stride": "stride"})
# In a sandwich the pooling's stride is a setting of its own beside the convolution's.
SANDWICH_POOL = Param(
    "pool_param", {"pool_height": "pool_height", "pool_width": "pool_width", "stride": "pool_stride"}
)
BN_TRAIN = Param("bn_param", {"eps": "eps"}, {"mode": "train"})
LN = Param("ln_param", {"eps": "eps"})


@dataclass
class Step:
    """What one training step of a layer gave: the output (a copy, as returned), the cache, the
    gradients or what is wrong with them, and a note of the arrays the code edited in place."""

    out: Any
    cache: Any
    grads: dict[str, Any]
    problem: str
    warning: str


def train_step(
    functions: tuple[str, str],
    impl: Sequence[Any],
    args: Sequence[Any],
    given: Mapping[str, Any],
    names: Sequence[str],
    upstream: Any,
) -> Step:
    """``forward(*args) -> (out, cache)``, then ``backward(dout, cache)`` on a copy of ``upstream``.

    ``given`` names the arrays among ``args`` that the code should leave alone (the param dicts,
    which batch norm updates by design, are not among them); during the backward the output,
    the upstream gradient and the cache are watched too, as in ``oracle.course.calling.calls``.
    """
    (forward_name, backward_name), (forward, backward) = functions, impl
    before = Watch()
    for name, value in given.items():
        before.watch(name, value)
    out, cache = pair(step(forward_name, forward, *args), forward_name, "(out, cache)")
    forward_edits = edited(forward_name, before)
    after = Watch({**given, "the output": out})
    dout = copy_for_student(upstream)
    after.watch(upstream_names(backward, 1)[0], dout)
    after.watch("cache", cache)
    judged = kept(out)  # before the backward can modify it
    grads, problem = gradients(step(backward_name, backward, dout, cache), names, backward_name)
    return Step(judged, cache, grads, problem, notes(forward_edits, edited(backward_name, after)))


def params_call(
    forward_name: str, backward_name: str, params: Sequence[Param] = (), *, optional: bool = False
) -> Call:
    """``forward(*arrays, *param dicts) -> (out, cache)``, ``backward(dout, cache)`` -> the gradients.
    With ``optional``, the dicts are passed only if the forward's signature takes more than the arrays."""

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        dicts = [p.build(settings) for p in params]
        if optional and not takes_param(impl[0], len(inputs)):
            dicts = []
        args = [*inputs, *dicts]
        done = train_step(
            (forward_name, backward_name), impl, args, dict(zip(names, inputs, strict=False)), names, upstream
        )
        return Outcome(done.out, done.grads, problem=done.problem, warning=done.warning)

    return call


def takes_param(forward: Any, arrays: int) -> bool:
    """Whether ``forward`` takes a parameter dict after its ``arrays`` arrays (it does when unsure)."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) > arrays


def layernorm_call(forward_name: str, backward_name: str) -> Call:
    """``layernorm_forward(x, gamma, beta[, ln_param])``: ``ln_param`` only if the signature has it."""
    return params_call(forward_name, backward_name, (LN,), optional=True)


def groupnorm_call(forward_name: str, backward_name: str) -> Call:
    """``spatial_groupnorm_forward(x, gamma, beta, G, gn_param)``, gamma (1, C, 1, 1) or else (C,)."""
    Attempt = tuple[Outcome, bool, bool]  # the outcome, whether the forward took the layout, whether all did

    def attempt(
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
        names: Sequence[str],
        layout: tuple[int, ...],
    ) -> Attempt:
        x, gamma, beta = (copy_for_student(a) for a in inputs)
        given = dict(zip(names, (x, gamma.reshape(layout), beta.reshape(layout)), strict=True))
        args = [*given.values(), settings["G"], {"eps": settings["eps"]}]
        done = train_step((forward_name, backward_name), impl, args, given, names, upstream)
        out, grads, problem = done.out, done.grads, done.problem
        took = isinstance(out, np.ndarray) and out.shape == x.shape
        fits = took and not problem and all(np.shape(grads[n]) == layout for n in names[1:])
        if fits:  # in the reference's layout, (1, C, 1, 1)
            grads = {**grads, **{n: np.reshape(grads[n], inputs[1].shape) for n in names[1:]}}
        return Outcome(out, grads, problem=problem, warning=done.warning), took, fits

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        notebook = tuple(inputs[1].shape)
        tried: list[tuple[tuple[int, ...], Attempt | Exception]] = []
        for layout in (notebook, (inputs[1].size,)):
            try:
                result: Attempt | Exception = attempt(impl, inputs, upstream, settings, names, layout)
            except (Raised, Problem) as exc:
                result = exc
            if isinstance(result, tuple) and result[2]:
                return result[0]
            tried.append((layout, result))
        for layout, result in tried:  # the forward took a layout, the backward answered in another
            if isinstance(result, tuple) and result[1]:
                outcome = result[0]
                if layout == notebook or outcome.problem:
                    return outcome  # the ladder says what the gradients' shapes are
                shapes = ", ".join(str(list(np.shape(outcome.grads[n]))) for n in names[1:])
                raise Problem(
                    f"{backward_name} returned d{names[1]} and d{names[2]} of shapes {shapes} for "
                    f"{names[1]} and {names[2]} of shape {list(layout)}, the layout {forward_name} took"
                )
        first = tried[0][1]  # neither layout: the notebook's is judged as it went
        if isinstance(first, Exception):
            raise first
        return first[0]

    return call


def dropout_call(forward_name: str, backward_name: str) -> Call:
    """``dropout_forward(x, dropout_param) -> (out, cache)`` in train mode, then in test mode.

    The extras record what the code did for the judge to infer its convention: the
    test-mode output and the fraction of units the training-mode output kept (non-zero).
    """

    def call(
        names: Sequence[str],
        impl: Sequence[Any],
        inputs: Sequence[Any],
        upstream: Any,
        settings: Mapping[str, Any],
    ) -> Outcome:
        forward = impl[0]
        (x,) = inputs
        x_for_test = copy_for_student(x)  # before the training step can modify it
        param = {"mode": "train", "p": settings["p"], "seed": settings["seed"]}
        done = train_step((forward_name, backward_name), impl, [x, param], {"x": x}, names, upstream)
        out = done.out
        stage = f"{forward_name} (mode 'test')"
        test_param = {**param, "mode": "test"}
        test_out, _ = pair(step(stage, forward, x_for_test, test_param), stage, "(out, cache)")
        extras = {TEST_OUTPUT: kept(test_out)}
        if isinstance(out, np.ndarray) and out.dtype.kind in "biuf" and out.size:
            extras[KEPT] = np.asarray(np.mean(out != 0), dtype=x.dtype)
        return Outcome(out, done.grads, problem=done.problem, extras=extras, warning=done.warning)

    return call
