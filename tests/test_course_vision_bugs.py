"""Classic bugs of the vision layers, one at a time: each is caught and its cause named.

Each bug replaces one half of vision_correct.py's pair for its target; the named causes
are the targets' declared bugs (``oracle.courses.cs231n.vision_*``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from test_course_vision import judged, pair_of, samples, says

from oracle.core.record import FORWARD_MISMATCH, KINK, MATCH, MISMATCH, NONFINITE, Record
from oracle.course.judging.bugs import name_bugs
from oracle.course.judging.cases import cases_for
from oracle.course.judging.judge import Judgement
from oracle.course.registry import REFERENCES

__all__ = ["samples"]  # the fixture


def _bn_forward(
    momentum_first: bool = True, ddof: int = 0, test_uses_batch: bool = False, store: bool = True
) -> Any:
    def batchnorm_forward(x: Any, gamma: Any, beta: Any, bn_param: dict[str, Any]) -> Any:
        eps, m = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
        rm = bn_param.get("running_mean", np.zeros(x.shape[1]))
        rv = bn_param.get("running_var", np.zeros(x.shape[1]))
        mu, var = x.mean(axis=0), x.var(axis=0)
        if bn_param["mode"] == "test" and not test_uses_batch:
            mu, var = rm, rv
        xhat = (x - mu) / np.sqrt(var + eps)
        if bn_param["mode"] == "train" and store:
            new_var = x.var(axis=0, ddof=ddof)
            w_old, w_new = (m, 1 - m) if momentum_first else (1 - m, m)
            bn_param["running_mean"] = w_old * rm + w_new * mu
            bn_param["running_var"] = w_old * rv + w_new * new_var
        return gamma * xhat + beta, (x, mu, var, np.sqrt(var + eps), xhat, gamma, eps)

    return batchnorm_forward


def _bn_backward(eps: bool = True, constants: bool = False, axis: int = 0) -> Any:
    def batchnorm_backward(dout: Any, cache: Any) -> Any:
        x, _, var, std, xhat, gamma, _ = cache
        n = x.shape[0]
        dbeta, dgamma = dout.sum(axis=axis), (dout * xhat).sum(axis=axis)
        if constants:
            return dout * gamma / std, dgamma, dbeta
        std = std if eps else np.sqrt(var)
        full_dgamma, full_dbeta = (dout * xhat).sum(axis=0), dout.sum(axis=0)
        return gamma / (n * std) * (n * dout - full_dbeta - xhat * full_dgamma), dgamma, dbeta

    return batchnorm_backward


def _dropout_forward(scale: str = "inverse", mask_keeps: str = "p") -> Any:
    def dropout_forward(x: Any, param: dict[str, Any]) -> Any:
        p = param["p"]
        np.random.seed(param["seed"])
        if param["mode"] != "train":
            return (x * p if scale == "test" else x), (param, None)
        keep = p if mask_keeps == "p" else 1 - p
        kept = np.random.rand(*x.shape) < keep
        factor = {"inverse": 1 / p, "none": 1.0, "keep": p, "test": 1 / p}[scale]
        return x * kept * factor, (param, kept * factor)

    return dropout_forward


def _dropout_backward(kind: str) -> Any:
    def dropout_backward(dout: Any, cache: Any) -> Any:
        _, mask = cache
        return {"no mask": dout, "no scale": dout * (mask != 0), "right": dout * mask}[kind]

    return dropout_backward


def _pool_backward(overwrite: bool) -> Any:
    def max_pool_backward_naive(dout: Any, cache: Any) -> Any:
        x, param = cache
        ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x[:, :, i * s : i * s + ph, j * s : j * s + pw]
                routed = (window == window.max(axis=(2, 3), keepdims=True)) * dout[:, :, i : i + 1, j : j + 1]
                if overwrite:
                    dx[:, :, i * s : i * s + ph, j * s : j * s + pw] = routed
                else:
                    dx[:, :, i * s : i * s + ph, j * s : j * s + pw] += routed
        return dx

    return max_pool_backward_naive


def max_pool_backward_at_argmax(dout: Any, cache: Any) -> Any:
    """dx[argmax] = dout: the course's loops with = where a shared maximum needs += (a 2020 solution)."""
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dout.shape):
        window = x[n, c, i * s : i * s + ph, j * s : j * s + pw]
        r, q = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * s + r, j * s + q] = dout[n, c, i, j]
    return dx


def _conv_db_over_batch(good: ModuleType) -> Any:
    def conv_backward_naive(dout: Any, cache: Any) -> Any:
        dx, dw, _ = good.conv_backward_naive(dout, cache)
        return dx, dw, dout.sum(axis=0)

    return conv_backward_naive


BUGS = [  # (bug, target, the replaced halves from vision_correct's pair, status, named cause)
    ("bn: running averages kept", "batchnorm", {"forward": _bn_forward(store=False)},
     FORWARD_MISMATCH, "running_mean is not updated"),
    ("bn: momentum swapped", "batchnorm", {"forward": _bn_forward(momentum_first=False)},
     FORWARD_MISMATCH, "the momentum weighs the batch statistic"),
    ("bn: unbiased running var", "batchnorm", {"forward": _bn_forward(ddof=1)},
     FORWARD_MISMATCH, "running_var uses the unbiased variance"),
    ("bn: test mode on batch statistics", "batchnorm", {"forward": _bn_forward(test_uses_batch=True)},
     FORWARD_MISMATCH, "test mode normalizes with the batch statistics"),
    ("bn alt: eps missing", "batchnorm_alt", {"backward": _bn_backward(eps=False)},
     MISMATCH, "the eps is missing from the backward's variance"),
    ("bn alt: eps missing, variance 0", "batchnorm_alt", {"backward": _bn_backward(eps=False)},
     NONFINITE, "the eps is missing from the backward's variance"),
    ("bn: mean and variance as constants", "batchnorm", {"backward": _bn_backward(constants=True)},
     MISMATCH, "dx treats the mean and variance as constants"),
    ("bn: dgamma over the features", "batchnorm", {"backward": _bn_backward(axis=1)},
     MISMATCH, "dgamma summed over the wrong axes"),
    ("dropout: not rescaled", "dropout", {"forward": _dropout_forward(scale="none")},
     FORWARD_MISMATCH, "the kept units are not scaled by 1/keep"),
    ("dropout: scaled by keep", "dropout", {"forward": _dropout_forward(scale="keep")},
     FORWARD_MISMATCH, "the kept units are scaled by keep instead of 1/keep"),
    ("dropout: mask not applied", "dropout", {"backward": _dropout_backward("no mask")},
     MISMATCH, "the backward does not apply the mask (dx = dout)"),
    ("dropout: no 1/keep in backward", "dropout", {"backward": _dropout_backward("no scale")},
     MISMATCH, "the backward does not scale by 1/keep"),
    ("dropout: mask and scale disagree", "dropout", {"forward": _dropout_forward(mask_keeps="1 - p"),
                                                      "backward": _dropout_backward("right")},
     FORWARD_MISMATCH, "the mask and the scale disagree on p"),
    ("dropout: test mode scales", "dropout", {"forward": _dropout_forward(scale="test")},
     FORWARD_MISMATCH, "test mode scales the input"),
    ("pool: = instead of +=", "max_pool_naive", {"backward": _pool_backward(overwrite=True)},
     MISMATCH, "where windows overlap, a later window overwrites"),
    ("pool: dx[argmax] = dout", "max_pool_naive", {"backward": max_pool_backward_at_argmax},
     MISMATCH, "where windows overlap, a later window overwrites"),
]  # fmt: skip


def test_pooling_that_routes_to_every_tied_maximum_is_a_kink_with_its_reason(
    samples: dict[str, ModuleType],
) -> None:
    halves = {"backward": _pool_backward(overwrite=False)}
    records = judged(pair_of(samples["vision_correct"], "max_pool_naive", **halves), "max_pool_naive")
    assert {r.status for r in records} == {MATCH, KINK}
    assert all(
        "every tied maximum" in r.detail and "no subgradient" in r.detail for r in records if r.status == KINK
    )


@pytest.mark.parametrize(("bug", "target", "halves", "status", "cause"), BUGS, ids=[b[0] for b in BUGS])
def test_classic_bugs_are_caught_and_named(
    samples: dict[str, ModuleType], bug: str, target: str, halves: dict[str, Any], status: str, cause: str
) -> None:
    records = judged(pair_of(samples["vision_correct"], target, **halves), target)
    assert says(records, status, f"known bug: {cause}"), [(r.input, r.status, r.detail) for r in records]


def test_conv_db_over_the_batch_only_is_named(samples: dict[str, ModuleType]) -> None:
    good = samples["vision_correct"]
    records = judged(pair_of(good, "conv_naive", backward=_conv_db_over_batch(good)), "conv_naive")
    b_rows = [r for r in records if r.input == "b"]
    assert b_rows and all(
        r.status == MISMATCH and "db summed over the wrong axes" in r.detail for r in b_rows
    )
    assert {r.status for r in records if r.input != "b"} == {MATCH}


def test_a_named_cause_only_where_the_row_fails(samples: dict[str, ModuleType]) -> None:
    records = judged(pair_of(samples["vision_buggy"], "layernorm"), "layernorm")
    assert {r.status for r in records if r.input == "x"} == {MATCH}
    assert not any("known bug" in r.detail for r in records if r.input == "x")
    again = [Record(**vars(r)) for r in records]
    case = cases_for(REFERENCES["layernorm"], (0,), "float64")[0]
    judgement = Judgement(case, pair_of(samples["vision_buggy"], "layernorm"), "")
    case_values = {
        "inputs": judgement.inputs, "upstream": judgement.upstream, "settings": judgement.settings,
        "student": judgement.student, "jax": judgement.jax, "dtype": "float64",
    }  # fmt: skip
    name_bugs(REFERENCES["layernorm"].bugs, case_values, REFERENCES["layernorm"].inputs, again)
    assert [r.detail.count("known bug") for r in again] == [r.detail.count("known bug") for r in records]
