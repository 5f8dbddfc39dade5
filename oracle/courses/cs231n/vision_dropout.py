"""The course's inverted dropout, whose ``p`` means "keep" in some years and "drop" in others.

The convention is read off the student's own training-mode output, never guessed: the
units it kept (its non-zero outputs) are scaled by 1/keep, so the scale says whether
keep = p or keep = 1 - p. The JAX reference then computes inverted dropout with the
student's own mask and that keep probability (``adapt``), and the fraction of units kept
must be plausible for it: within ``SIGMAS`` binomial standard deviations of keep. When
the scale fits neither convention (the kept units are not rescaled, say), keep is the
convention the fraction kept fits best, and the output differs from the reference's.
The settings use p = 0.3 and p = 0.8, where the two conventions are far apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome, as_numbers
from oracle.course.judging.bugs import OUTPUT, Bug, Suspect, returns, same
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare
from oracle.courses.cs231n import vision_jax as vj
from oracle.courses.cs231n.calls_vision import KEPT, TEST_OUTPUT, dropout_call

SIGMAS = 5.0  # a correct mask of n >= 1000 units falls further out with probability below 1e-6
SCALE_RTOL = 1e-5  # the kept units' scale is 1/keep up to float32 rounding


def conventions(p: float) -> tuple[float, ...]:
    """The keep probabilities ``p`` can mean: p itself (2017 on), or 1 - p (the 2016 docstrings)."""
    return (p, 1.0 - p)


def plausible(fraction: float, keep: float, n: int) -> bool:
    return abs(fraction - keep) <= SIGMAS * math.sqrt(keep * (1 - keep) / n)


def infer(settings: Mapping[str, Any], student: Outcome, inputs: Sequence[np.ndarray]) -> Mapping[str, Any]:
    """The reference's settings: the student's mask, the keep its scale says, the fraction kept."""
    x = np.asarray(inputs[0], dtype=np.float64)
    out, _ = as_numbers(student.out, "out")
    if out is None or out.shape != x.shape:
        return settings  # the ladder reports the output
    kept = out != 0
    fraction = float(np.mean(kept))
    candidates = conventions(settings["p"])
    keep = None
    with np.errstate(all="ignore"):
        ratios = out[kept].astype(np.float64) / x[kept]
    if ratios.size and np.isfinite(ratios).all() and np.allclose(ratios, ratios[0], rtol=SCALE_RTOL, atol=0):
        keep = next((k for k in candidates if abs(ratios[0] * k - 1) <= SCALE_RTOL), None)
    if keep is None:  # the scale is wrong: judge against the convention the mask fits best
        keep = min(candidates, key=lambda k: abs(fraction - k))
    expected = fraction if plausible(fraction, keep, x.size) else keep
    return {**settings, "mask": kept.astype(np.float64), "keep": keep, "kept": expected}


# ------------------------------------------------------------------------ bugs


def _x(judged: Suspect) -> np.ndarray:
    return judged.inputs[0].astype(np.float64)


def _up(judged: Suspect) -> np.ndarray:
    assert judged.upstream is not None
    return judged.upstream.astype(np.float64)


def _mask(judged: Suspect) -> np.ndarray:
    return np.asarray(judged.settings["mask"])


def normal_cdf(k: float) -> float:
    """P(z < k) for a standard normal z: the fraction a ``np.random.randn(...) < k`` mask keeps."""
    return 0.5 * (1.0 + math.erf(k / math.sqrt(2.0)))


def _fits(judged: Suspect, fraction: np.ndarray, keep: float, other: float) -> bool:
    """The fraction kept is plausible for ``keep`` and nearer to it than to ``other``."""
    f = float(fraction)
    return plausible(f, keep, judged.inputs[0].size) and abs(f - keep) < abs(f - other)


def _mask_for_the_other_p(judged: Suspect, fraction: np.ndarray) -> bool:
    keep = judged.settings["keep"]
    return _fits(judged, fraction, 1.0 - keep, normal_cdf(keep))


def _mask_drawn_with_randn(judged: Suspect, fraction: np.ndarray) -> bool:
    keep = judged.settings["keep"]
    return _fits(judged, fraction, normal_cdf(keep), 1.0 - keep)


def _test_mode_scales(judged: Suspect, test_out: np.ndarray) -> bool:
    p = judged.settings["p"]
    x = _x(judged)
    return any(same(test_out, c * x, judged) for c in (p, 1 - p, 1 / p, 1 / (1 - p)))


def _test_mode_drops(judged: Suspect, test_out: np.ndarray) -> bool:
    return bool(np.any((test_out == 0) & (_x(judged) != 0)))


BUGS = (
    Bug(
        "the kept units are not scaled by 1/keep (inverted dropout scales them at training time)",
        OUTPUT,
        returns(lambda j: _x(j) * _mask(j)),
    ),
    Bug(
        "the kept units are scaled by keep instead of 1/keep",
        OUTPUT,
        returns(lambda j: _x(j) * _mask(j) * j.settings["keep"]),
    ),
    Bug(
        "the backward does not apply the mask (dx = dout / keep)",
        "x",
        returns(lambda j: _up(j) / j.settings["keep"]),
    ),
    Bug("the backward does not apply the mask (dx = dout)", "x", returns(_up)),
    Bug(
        "the backward does not scale by 1/keep (dx = dout * mask)", "x", returns(lambda j: _up(j) * _mask(j))
    ),
    Bug(
        "the mask and the scale disagree on p: the mask keeps units with probability 1 - keep",
        KEPT,
        _mask_for_the_other_p,
    ),
    Bug(
        "the mask is drawn with np.random.randn (normal) instead of np.random.rand (uniform): "
        "randn(...) < keep keeps a unit with probability P(z < keep), not keep",
        KEPT,
        _mask_drawn_with_randn,
    ),
    Bug(
        "test mode scales the input (inverted dropout's test mode is the identity)",
        TEST_OUTPUT,
        _test_mode_scales,
    ),
    Bug("test mode drops units too (it should return x)", TEST_OUTPUT, _test_mode_drops),
)

declare(
    Reference(
        "dropout",
        LAYER,
        vj.dropout,
        ("x",),
        (((40, 25),), ((4, 10, 25),)),
        normal,
        call=dropout_call("dropout_forward", "dropout_backward"),
        settings=({"p": 0.3, "seed": 231}, {"p": 0.8, "seed": 2016}),
        adapt=infer,
        aux=True,
        bugs=BUGS,
    )
)
