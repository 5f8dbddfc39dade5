"""One comparison function and one tolerance table: every status in every report comes from here.

Replay, campaigns, the MLP check and course-code checks all call ``compare``, so a
tolerance means the same thing wherever it appears (``oracle.core.judgement`` turns the
result into a ``Record``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float  # an absolute floor for elements that cancel to ~0, scaled by the element's own size


# Both sides are exact reverse mode: they differ only by rounding (another summation
# order in XLA's reductions, another libm for exp/log/tanh), a few ulps per gate,
# amplified by the conditioning of at most a dozen gates. The table sits many orders
# of magnitude above that and many below a real bug (a wrong factor, sign or axis
# gives relative errors of 1e-2 and up). A finite difference would need ~1e-5.
# float64: eps 2.2e-16, and a dozen gates of rounding stays below 1e-12.
# float32: eps 1.2e-7; XLA's float32 exp/tanh are a few ulps off libm's and chains amplify them.
TOLERANCES: dict[str, Tolerance] = {
    "float64": Tolerance(rtol=1e-9, atol=1e-12),
    "float32": Tolerance(rtol=2e-4, atol=1e-6),
    # A float64 central difference against an exact directional derivative (course code the
    # oracle has no reference for, oracle.course.judging.fd_judge): with a step of 1e-6 (relative to
    # the input's size) its truncation is ~1e-12 relative, its rounding ~eps/h = 2e-10 times
    # the magnitude of the summed terms (the scale the judge passes). rtol 1e-6 and atol
    # 1e-7 sit 1000x above both, and far below a real bug's error (1e-2 and up).
    "fd": Tolerance(rtol=1e-6, atol=1e-7),
}
DTYPES = ("float64", "float32")  # the dtypes every command accepts, float64 (the default) first


def relative_error(a: Any, b: Any) -> float:
    """The course's relative error: max over elements of |a - b| / max(1e-8, |a| + |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


@dataclass(frozen=True)
class Comparison:
    ok: bool
    abs_err: float  # max |a - b|
    rel_err: float  # the course's relative error
    worst_index: tuple[int, ...]  # the element furthest beyond tolerance
    a_value: float
    b_value: float
    problem: str = ""  # a shape or dtype that does not fit, or non-finite values


def compare(a: Any, b: Any, dtype: str, *, check_dtype: bool = False, scale: Any = None) -> Comparison:
    """Compare ``a`` (the side being judged) with ``b`` (JAX) under ``TOLERANCES[dtype]``.

    An element passes when its relative error is within ``rtol``, or its absolute error
    within ``atol`` times its own rounding scale: max(1, |a| + |b|), or ``scale`` there
    (an array broadcastable to the shapes: the magnitude of the terms that were summed to
    make each element) when the caller knows it. The floor is each element's own, never
    the array's largest: a wrong small element beside a large one is still caught.
    """
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.shape != b_arr.shape:
        problem = f"shape {list(a_arr.shape)}, expected {list(b_arr.shape)}"
        return Comparison(False, np.inf, np.inf, (), np.nan, np.nan, problem)
    if check_dtype and a_arr.dtype != b_arr.dtype:
        problem = f"dtype {a_arr.dtype}, expected {b_arr.dtype}"
        return Comparison(False, np.inf, np.inf, (), np.nan, np.nan, problem)
    tol = TOLERANCES[dtype]
    a64, b64 = a_arr.astype(np.float64), b_arr.astype(np.float64)
    if a64.size == 0:
        return Comparison(True, 0.0, 0.0, (), np.nan, np.nan)
    with np.errstate(all="ignore"):  # inf - inf and overflow: non-finite values are judged below
        diff = np.abs(a64 - b64)
        magnitude = np.abs(a64) + np.abs(b64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        rel = diff / np.maximum(1e-8, magnitude)
        # How far each element is beyond tolerance: the relative test or the absolute one, whichever passes.
        own = magnitude if scale is None else np.maximum(magnitude, np.abs(np.asarray(scale, np.float64)))
        excess = np.minimum(rel / tol.rtol, diff / (tol.atol * np.maximum(1.0, own)))
    finite = bool(np.isfinite(a64).all() and np.isfinite(b64).all())
    if not finite:
        bad = ~(np.isfinite(a64) & np.isfinite(b64))
        excess = np.where(bad, np.inf, excess)
    flat_worst = int(np.argmax(excess))
    worst = tuple(int(i) for i in np.unravel_index(flat_worst, a64.shape)) if a64.ndim else ()
    return Comparison(
        ok=finite and bool(excess[worst] <= 1.0),
        abs_err=float(np.max(diff)),
        rel_err=float(np.max(rel)),
        worst_index=worst,
        a_value=float(a64[worst]),
        b_value=float(b64[worst]),
        problem="" if finite else "non-finite values",
    )
