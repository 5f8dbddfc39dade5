"""Finite differences in float64: the third opinion when two gradients disagree, and the test for a kink.

Each function takes ``loss_at(d)``, the scalar loss (upstream . output) with one input
element moved by ``d``, and that element's value ``x``; steps are relative to max(1, |x|).
"""

from __future__ import annotations

from collections.abc import Callable

CENTRAL_STEP = 1e-6  # truncation ~h^2, rounding ~eps/h: both near 1e-10
ONE_SIDED_STEP = 1e-7  # truncation ~h * |f''|: far below a kink's jump in slope
SLOPE_JUMP = 1e-3  # one-sided slopes further apart than this (relative to max(1, |slope|)) mean a kink
FD_AGREES = 1e-5  # a finite difference "agrees" with a gradient within this relative error

Loss = Callable[[float], float]


def step(x: float, relative: float) -> float:
    return relative * max(1.0, abs(x))


def central(loss_at: Loss, x: float) -> float:
    h = step(x, CENTRAL_STEP)
    return (loss_at(h) - loss_at(-h)) / (2 * h)


def one_sided(loss_at: Loss, x: float) -> tuple[float, float]:
    """The slopes from the left and from the right."""
    h = step(x, ONE_SIDED_STEP)
    centre = loss_at(0.0)
    return (centre - loss_at(-h)) / h, (loss_at(h) - centre) / h


def slopes_differ(left: float, right: float) -> bool:
    return abs(right - left) > SLOPE_JUMP * max(1.0, abs(left), abs(right))


def close(value: float, fd: float) -> bool:
    return abs(value - fd) <= FD_AGREES * max(1.0, abs(value), abs(fd))


def agreement(fd: float, ours: float, jax: float, ours_name: str = "engine") -> str:
    """Which side a finite difference sides with, in words for a record's detail."""
    if close(ours, fd) and close(jax, fd):
        return "agrees with both"
    if close(ours, fd) or close(jax, fd):
        return f"agrees with {ours_name}" if close(ours, fd) else "agrees with jax"
    return "agrees with neither"
