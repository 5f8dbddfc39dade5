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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE
from oracle.core.options import DEFAULT_MAX_MEMORY, MAX_SEED, memory_size, whole_number
from oracle.core.output import RowFile, check_writable, write_atomic
from oracle.mlp_lockstep import (
    CHECKED,
    COLUMNS,
    FLUSH_EVERY,
    NAMES,
    TOLERANCE,
    Config,
    Lockstep,
    problems,
)
from reference import mlp as ref

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
