"""The lecture's MLP step at the lecture's sizes: hand-written numpy, the engine, JAX eager and JAX jit.

One step is the loss and the gradients of both weight matrices for
``h = sigmoid(x @ w1); y_pred = h @ w2; loss = sum((y_pred - y) ** 2)`` at N, D_in, H,
D_out = 64, 1000, 100, 10, float64 everywhere (importing ``oracle`` turns on JAX's x64):

- ``numpy`` (the baseline): ``reference.mlp.numpy_step``, the lecture's hand-derived backward;
- ``engine``: ``reference.mlp.engine_step``, the forward in ``Value`` and ``backward()``.
  The target is at most 1.2 times the baseline;
- ``jax eager``: ``jax.value_and_grad(oracle.mlp.loss)`` called without ``jit``, op by op;
- ``jax jit``: ``oracle.mlp.jax_step``, the jitted ``value_and_grad``, compiled before timing.

JAX's arrays live on its device (the CPU) from the start, as ``python -m oracle mlp`` keeps
them, and every JAX call is waited for (``block_until_ready``).

The four are measured twice: in this process, with numpy's BLAS as a user has it (a thread
per core), and in a fresh process with one BLAS thread (``OPENBLAS_NUM_THREADS=1``), where
the matrix products cost the same on every side and the rest of each step shows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Row, median_times, ratio

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.2  # the engine's step at most this many times the numpy step's


def steps() -> tuple[dict[str, Callable[[], Any]], str]:
    import jax
    import jax.numpy as jnp

    from oracle import mlp_lockstep as jax_mlp
    from reference import mlp

    x, y, w1, w2 = mlp.init(0)
    jx, jy, jw1, jw2 = (jnp.array(a) for a in (x, y, w1, w2))
    eager = jax.value_and_grad(jax_mlp.loss, argnums=(0, 1))

    def jax_eager() -> Any:
        return jax.block_until_ready(eager(jw1, jw2, jx, jy))

    def jax_jit() -> Any:
        return jax.block_until_ready(jax_mlp.jax_step(jw1, jw2, jx, jy))

    size = f"{mlp.N}-{mlp.D_IN}-{mlp.HIDDEN}-{mlp.D_OUT}"
    return {
        "numpy": lambda: mlp.numpy_step(w1, w2, x, y),
        "engine": lambda: mlp.engine_step(w1, w2, x, y),
        "jax eager": jax_eager,
        "jax jit": jax_jit,
    }, size


BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def measure(quick: bool) -> tuple[dict[str, float], str, int]:
    """Median seconds of every step (round-robin blocks), the sizes, and the number of timed calls."""
    fns, size = steps()
    for fn in fns.values():  # compiles jit and the eager primitives before anything is timed
        fn()
    rounds, block = (3, 10) if quick else (10, 20)
    return median_times(fns, rounds, block, warmup=3), size, rounds * block


def single_threaded(quick: bool) -> dict[str, float]:
    """``measure`` in a fresh process whose BLAS has one thread (it reads the variable at start-up)."""
    env = {**os.environ, **dict.fromkeys(BLAS_ENV, "1")}
    command = [sys.executable, "-m", "bench.lecture_mlp", "--json"] + ["--quick"] * quick
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    times: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return times


def rows(times: dict[str, float], size: str, repeats: int, suffix: str = "", extra: str = "") -> list[Row]:
    base = times["numpy"]
    met = "met" if times["engine"] <= TARGET * base else "MISSED"
    notes = {
        "numpy": f"baseline{extra}: reference.mlp.numpy_step (hand-derived backward)",
        "engine": f"reference.mlp.engine_step; target <= {TARGET}: {met}",
        "jax eager": "jax.value_and_grad(oracle.mlp.loss), no jit",
        "jax jit": "oracle.mlp.jax_step (jit, compiled before timing)",
    }
    return [
        Row("lecture_mlp", name + suffix, size, repeats, t, ratio(t, base), notes[name])
        for name, t in times.items()
    ]


def run(quick: bool = False) -> list[Row]:
    """As a user runs it (numpy's BLAS on every core), then again with one BLAS thread.

    On a shared machine whose other load keeps the cores busy, a multi-threaded BLAS whose
    threads wait for each other slows down by up to 100 times, and the matrix products then
    hide every other cost; with one thread the engine's own overhead shows.
    """
    times, size, repeats = measure(quick)
    single = single_threaded(quick)
    return [
        *rows(times, size, repeats),
        *rows(single, size, repeats, ", 1 BLAS thread", " of the 1-thread rows"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.lecture_mlp", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the medians as one JSON line")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.quick)[0]))
    else:
        from bench.common import table

        print(table(run(args.quick)))
