"""The course's normalization layers: batch norm (and its alternative backward), spatial batch norm,
layer norm and spatial group norm, each with its classic bugs.

Batch norm is checked in training mode, and its running averages and test-mode output
as extras (``oracle.courses.cs231n.calls_batchnorm.batchnorm_call``): the running averages are
given in bn_param in the first case and absent in the second, where the course starts
them at zeros; the second case also sets a momentum other than the default 0.9. A test
mode with eps outside the root, sqrt(running_var) + eps, or without eps, is a convention
noted on the row (``test_eps``), not a failure.
Edge inputs hold a feature of variance exactly 0 (``vision_samplers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.compare import compare
from oracle.core.judgement import Outcome, as_numbers
from oracle.course.judging.bugs import OUTPUT, Bug, Suspect, returns, wrong_axes
from oracle.course.judging.conventions import CONVENTION, joined
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cs231n import vision_jax as vj
from oracle.courses.cs231n.calls_batchnorm import batchnorm_call
from oracle.courses.cs231n.calls_vision import TEST_OUTPUT, groupnorm_call, layernorm_call
from oracle.courses.cs231n.vision_samplers import (
    feature_column,
    first_group,
    first_row,
    norm_inputs,
    with_constant,
)

EPS = 1e-5
CONSTANT = "a feature constant across the normalized axes (variance 0: only eps keeps it finite)"


# ------------------------------------------------ the statistics bugs are computed from


def _grouped(judged: Suspect, x: np.ndarray) -> np.ndarray:
    """x as the normalization sees it: group norm splits the channels into G groups."""
    groups = judged.settings.get("G")
    if groups is None:
        return x
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w)


def _stats(axes: tuple[int, ...]) -> Callable[[Suspect], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """x's normalized values, mean and variance over ``axes`` (of the grouped x), in float64."""

    def stats(judged: Suspect) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = _grouped(judged, judged.inputs[0].astype(np.float64))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        xhat = (x - mean) / np.sqrt(var + judged.settings["eps"])
        return xhat.reshape(judged.inputs[0].shape), mean, var

    return stats


def _spread(judged: Suspect, stat: np.ndarray) -> np.ndarray:
    """A statistic of the grouped x (keepdims), broadcast back to x's shape."""
    grouped = _grouped(judged, judged.inputs[0]).shape
    return np.broadcast_to(stat, grouped).reshape(judged.inputs[0].shape)


def _gamma(judged: Suspect) -> np.ndarray:
    """gamma, broadcastable against x along its feature (or channel) axis."""
    gamma = judged.inputs[1].astype(np.float64)
    return gamma.reshape(1, -1, 1, 1) if gamma.ndim == 1 and judged.inputs[0].ndim == 4 else gamma


def _upstream(judged: Suspect) -> np.ndarray:
    assert judged.upstream is not None
    return judged.upstream.astype(np.float64)


def _backward_bugs(axes: tuple[int, ...], sums: tuple[int, ...], where: str) -> tuple[Bug, ...]:
    """A normalization's gradient bugs: x normalized over ``axes``, gamma and beta summed over ``sums``."""
    stats = _stats(axes)

    def xhat_terms(judged: Suspect) -> np.ndarray:
        return _upstream(judged) * stats(judged)[0]

    def without_eps(judged: Suspect) -> np.ndarray:
        _, _, var = stats(judged)
        return judged.jax.grads["x"] * _spread(judged, np.sqrt((var + judged.settings["eps"]) / var))

    def constant_statistics(judged: Suspect) -> np.ndarray:
        _, _, var = stats(judged)
        return _upstream(judged) * _gamma(judged) / _spread(judged, np.sqrt(var + judged.settings["eps"]))

    return (
        Bug(
            "the eps is missing from the backward's variance (1/sqrt(var) instead of 1/sqrt(var + eps))",
            "x",
            returns(without_eps),
        ),
        Bug(
            f"dx treats the mean and variance as constants (no terms through the {where} statistics)",
            "x",
            returns(constant_statistics),
        ),
        wrong_axes(
            "gamma", f"dgamma summed over the wrong axes (sum dout * xhat over {sums})", xhat_terms, sums
        ),
        wrong_axes("beta", f"dbeta summed over the wrong axes (sum dout over {sums})", _upstream, sums),
    )


# --------------------------------------------------------------------- batch norm


def _running_bugs(axes: tuple[int, ...]) -> tuple[Bug, ...]:
    """Bugs of the running averages: not updated, momentum the wrong way round, the unbiased variance."""
    stats = _stats(axes)

    def start(judged: Suspect, which: str) -> np.ndarray:
        given = judged.inputs[3 if which == "running_mean" else 4].astype(np.float64)
        return np.zeros_like(given) if judged.settings["fresh"] else given

    def batch(judged: Suspect, which: str, ddof: int = 0) -> np.ndarray:
        _, mean, var = stats(judged)
        if which == "running_mean":
            return mean.reshape(-1)
        count = judged.inputs[0].size // var.size
        return var.reshape(-1) * count / (count - ddof)

    def update(which: str, momentum_first: bool = True, ddof: int = 0) -> Callable[[Suspect], np.ndarray]:
        def value(judged: Suspect) -> np.ndarray:
            m = judged.settings["momentum"]
            old, new = start(judged, which), batch(judged, which, ddof)
            return m * old + (1 - m) * new if momentum_first else (1 - m) * old + m * new

        return value

    def not_updated(which: str) -> Callable[[Suspect], np.ndarray]:
        return lambda judged: start(judged, which)

    bugs: list[Bug] = []
    for which in ("running_mean", "running_var"):
        stored = f"{which} is not updated (bn_param must get the new running average)"
        swapped = f"the momentum weighs the batch statistic in {which}, not the running average"
        bugs += [
            Bug(stored, which, returns(not_updated(which))),
            Bug(swapped, which, returns(update(which, False))),
        ]
    unbiased = "running_var uses the unbiased variance (ddof=1); the course's np.var has ddof=0"
    bugs.append(Bug(unbiased, "running_var", returns(update("running_var", ddof=1))))
    batch_stats = "test mode normalizes with the batch statistics, not the running averages"
    bugs.append(Bug(batch_stats, TEST_OUTPUT, returns(lambda judged: judged.jax.out)))
    return tuple(bugs)


def _channels_not_last(judged: Suspect) -> np.ndarray:
    """The output when (N, C, H, W) is reshaped to (N*H*W, C) without moving the channels last first."""
    x = judged.inputs[0].astype(np.float64)
    rows = x.reshape(-1, x.shape[1])
    xhat = (rows - rows.mean(axis=0)) / np.sqrt(rows.var(axis=0) + judged.settings["eps"])
    return (judged.inputs[1] * xhat + judged.inputs[2]).reshape(x.shape)


SPATIAL_BUGS = (
    Bug(
        "x reshaped to (N*H*W, C) without moving the channel axis last first (transpose(0, 2, 3, 1))",
        OUTPUT,
        returns(_channels_not_last),
    ),
)


TEST_EPS = {  # where test mode puts eps, as students write it -> the row's note
    "outside": f"{CONVENTION}test mode divides by sqrt(running_var) + eps (eps outside the root, where "
    "training mode has sqrt(var + eps)): the same within eps, and the test-mode output is checked that way",
    "none": f"{CONVENTION}test mode divides by sqrt(running_var), without eps (training mode has "
    "sqrt(var + eps)): the same within eps, and the test-mode output is checked that way; a feature "
    "whose running variance is 0 would divide by 0",
}


def test_eps(
    settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]
) -> Mapping[str, Any]:
    """``adapt``: where the student's test mode puts eps, read off its test-mode output.

    ``(x - running_mean) / (np.sqrt(running_var) + eps)``, or with no eps at all, differs
    from the root of ``running_var + eps`` by about eps relative, beyond float64's
    tolerance: when the student's output is one of those and not the course's, the
    reference computes it so too, and the row notes it. Anything else is judged as the
    course writes it.
    """
    got, _ = as_numbers(student.extras.get(TEST_OUTPUT), TEST_OUTPUT)
    x, gamma, beta, mean, var = (np.asarray(a, dtype=np.float64) for a in inputs)
    if got is None or got.shape != x.shape:
        return settings
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    gamma, beta, mean, var = (a.reshape(shape) for a in (gamma, beta, mean, var))
    eps, dtype = settings["eps"], str(inputs[0].dtype)
    roots = {"inside": np.sqrt(var + eps), "outside": np.sqrt(var) + eps, "none": np.sqrt(var)}
    for placement, root in roots.items():
        with np.errstate(all="ignore"):
            expected = gamma * (x - mean) / root + beta
        if compare(got.astype(np.float64), expected, dtype).ok:
            if placement == "inside":
                return settings
            student.warning = joined(student.warning, TEST_EPS[placement])
            return {**settings, "test_eps": placement}
    return settings


def _batchnorm(name: str, backward: str, spatial: bool, shapes: Sequence[tuple[int, ...]]) -> None:
    axes = (0, 2, 3) if spatial else (0,)
    forward = f"{'spatial_' if spatial else ''}batchnorm_forward"
    declare(
        Reference(
            name,
            LAYER,
            vj.spatial_batchnorm if spatial else vj.batchnorm,
            ("x", "gamma", "beta"),
            tuple((x, (x[1],), (x[1],), (x[1],), (x[1],)) for x in shapes),
            norm_inputs,
            edge=with_constant(feature_column),  # a column of (N, D), a channel of (N, C, H, W)
            edge_text=CONSTANT,
            call=batchnorm_call(forward, backward, alternative=f"{forward}_alt"),
            names=(backward,) if name.endswith("_alt") else (forward, backward),  # alt: its file's forward
            settings=(
                {"eps": EPS, "momentum": 0.9, "fresh": False},
                {"eps": EPS, "momentum": 0.7, "fresh": True},  # bn_param without running averages
            ),
            aux=True,
            adapt=test_eps,
            bugs=(SPATIAL_BUGS if spatial else ())
            + _running_bugs(axes)
            + _backward_bugs(axes, axes, "batch"),
        )
    )


_batchnorm("batchnorm", "batchnorm_backward", False, ((4, 5), (8, 3)))
_batchnorm("batchnorm_alt", "batchnorm_backward_alt", False, ((4, 5), (8, 3)))
_batchnorm("spatial_batchnorm", "spatial_batchnorm_backward", True, ((2, 3, 4, 5), (4, 2, 3, 3)))


# ---------------------------------------------------------------- layer and group norm

declare(
    Reference(
        "layernorm",
        LAYER,
        vj.layernorm,
        ("x", "gamma", "beta"),
        (((4, 5), (5,), (5,)), ((3, 8), (8,), (8,))),
        norm_inputs,
        edge=with_constant(first_row),
        edge_text=CONSTANT,
        call=layernorm_call("layernorm_forward", "layernorm_backward"),
        settings=({"eps": EPS},),
        bugs=_backward_bugs((1,), (0,), "row's"),
    )
)

GROUPS = (2, 3)
declare(
    Reference(
        "spatial_groupnorm",
        LAYER,
        vj.groupnorm,
        ("x", "gamma", "beta"),
        (((2, 4, 3, 5), (1, 4, 1, 1), (1, 4, 1, 1)), ((2, 6, 2, 3), (1, 6, 1, 1), (1, 6, 1, 1))),
        norm_inputs,
        edge=with_constant(first_group),  # both shapes have groups of 2 channels
        edge_text=CONSTANT,
        call=groupnorm_call("spatial_groupnorm_forward", "spatial_groupnorm_backward"),
        settings=tuple({"G": g, "eps": EPS} for g in GROUPS),
        bugs=_backward_bugs((2, 3, 4), (0, 2, 3), "group's"),
    )
)
