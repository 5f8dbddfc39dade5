"""``python -m oracle mlp``: the lecture's two-layer network three times, trained in lockstep.

The three implementations are ``reference.mlp.numpy_step`` (the lecture's hand-derived
backward pass), ``reference.mlp.engine_step`` (the engine's ``backward``) and ``jax_step``
below (``jax.grad``). All three start from the same ``reference.mlp.init(seed)``, and each
then trains its own weights with its own gradients, so a wrong gradient anywhere compounds
over the steps instead of being reset by the others. Every step gives one CSV row: the three
losses and, for each hand-written side, how far its loss and gradients are from JAX's.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from tqdm import tqdm

from oracle.core.compare import relative_error
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import DEFAULT_MAX_MEMORY, MAX_SEED, memory_size, size_text, whole_number
from oracle.core.output import RowFile, check_writable, write_atomic
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


# ------------------------------------------------------------------- outputs


def plot(frame: pd.DataFrame, path: Path) -> None:
    """The three loss curves, drawn to show they lie on top of each other; below, how far apart they are."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # errstate: a blown-up training's huge losses make matplotlib's log scale overflow
    with np.errstate(all="ignore"):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True, height_ratios=(3, 2))
        styles: dict[str, dict[str, Any]] = {
            "numpy": dict(lw=6, alpha=0.35, color="tab:blue"),
            "engine": dict(lw=2.5, ls="--", color="tab:orange"),
            "jax": dict(lw=1.2, ls=":", color="black"),
        }
        for name in NAMES:
            top.plot(frame["step"], frame[f"loss_{name}"], label=name, **styles[name])
        top.set_yscale("log")
        top.set_ylabel("loss")
        top.set_title("The lecture's two-layer network, trained in lockstep")
        top.legend()
        floor = 1e-18  # exact agreement (0) is drawn at the bottom of the log scale
        for name in CHECKED:
            color = styles[name]["color"]
            for column, ls, what in (("grad_dev", "-", "gradients"), ("loss_dev", ":", "loss")):
                values = np.maximum(frame[f"{column}_{name}"].to_numpy(), floor)
                bottom.plot(frame["step"], values, ls=ls, lw=1, color=color, label=f"{name} {what} vs JAX")
        allowed = TOLERANCE * frame["cancellation"]
        bottom.plot(frame["step"], allowed, color="red", lw=1, label=f"allowed: {TOLERANCE:g} x cancellation")
        bottom.set_yscale("log")
        finite = allowed[np.isfinite(allowed)]
        bottom.set_ylim(top=(finite.max() if len(finite) else TOLERANCE) * 1e4)  # room for the legend
        bottom.set_ylabel("max|a - b| / max(|a| + |b|)")
        bottom.set_xlabel("step")
        bottom.legend(fontsize="small", ncol=3, loc="upper center")
        fig.tight_layout()
        image = io.BytesIO()
        fig.savefig(image, format="png", dpi=100)
        plt.close(fig)
    write_atomic(path, image.getvalue())


def check_outputs(out: Path) -> Path:
    """Check the CSV and the plot beside it before any training; returns the plot's path."""
    check_writable(out)
    plot_path = out.with_name(f"{out.stem}_loss.png")
    check_writable(plot_path, f"--out {out}: its plot")
    return plot_path


# ------------------------------------------------------------------- the command


def register(subparsers: Any, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="train the lecture's two-layer network in numpy, the engine and JAX, in lockstep",
        description="Train the lecture's two-layer network three times in lockstep: numpy with the "
        "hand-derived backward pass, the engine, and JAX (the judge). Exit 0 when they agree, 1 when not.",
    )
    integer = whole_number(-MAX_SEED, MAX_SEED)  # the range of each is checked by Config.check
    p.add_argument("--steps", type=integer, default=ref.STEPS, help="training steps (default %(default)s)")
    p.add_argument("--seed", type=integer, default=0, help="seed of the data and initial weights (default 0)")
    p.add_argument("--n", type=integer, default=ref.N, help="batch size N (default %(default)s)")
    p.add_argument("--d-in", type=integer, default=ref.D_IN, help="input size D_in (default %(default)s)")
    p.add_argument("--hidden", type=integer, default=ref.HIDDEN, help="hidden size H (default %(default)s)")
    p.add_argument("--d-out", type=integer, default=ref.D_OUT, help="output size D_out (default %(default)s)")
    p.add_argument("--lr", type=float, default=ref.LEARNING_RATE, help="learning rate (default %(default)g)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports/mlp.csv"),
        help="the CSV, one row per step (default %(default)s); the plot goes beside it as STEM_loss.png",
    )
    p.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help="refuse sizes estimated to need more (4G)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = Config(args.steps, args.seed, args.n, args.d_in, args.hidden, args.d_out, args.lr)
    config.check(args.max_memory)
    plot_path = check_outputs(args.out)
    start = time.perf_counter()
    written: list[pd.DataFrame] = []  # rows already in the file
    pending: list[dict[str, float]] = []  # rows computed since the last write

    def flush(csv: RowFile) -> None:
        if not pending:
            return
        frame = pd.DataFrame(pending, columns=COLUMNS)
        csv.append(frame.to_csv(None, header=False, index=False, lineterminator="\n"))
        written.append(frame)
        pending.clear()

    # A learning rate that blows the training up is reported below; numpy need not warn on the way.
    with RowFile(args.out) as csv, np.errstate(all="ignore"):
        csv.append(",".join(COLUMNS) + "\n")
        lockstep = Lockstep(config)
        try:
            for step in tqdm(range(config.steps), desc="mlp", unit="step", file=sys.stderr, disable=None):
                pending.append(lockstep.row(step, lockstep.step()))
                if not all(math.isfinite(pending[-1][f"loss_{name}"]) for name in NAMES):
                    break  # nothing left to compare
                if len(pending) >= FLUSH_EVERY:
                    flush(csv)
        finally:
            flush(csv)  # on Ctrl-C too: every completed step reaches the disk, whole
    frame = pd.concat(written, ignore_index=True)
    weights = lockstep.weight_deviations()
    plot(frame, plot_path)
    found = problems(frame, weights)
    summarize(config, frame, weights, found, time.perf_counter() - start, args.out, plot_path)
    return EXIT_DIVERGENCE if found else EXIT_CLEAN


def summarize(
    config: Config,
    frame: pd.DataFrame,
    weights: Mapping[str, float],
    found: list[str],
    seconds: float,
    csv_path: Path,
    plot_path: Path,
) -> None:
    n, d_in, hidden, d_out = config.sizes
    last = frame.iloc[-1]
    print(
        f"mlp: {len(frame)} steps, N={n} D_in={d_in} H={hidden} D_out={d_out}, "
        f"lr={config.lr:g}, seed={config.seed}"
    )
    print("final loss:  " + "  ".join(f"{name} {last[f'loss_{name}']:.12g}" for name in NAMES))
    print(
        "worst deviation from JAX, max|a - b| / max(|a| + |b|) (cancellation in y_pred - y at the end: "
        f"{last['cancellation']:.3g}):"
    )
    for name in CHECKED:
        elementwise = frame[[f"rel_err_{name}_w1", f"rel_err_{name}_w2"]].max().max()
        print(
            f"  {name + ':':<8}gradients {frame[f'grad_dev_{name}'].max():.2g}, "
            f"loss {frame[f'loss_dev_{name}'].max():.2g}, final weights {weights[name]:.2g} "
            f"(gradients elementwise, the course's relative error: {elementwise:.2g})"
        )
    if found:
        print("verdict: DIVERGED")
        for problem in found:
            print(f"  {problem}")
    else:
        print(f"verdict: the three implementations agree within the tolerance ({TOLERANCE:g} x cancellation)")
    print(f"time {seconds:.1f} s; wrote {csv_path} and {plot_path}")
