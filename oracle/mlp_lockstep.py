"""The lecture's two-layer network three ways in lockstep: JAX's side, the run, and its one tolerance.

``oracle.mlp`` is the command built on this (its CSV, plot and verdict); see its docstring for
what the three implementations are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from oracle.core.compare import relative_error
from oracle.core.errors import UserError
from oracle.core.options import DEFAULT_MAX_MEMORY, MAX_SEED, size_text
from reference import mlp as ref

# The one tolerance, on ``deviation`` (max|a - b| / max(|a| + |b|), the relative error of a whole
# array) of the loss and both gradients at every step, and of the final weights. All three
# implementations compute in float64 and differ only by rounding (XLA's own matmul blocking and
# summation order, its own exp in the sigmoid), which lockstep training carries into each one's
# weights. The loss and the gradients are computed from the residual y_pred - y, and as training
# converges that residual becomes much smaller than y_pred and y themselves: it keeps the same
# absolute rounding error, so its relative error grows by ``cancellation`` = |y| / |y_pred - y|
# (1 at first, 13 after the lecture's 2000 steps, 7600 after 10000), and so do the loss's and the
# gradients'. They are judged against TOLERANCE * cancellation; the weights against TOLERANCE.
# Measured at the lecture's sizes: over its 2000 steps, seeds 0-9, the worst gradient deviation
# is 5.3e-12 (5.1e-13 divided by the cancellation), the worst loss deviation 8.7e-15, the worst
# final-weight deviation 1.5e-15; over 10000 steps, seed 0: 3.7e-9 (8.1e-13 divided by it),
# 1.3e-12 and 2.4e-15. 1e-9 leaves a factor of 1000 above the worst of these; a real bug (a lost
# factor 2, a missing s(1 - s), a transposed product) gives 1e-1 and up from the first step. The
# course's elementwise relative error of the gradients (the rel_err_* columns) is reported, not
# judged: it reaches ~2e-5 on elements that cancel to ~1e-7, where ~1e-12 of rounding is a large
# fraction.
# Why not oracle.core.compare's table: there each comparison is one case's rounding, here lockstep
# training compounds it through the shrinking residual, so the tolerance scales with cancellation.
TOLERANCE = 1e-9
FLUSH_EVERY = 100  # steps between CSV writes: rows already computed reach the disk
# Every step's row stays in memory for the plot and the verdict (about 1 KB with pandas'
# overhead), so the steps are bounded; the arrays are estimated by ``Config.memory``.
MAX_STEPS = 10**6
# Measured peaks (/usr/bin/time) of the three implementations side by side: 5 to 10 float64
# copies of the data, weights and activations (numpy's, the engine's and JAX's own, the
# gradients, the updated weights); 16 copies (128 bytes an element) bound them.
BYTES_PER_ELEMENT = 128
BYTES_PER_STEP = 1024
NAMES = ("numpy", "engine", "jax")
CHECKED = ("numpy", "engine")  # the hand-written sides; JAX is the judge
COLUMNS = [
    "step",
    *(f"loss_{name}" for name in NAMES),
    *(f"rel_err_{name}_{w}" for name in CHECKED for w in ("w1", "w2")),
    *(f"loss_dev_{name}" for name in CHECKED),
    *(f"grad_dev_{name}" for name in CHECKED),
    "cancellation",
]


def deviation(a: Any, b: Any) -> float:
    """max|a - b| / max(|a| + |b|): the relative error of a whole array (of a scalar: the course's)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def cancellation(loss: float, y_norm: float) -> float:
    """|y| / |y_pred - y| in Frobenius norms (at least 1): how much the subtraction magnifies rounding."""
    residual = math.sqrt(loss) if loss >= 0 else math.nan
    return max(1.0, y_norm / residual) if residual > 0 else math.inf


# ------------------------------------------------------------------- JAX's side


def loss(w1: jax.Array, w2: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
    """The lecture's forward pass, written in JAX."""
    h = jax.nn.sigmoid(x @ w1)
    y_pred = h @ w2
    return jnp.sum((y_pred - y) ** 2)


# Compiled once and reused for every step: the same computation with new weights each time.
_value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))


def jax_step(w1: Any, w2: Any, x: Any, y: Any) -> tuple[float, tuple[jax.Array, jax.Array]]:
    """The loss and (grad_w1, grad_w2) from ``jax.value_and_grad``: the signature of ``numpy_step``."""
    value, grads = _value_and_grad(w1, w2, x, y)
    return float(value), grads


# ------------------------------------------------------------------- lockstep


@dataclass(frozen=True)
class Implementation:
    step: Callable[..., tuple[float, tuple[Any, Any]]]  # (w1, w2, x, y) -> (loss, (grad_w1, grad_w2))
    array: Callable[[np.ndarray], Any] = np.array  # makes the implementation's own copy of an array


IMPLEMENTATIONS: dict[str, Implementation] = {
    "numpy": Implementation(ref.numpy_step),
    "engine": Implementation(ref.engine_step),
    "jax": Implementation(jax_step, jnp.array),  # x, y and the weights live on JAX's device
}


@dataclass(frozen=True)
class Config:
    steps: int = ref.STEPS
    seed: int = 0
    n: int = ref.N
    d_in: int = ref.D_IN
    hidden: int = ref.HIDDEN
    d_out: int = ref.D_OUT
    lr: float = ref.LEARNING_RATE

    def check(self, max_memory: int = DEFAULT_MAX_MEMORY) -> None:
        """Raise ``UserError`` naming the first bad value, or the sizes when they need too much memory."""
        flags = {"steps": "--steps", "n": "--n", "d_in": "--d-in", "hidden": "--hidden", "d_out": "--d-out"}
        for field, flag in flags.items():
            if getattr(self, field) < 1:
                raise UserError(f"{flag} must be at least 1, got {getattr(self, field)}")
        if self.steps > MAX_STEPS:
            raise UserError(
                f"--steps must be at most {MAX_STEPS:,} (every step's row is kept), got {self.steps}"
            )
        if not 0 <= self.seed <= MAX_SEED:
            raise UserError(f"--seed must be from 0 to {MAX_SEED}, got {self.seed}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise UserError(f"--lr must be a positive number, got {self.lr}")
        if self.memory > max_memory:
            raise UserError(
                f"--n {self.n} --d-in {self.d_in} --hidden {self.hidden} --d-out {self.d_out} "
                f"--steps {self.steps} need an estimated {size_text(self.memory)} of memory: above the "
                f"limit of {size_text(max_memory)} (--max-memory raises it)"
            )

    @property
    def memory(self) -> int:
        """Bytes the three implementations need side by side, beyond the JAX runtime (an upper estimate)."""
        n, d_in, hidden, d_out = self.sizes
        elements = n * d_in + d_in * hidden + hidden * d_out + n * hidden + n * d_out
        return elements * BYTES_PER_ELEMENT + self.steps * BYTES_PER_STEP

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        return self.n, self.d_in, self.hidden, self.d_out


Result = tuple[float, tuple[Any, Any]]  # one implementation's loss and (grad_w1, grad_w2)


class Lockstep:
    """The implementations side by side, each training its own copy of the same initial weights."""

    def __init__(self, config: Config, implementations: Mapping[str, Implementation] | None = None) -> None:
        self.config = config
        self.implementations = dict(IMPLEMENTATIONS if implementations is None else implementations)
        x, y, w1, w2 = ref.init(config.seed, *config.sizes)
        self.y_norm = float(np.linalg.norm(y))
        self.data = {name: (impl.array(x), impl.array(y)) for name, impl in self.implementations.items()}
        self.weights = {name: (impl.array(w1), impl.array(w2)) for name, impl in self.implementations.items()}

    def step(self) -> dict[str, Result]:
        """One training step of every implementation: each one's loss and gradients, then its update."""
        results = {}
        lr = self.config.lr
        for name, impl in self.implementations.items():
            w1, w2 = self.weights[name]
            results[name] = impl.step(w1, w2, *self.data[name])
            grad_w1, grad_w2 = results[name][1]
            self.weights[name] = (w1 - lr * grad_w1, w2 - lr * grad_w2)
        return results

    def row(self, step: int, results: Mapping[str, Result]) -> dict[str, float]:
        """One CSV row: the losses, and how far each hand-written side is from JAX."""
        out: dict[str, float] = {"step": step}
        out.update({f"loss_{name}": results[name][0] for name in NAMES})
        jax_loss = results["jax"][0]
        jax_grads = [np.asarray(g) for g in results["jax"][1]]
        for name in CHECKED:
            loss_value, grads = results[name]
            for w, grad, jax_grad in zip(("w1", "w2"), grads, jax_grads, strict=True):
                out[f"rel_err_{name}_{w}"] = relative_error(grad, jax_grad)
            out[f"loss_dev_{name}"] = deviation(loss_value, jax_loss)
            out[f"grad_dev_{name}"] = max(deviation(g, j) for g, j in zip(grads, jax_grads, strict=True))
        out["cancellation"] = cancellation(jax_loss, self.y_norm)
        return out

    def weight_deviations(self) -> dict[str, float]:
        """How far each hand-written side's weights are from JAX's (``deviation``, the worse of w1, w2)."""
        jax_weights = self.weights["jax"]
        return {
            name: max(deviation(w, j) for w, j in zip(self.weights[name], jax_weights, strict=True))
            for name in CHECKED
        }


def problems(frame: pd.DataFrame, weights: Mapping[str, float], tolerance: float = TOLERANCE) -> list[str]:
    """Everything beyond ``tolerance``, one line each; empty when the implementations agree."""
    found = []
    steps = frame["step"].to_numpy()
    finite = {name: np.isfinite(frame[f"loss_{name}"].to_numpy()) for name in NAMES}
    blown_up = {name: int(steps[np.argmin(ok)]) for name, ok in finite.items() if not ok.all()}
    if len(blown_up) == len(NAMES):
        found.append(f"the loss is not finite from step {min(blown_up.values())} on (is --lr too large?)")
    else:
        found += [f"{name}: the loss is not finite from step {step} on" for name, step in blown_up.items()]
    judged = np.logical_and.reduce(list(finite.values()))  # the lines above cover the other steps
    cancel = frame["cancellation"].to_numpy()[judged]
    allowed = tolerance * cancel
    for name in CHECKED:
        for column, what in ((f"loss_dev_{name}", "loss"), (f"grad_dev_{name}", "gradient")):
            values = frame[column].to_numpy()[judged]
            bad = ~(values <= allowed)  # NaN counts as bad
            if bad.any():
                at = np.argmax(bad)
                found.append(
                    f"{name}: {what} {values[at]:.3g} from JAX's at step {steps[judged][at]}, beyond "
                    f"{allowed[at]:.3g} (tolerance {tolerance:g} x cancellation {cancel[at]:.3g})"
                )
        if not blown_up and not weights[name] <= tolerance:
            found.append(f"{name}: final weights {weights[name]:.3g} from JAX's (tolerance {tolerance:g})")
    return found
